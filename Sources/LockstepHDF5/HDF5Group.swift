import CHDF5

/// A group in an HDF5 file: a folder of named groups and datasets.
public final class HDF5Group: HDF5Object {
    public let file: HDF5File
    public let path: String
    public let handle: HDF5Handle

    init(file: HDF5File, path: String, handle: HDF5Handle) {
        self.file = file
        self.path = path
        self.handle = handle
    }

    /// What a named child of a group is.
    public enum ChildKind: Sendable, Equatable { case group, dataset, other }

    /// The kind of the child `name`, or `nil` when there is none.
    ///
    /// The link is looked at before the object it leads to: an external link (or a
    /// user-defined one) is refused, naming where it points, and never followed, so that
    /// nothing is read from outside the file. A soft link inside the file is followed.
    public func childKind(_ name: String) throws -> ChildKind? {
        try HDF5Library.call {
            let childPath = joinPath(path, name)
            let exists = H5Lexists(handle.id, name, HDF5Library.linkAccess)
            if exists < 0 {
                throw error(.libraryFailure, "cannot look up '\(name)'", detail: HDF5Library.takeErrorStack())
            }
            guard exists > 0 else { return nil }
            var info = H5L_info_t()
            try checkStatus(
                H5Lget_info(handle.id, name, &info, HDF5Library.linkAccess), file: file.path, object: childPath,
                "cannot read the link")
            switch info.type {
            case H5L_TYPE_HARD, H5L_TYPE_SOFT: break
            case H5L_TYPE_EXTERNAL:
                throw HDF5Error(
                    .outsideFile, file: file.path, object: childPath,
                    message: "external link\(externalTarget(name, size: info.u.val_size)): the format reads data only from the file itself")
            default:
                throw HDF5Error(
                    .outsideFile, file: file.path, object: childPath,
                    message: "user-defined link (type \(info.type.rawValue)): the format reads data only from the file itself")
            }
            let id = H5Oopen(handle.id, name, HDF5Library.linkAccess)
            guard id >= 0 else {
                throw HDF5Error(
                    .libraryFailure, file: file.path, object: childPath, message: "cannot open the object",
                    detail: HDF5Library.takeErrorStack())
            }
            defer { H5Oclose(id) }
            switch H5Iget_type(id) {
            case H5I_GROUP: return .group
            case H5I_DATASET: return .dataset
            default: return .other
            }
        }
    }

    /// ` to <file>:<object>` for the external link `name`, or nothing when it cannot be
    /// read. Call under the library lock.
    private func externalTarget(_ name: String, size: Int) -> String {
        defer { _ = H5Eclear2(lockstep_h5e_default()) }
        guard size > 0, size <= 1 << 20 else { return "" }
        var value = [UInt8](repeating: 0, count: size)
        guard H5Lget_val(handle.id, name, &value, size, HDF5Library.linkAccess) >= 0 else { return "" }
        var flags: UInt32 = 0
        var targetFile: UnsafePointer<CChar>?
        var targetObject: UnsafePointer<CChar>?
        guard H5Lunpack_elink_val(&value, size, &flags, &targetFile, &targetObject) >= 0,
            let targetFile, let targetObject
        else { return "" }
        return " to \(String(cString: targetFile)):\(String(cString: targetObject))"
    }

    /// The names of the group's children, in the file's name order.
    public func childNames() throws -> [String] {
        try HDF5Library.call {
            try NameCollector.collect(file: file.path, object: path, "the group's members") { context in
                var index: hsize_t = 0
                return H5Literate(handle.id, H5_INDEX_NAME, H5_ITER_INC, &index, { _, name, _, context in
                    NameCollector.append(name, to: context)
                    return 0
                }, context)
            }
        }
    }

    /// Opens the child group `name`.
    public func group(_ name: String) throws -> HDF5Group {
        let childPath = joinPath(path, name)
        switch try childKind(name) {
        case nil: throw HDF5Error(.notFound, file: file.path, object: childPath, message: "group not found")
        case .dataset?, .other?:
            throw HDF5Error(.typeMismatch, file: file.path, object: childPath, message: "is not a group")
        case .group?: break
        }
        return try HDF5Library.call {
            let id = try checkID(
                H5Gopen2(handle.id, name, lockstep_h5p_default()), .libraryFailure, file: file.path,
                object: childPath, "cannot open the group")
            return HDF5Group(file: file, path: childPath, handle: HDF5Handle(id, close: H5Gclose))
        }
    }

    /// Opens the child dataset `name`.
    public func dataset(_ name: String) throws -> HDF5Dataset {
        let childPath = joinPath(path, name)
        switch try childKind(name) {
        case nil: throw HDF5Error(.notFound, file: file.path, object: childPath, message: "dataset not found")
        case .group?, .other?:
            throw HDF5Error(.typeMismatch, file: file.path, object: childPath, message: "is not a dataset")
        case .dataset?: break
        }
        return try HDF5Library.call {
            let id = try checkID(
                H5Dopen2(handle.id, name, lockstep_h5p_default()), .libraryFailure, file: file.path,
                object: childPath, "cannot open the dataset")
            let dataset = try HDF5Dataset(
                file: file, path: childPath, handle: HDF5Handle(id, close: H5Dclose), checkingStorage: true)
            if file.requiresContentDigests, dataset.count > 0, dataset.contentDigest == nil {
                throw HDF5Error(
                    .badStorage, file: file.path, object: childPath,
                    message: "has no content digest (attribute '\(HDF5ContentDigest.attributeName)'), though the root attribute 'content_digest' promises one on every dataset")
            }
            return dataset
        }
    }

