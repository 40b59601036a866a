import CHDF5

/// A dataset: an n-dimensional array of one element type.
///
/// Reading is either whole (``read(_:)``) or one index of the first axis at a time
/// (``readRow(_:into:)``), which reads a hyperslab and so keeps memory constant when
/// streaming a `[N, ...]` trajectory step by step.
public final class HDF5Dataset: HDF5Object {
    public let file: HDF5File
    public let path: String
    public let handle: HDF5Handle
    /// The dataset's shape; `[]` for a scalar dataset.
    public let shape: [Int]
    /// The element type as stored in the file.
    public let storedType: HDF5StoredType

    init(file: HDF5File, path: String, handle: HDF5Handle) throws {
        self.file = file
        self.path = path
        self.handle = handle
        (shape, storedType) = try HDF5Library.call {
            let space = try checkID(
                H5Dget_space(handle.id), .libraryFailure, file: file.path, object: path, "cannot read the dataspace")
            defer { H5Sclose(space) }
            let rank = H5Sget_simple_extent_ndims(space)
            guard rank >= 0 else {
                throw HDF5Error(
                    .libraryFailure, file: file.path, object: path, message: "cannot read the dataspace rank",
                    detail: HDF5Library.takeErrorStack())
            }
            var dims = [hsize_t](repeating: 0, count: Int(rank))
            if rank > 0 {
                try checkStatus(
                    H5Sget_simple_extent_dims(space, &dims, nil), file: file.path, object: path,
                    "cannot read the dataspace dimensions")
            }
            let type = try checkID(
                H5Dget_type(handle.id), .libraryFailure, file: file.path, object: path, "cannot read the datatype")
            defer { H5Tclose(type) }
            return (dims.map { Int($0) }, HDF5StoredType(typeID: type))
        }
    }

    /// The number of elements.
    public var count: Int { shape.reduce(1, *) }

    /// Whether the dataset is stored in chunks of exactly one index of its first axis.
    public var isChunkedByRow: Bool {
        get throws {
            try HDF5Library.call {
                let dcpl = try checkID(
                    H5Dget_create_plist(handle.id), .libraryFailure, file: file.path, object: path,
                    "cannot read the creation property list")
                defer { H5Pclose(dcpl) }
                guard H5Pget_layout(dcpl) == H5D_CHUNKED else { return false }
                var chunk = [hsize_t](repeating: 0, count: shape.count)
                guard H5Pget_chunk(dcpl, Int32(chunk.count), &chunk) == Int32(shape.count) else { return false }
                return chunk.first == 1 && Array(chunk.dropFirst()) == shape.dropFirst().map { hsize_t($0) }
            }
        }
    }

    private func requireNumeric<T: HDF5Scalar>(_: T.Type) throws {
        switch (storedType, T.storedType) {
        case (.float, .float), (.integer, .integer): return
        default:
            throw error(.typeMismatch, "holds \(storedType), cannot be read as \(T.storedType)")
        }
    }

    /// Reads every element, row-major. Floating-point data is converted by HDF5 if the
    /// stored width differs from `T`'s; check ``storedType`` first where that matters.
    public func read<T: HDF5Scalar>(_: T.Type = T.self) throws -> [T] {
        try requireNumeric(T.self)
        var values = [T](repeating: .zero, count: count)
        guard count > 0 else { return values }
        try HDF5Library.call {
            try values.withUnsafeMutableBytes { buffer in
                try checkStatus(
                    H5Dread(handle.id, T.nativeType, lockstep_h5s_all(), lockstep_h5s_all(), lockstep_h5p_default(),
                            buffer.baseAddress),
                    file: file.path, object: path, "cannot read the dataset")
            }
        }
        return values
    }

    /// Reads index `row` of the first axis into `buffer`, which is resized to the row's
    /// element count (the product of the remaining dimensions).
    public func readRow<T: HDF5Scalar>(_ row: Int, into buffer: inout [T]) throws {
        try requireNumeric(T.self)
        guard let rows = shape.first else { throw error(.invalidRequest, "is a scalar; it has no rows") }
        guard row >= 0, row < rows else { throw error(.invalidRequest, "row \(row) is outside 0..<\(rows)") }
        let rowShape = Array(shape.dropFirst())
        let rowCount = rowShape.reduce(1, *)
        if buffer.count != rowCount { buffer = [T](repeating: .zero, count: rowCount) }
        guard rowCount > 0 else { return }
        try HDF5Library.call {
            let fileSpace = try checkID(
                H5Dget_space(handle.id), .libraryFailure, file: file.path, object: path, "cannot read the dataspace")
            defer { H5Sclose(fileSpace) }
            var start = [hsize_t](repeating: 0, count: shape.count)
            start[0] = hsize_t(row)
            var countPerAxis = shape.map { hsize_t($0) }
            countPerAxis[0] = 1
            try checkStatus(
                H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, start, nil, countPerAxis, nil), file: file.path,
                object: path, "cannot select row \(row)")
            var memoryDims = [hsize_t(rowCount)]
            let memorySpace = try checkID(
                H5Screate_simple(1, &memoryDims, nil), .libraryFailure, file: file.path, object: path,
                "cannot create the memory dataspace")
            defer { H5Sclose(memorySpace) }
            try buffer.withUnsafeMutableBytes { bytes in
                try checkStatus(
                    H5Dread(handle.id, T.nativeType, memorySpace, fileSpace, lockstep_h5p_default(), bytes.baseAddress),
                    file: file.path, object: path, "cannot read row \(row)")
            }
        }
    }
}