    /// Removes the link to the child `name` (a group or dataset).
    public func removeChild(_ name: String) throws {
        try HDF5Library.call {
            try checkStatus(
                H5Ldelete(handle.id, name, lockstep_h5p_default()), .notFound, file: file.path,
                object: joinPath(path, name), "cannot remove the object")
        }
    }

    /// Creates the child group `name`.
    ///
    /// Its links and attributes stay in its object header however many there are (see
    /// ``HDF5Library/compactStorage(_:)``), where HDF5 1.10's format checksums them.
    @discardableResult
    public func createGroup(_ name: String) throws -> HDF5Group {
        let childPath = joinPath(path, name)
        return try HDF5Library.call {
            let gcpl = try checkID(
                H5Pcreate(lockstep_h5p_group_create()), .libraryFailure, file: file.path, object: childPath,
                "cannot create the group property list")
            defer { H5Pclose(gcpl) }
            try checkStatus(
                HDF5Library.compactStorage(gcpl), file: file.path, object: childPath, "cannot keep the links compact")
            let id = try checkID(
                H5Gcreate2(handle.id, name, lockstep_h5p_default(), gcpl, lockstep_h5p_default()),
                .libraryFailure, file: file.path, object: childPath, "cannot create the group")
            return HDF5Group(file: file, path: childPath, handle: HDF5Handle(id, close: H5Gclose))
        }
    }

    /// Creates the child dataset `name` of `shape` and writes `values` (row-major) into it.
    ///
    /// - Parameters:
    ///   - layout: how the data is laid out on disk; see ``HDF5DatasetLayout``.
    ///   - digest: write the content digests (``HDF5ContentDigest``, attribute
    ///     `crc32c`): one per row when the layout is chunked by row, else one. A dataset
    ///     without elements gets none.
    @discardableResult
    public func createDataset<T: HDF5Scalar>(
        _ name: String, shape: [Int], values: [T], layout: HDF5DatasetLayout = .contiguous, digest: Bool = true
    ) throws -> HDF5Dataset {
        let childPath = joinPath(path, name)
        let count = shape.reduce(1, *)
        guard values.count == count else {
            throw HDF5Error(
                .invalidRequest, file: file.path, object: childPath,
                message: "\(values.count) values do not fill shape \(shape)")
        }
        return try HDF5Library.call {
            let dims = shape.map { hsize_t($0) }
            let space = try checkID(
                H5Screate_simple(Int32(dims.count), dims, nil), .libraryFailure, file: file.path, object: childPath,
                "cannot create the dataspace")
            defer { H5Sclose(space) }
            let dcpl = try checkID(
                H5Pcreate(lockstep_h5p_dataset_create()), .libraryFailure, file: file.path, object: childPath,
                "cannot create the dataset property list")
            defer { H5Pclose(dcpl) }
            if case .chunked(let byRow, let compression, let checksum) = layout, count > 0, !shape.isEmpty {
                var chunk = dims
                if byRow { chunk[0] = 1 }
                try checkStatus(
                    H5Pset_chunk(dcpl, Int32(chunk.count), chunk), file: file.path, object: childPath,
                    "cannot set the chunk shape")
                if compression {
                    try checkStatus(H5Pset_shuffle(dcpl), file: file.path, object: childPath, "cannot add shuffle")
                    try checkStatus(H5Pset_deflate(dcpl, 4), file: file.path, object: childPath, "cannot add gzip")
                }
                if checksum {
                    try checkStatus(
                        H5Pset_fletcher32(dcpl), file: file.path, object: childPath, "cannot add fletcher32")
                }
            }
            let id = try checkID(
                H5Dcreate2(handle.id, name, T.fileType, space, lockstep_h5p_default(), dcpl, lockstep_h5p_default()),
                .libraryFailure, file: file.path, object: childPath, "cannot create the dataset")
            let dataset = try HDF5Dataset(file: file, path: childPath, handle: HDF5Handle(id, close: H5Dclose))
            if count > 0 {
                try values.withUnsafeBytes { buffer in
                    try checkStatus(
                        H5Dwrite(id, T.nativeType, lockstep_h5s_all(), lockstep_h5s_all(), lockstep_h5p_default(),
                                 buffer.baseAddress),
                        file: file.path, object: childPath, "cannot write the dataset")
                }
                if digest {
                    var byRow = false
                    if case .chunked(true, _, _) = layout, !shape.isEmpty { byRow = true }
                    let digests = values.withUnsafeBytes { HDF5ContentDigest.digests($0, rows: shape.first ?? 1, byRow: byRow) }
                    try dataset.setAttribute(HDF5ContentDigest.attributeName, uint32s: digests)
                }
            }
            return dataset
        }
    }
}

/// How a dataset is stored.
public enum HDF5DatasetLayout: Sendable, Equatable {
    /// One contiguous block.
    case contiguous
    /// In chunks: one per index of the first axis (`byRow`, one step per chunk) or one for
    /// the whole dataset; optionally gzip with shuffle, optionally with fletcher32
    /// checksums. Scalar and empty datasets cannot be chunked and stay contiguous.
    case chunked(byRow: Bool, compression: Bool, checksum: Bool)
}
