import CHDF5
import Foundation

/// A dataset: an n-dimensional array of one element type.
///
/// Reading is either whole (``read(_:)``) or one index of the first axis at a time
/// (``readRow(_:into:)``), which keeps memory constant when streaming a `[N, ...]`
/// trajectory step by step.
public final class HDF5Dataset: HDF5Object {
    public let file: HDF5File
    public let path: String
    public let handle: HDF5Handle
    /// The dataset's shape; `[]` for a scalar dataset.
    public let shape: [Int]
    /// The element type as stored in the file.
    public let storedType: HDF5StoredType
    /// Set when rows, or the whole dataset, can be read as stored chunks: see ``RawChunks``.
    let rawChunks: RawChunks?
    /// The recorded content digests (attribute `crc32c`, format extension 18), checked on
    /// every read; `nil` without them, or for a dataset being written.
    public let contentDigest: ContentDigest?
    /// The native memory type the stored type equals, if it is one Lockstep reads; data read
    /// as another type has its digest checked on the stored bytes, read again.
    let storedNativeType: hid_t?
    /// Set once a dataset with one digest for the whole of it, read a row at a time, has been
    /// checked whole.
    let wholeDigestChecked = OnceFlag()

    /// A dataset stored in chunks that are its rows or the whole of it, as the bytes of a
    /// native memory type, with no filter but the `fletcher32` checksum. ``readRow(_:into:)``
    /// and ``read(_:)`` read such a chunk with `H5Dread_chunk`, straight into the caller's
    /// buffer, and check the checksum themselves: one copy out of the file instead of
    /// HDF5's read into a chunk buffer, its scalar checksum loop and a second copy.
    struct RawChunks: Sendable {
        /// The native memory type (`H5T_NATIVE_FLOAT`, ...) the stored type equals.
        let nativeType: hid_t
        /// Whether each chunk ends in a 4-byte Fletcher-32 checksum.
        let checksum: Bool
        /// Whether each chunk is one index of the first axis.
        let rows: Bool
        /// Whether one chunk holds the whole dataset.
        let whole: Bool

        /// The elements after a chunk's that its checksum is read into.
        func padding<T>(_: T.Type) -> Int {
            checksum ? (4 + MemoryLayout<T>.stride - 1) / MemoryLayout<T>.stride : 0
        }
    }

    /// `count` zeros, with room for `capacity` elements. Every ``HDF5Scalar`` is plain
    /// data that HDF5 fills byte by byte, and its zero is all bits clear: the bytes are
    /// cleared at once rather than by a generic copy per element.
    private static func zeros<T: HDF5Scalar>(_ count: Int, capacity: Int = 0) -> [T] {
        [T](unsafeUninitializedCapacity: max(count, capacity)) { elements, initialized in
            if count > 0 { memset(elements.baseAddress!, 0, count * MemoryLayout<T>.stride) }
            initialized = count
        }
    }

    /// Wraps an open dataset. `checkingStorage` (a dataset read from a file, not one being
    /// written) also refuses data from outside the file and storage that disagrees with the
    /// declared shape: see ``checkStorage(_:type:shape:)``.
    init(file: HDF5File, path: String, handle: HDF5Handle, checkingStorage: Bool = false) throws {
        self.file = file
        self.path = path
        self.handle = handle
        (shape, storedType, rawChunks, contentDigest, storedNativeType) = try HDF5Library.call {
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
            guard let shape = Self.shape(dims, elementSize: H5Tget_size(type)) else {
                throw HDF5Error(
                    .badStorage, file: file.path, object: path,
                    message: "shape \(dims) holds more bytes than can be addressed")
            }
            var digest: ContentDigest?
            if checkingStorage {
                try Self.checkStorage(handle.id, file: file, path: path, shape: shape, elementSize: H5Tget_size(type))
                digest = try Self.loadDigest(
                    handle.id, file: file, path: path, shape: shape, byRow: Self.chunkedByRow(handle.id, shape: shape))
            }
            let natives = [
                lockstep_h5t_native_float(), lockstep_h5t_native_double(), lockstep_h5t_native_uint8(),
                lockstep_h5t_native_int64(), lockstep_h5t_native_int8(),
            ]
            return (
                shape, HDF5StoredType(typeID: type), Self.rawChunks(handle.id, type: type, shape: shape), digest,
                natives.first { H5Tequal(type, $0) > 0 }
            )
        }
    }

    /// The dimensions as `Int`s, or `nil` when a dimension, the element count or the byte
    /// count does not fit in an `Int`: then `reduce(1, *)` over the shape would trap.
    private static func shape(_ dims: [hsize_t], elementSize: Int) -> [Int]? {
        var bytes = max(elementSize, 1)
        for dim in dims {
            guard dim <= hsize_t(Int.max) else { return nil }
            let (product, overflow) = bytes.multipliedReportingOverflow(by: Int(dim))
            guard !overflow else { return nil }
            bytes = product
        }
        return dims.map { Int($0) }
    }

    /// The most bytes one read (``read(_:)``, or one row by ``readRow(_:into:)``) may
    /// allocate: `LOCKSTEP_MEMORY_BUDGET` from the environment (bytes, or with a suffix `K`,
    /// `M`, `G`, `T`: powers of 1024) if set, else 4 GiB or half the physical memory,
    /// whichever is less. A task may set its own with `$memoryBudget.withValue(_:)`.
    @TaskLocal public static var memoryBudget: Int = defaultMemoryBudget

    /// The budget from the environment, or the default.
    public static let defaultMemoryBudget: Int = {
        if let text = ProcessInfo.processInfo.environment["LOCKSTEP_MEMORY_BUDGET"], let bytes = parseByteCount(text) {
            return bytes
        }
        return min(4 << 30, Int(clamping: ProcessInfo.processInfo.physicalMemory / 2))
    }()

    /// `123`, `512K`, `8G`: a byte count, `nil` when it is not one or overflows.
    public static func parseByteCount(_ text: String) -> Int? {
        let units: [Character: Int] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40]
        var digits = Substring(text.trimmingCharacters(in: .whitespaces))
        var unit = 1
        if let last = digits.last?.uppercased().first, let scale = units[last] {
            unit = scale
            digits = digits.dropLast()
        }
        guard let value = Int(digits), value >= 0 else { return nil }
        let (bytes, overflow) = value.multipliedReportingOverflow(by: unit)
        return overflow ? nil : bytes
    }

    /// `4 GiB`, `512 MiB`, `1000 bytes`: a byte count for a message.
    public static func describeBytes(_ bytes: Int) -> String {
        for (unit, name) in [(1 << 40, "TiB"), (1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")] where bytes >= unit {
            let value = Double(bytes) / Double(unit)
            return value == value.rounded() ? "\(Int(value)) \(name)" : String(format: "%.1f %@", value, name)
        }
        return "\(bytes) bytes"
    }

    /// Refuses what would read from outside the file, and storage that cannot hold what the
    /// shape declares, before a byte is allocated for it. Call under the library lock.
    ///
    /// - A virtual dataset, or one with external raw storage, reads other files: refused.
    /// - Unless a filter compresses it (anything but `fletcher32` and `shuffle`), the data
    ///   takes its declared bytes in the file: a shape that declares more than the whole file
    ///   is refused.
    /// - Every chunk, or the contiguous block, must be stored: HDF5 reads what is not as the
    ///   fill value, so a missing chunk would read as zeros.
    private static func checkStorage(_ id: hid_t, file: HDF5File, path: String, shape: [Int], elementSize: Int) throws {
        func refuse(_ kind: HDF5Error.Kind, _ message: String) -> HDF5Error {
            HDF5Error(kind, file: file.path, object: path, message: message, detail: HDF5Library.takeErrorStack())
        }
        let outside = "the format reads data only from the file itself"
        let dcpl = try checkID(
            H5Dget_create_plist(id), .libraryFailure, file: file.path, object: path, "cannot read the creation property list")
        defer { H5Pclose(dcpl) }
        let layout = H5Pget_layout(dcpl)
        if layout == H5D_VIRTUAL { throw refuse(.outsideFile, "virtual dataset: \(outside)") }
        let externals = H5Pget_external_count(dcpl)
        if externals != 0 {
            var name = [CChar](repeating: 0, count: 4096)
            var offset: off_t = 0
            var size: hsize_t = 0
            let target = externals > 0 && H5Pget_external(dcpl, 0, name.count, &name, &offset, &size) >= 0
                ? " (in \(String(cString: name)))" : ""
            throw refuse(.outsideFile, "external raw storage\(target): \(outside)")
        }
        let count = shape.reduce(1, *)
        guard count > 0 else { return }
        let bytes = count * elementSize
        var compressed = false
        for index in 0..<max(0, H5Pget_nfilters(dcpl)) {
            var flags: UInt32 = 0
            var elements = 0
            var config: UInt32 = 0
            let filter = H5Pget_filter2(dcpl, UInt32(index), &flags, &elements, nil, 0, nil, &config)
            if filter != H5Z_FILTER_FLETCHER32, filter != H5Z_FILTER_SHUFFLE { compressed = true }
        }
        var fileSize: hsize_t = 0
        if !compressed, H5Fget_filesize(file.handle.id, &fileSize) >= 0, hsize_t(bytes) > fileSize {
            throw refuse(
                .badStorage,
                "shape \(shape) declares \(describeBytes(bytes)), more than the whole file holds (\(describeBytes(Int(clamping: fileSize))))")
        }
        if layout == H5D_CHUNKED {
            var chunk = [hsize_t](repeating: 0, count: shape.count)
            guard H5Pget_chunk(dcpl, Int32(chunk.count), &chunk) == Int32(shape.count), !chunk.contains(0) else {
                throw refuse(.badStorage, "cannot read the chunk shape")
            }
            var expected: hsize_t = 1
            for (dim, size) in zip(shape, chunk) { expected *= (hsize_t(dim) + size - 1) / size }
            var stored: hsize_t = 0
            let space = H5Dget_space(id)
            defer { if space >= 0 { H5Sclose(space) } }
            guard space >= 0, H5Dget_num_chunks(id, space, &stored) >= 0 else {
                throw refuse(.libraryFailure, "cannot count the stored chunks")
            }
            if stored < expected {
                throw refuse(
                    .badStorage,
                    "stores \(stored) of its \(expected) chunks; HDF5 would read the fill value for the rest")
            }
        } else if H5Dget_storage_size(id) < hsize_t(bytes) {
            throw refuse(
                .badStorage,
                "stores \(H5Dget_storage_size(id)) of the \(bytes) bytes its shape \(shape) declares; HDF5 would read the fill value for the rest")
        }
    }

    /// Throws unless `elements` elements of `T` fit in ``memoryBudget``: called before every
    /// allocation for data read from the file.
    func checkBudget<T>(_ elements: Int, _: T.Type, what: String) throws {
        let (bytes, overflow) = elements.multipliedReportingOverflow(by: MemoryLayout<T>.stride)
        guard overflow || bytes > Self.memoryBudget else { return }
        throw error(
            .badStorage,
            "\(what) takes \(overflow ? "more than \(Int.max) bytes" : Self.describeBytes(bytes)), more than the memory budget of \(Self.describeBytes(Self.memoryBudget)) (LOCKSTEP_MEMORY_BUDGET)")
    }

    /// Whether the chunks of the dataset can be read raw, and how. Anything unusual
    /// (another filter, a conversion, an unreadable property) reads through `H5Dread`.
    /// Call under the library lock.
    private static func rawChunks(_ id: hid_t, type: hid_t, shape: [Int]) -> RawChunks? {
        defer { _ = H5Eclear2(lockstep_h5e_default()) }
        guard !shape.isEmpty else { return nil }
        let natives = [
            lockstep_h5t_native_float(), lockstep_h5t_native_double(), lockstep_h5t_native_uint8(),
            lockstep_h5t_native_int64(),
        ]
        guard let nativeType = natives.first(where: { H5Tequal(type, $0) > 0 }) else { return nil }
        let dcpl = H5Dget_create_plist(id)
        guard dcpl >= 0 else { return nil }
        defer { H5Pclose(dcpl) }
        guard H5Pget_layout(dcpl) == H5D_CHUNKED else { return nil }
        var chunk = [hsize_t](repeating: 0, count: shape.count)
        guard H5Pget_chunk(dcpl, Int32(chunk.count), &chunk) == Int32(shape.count) else { return nil }
        let dims = shape.map { hsize_t($0) }
        let rows = chunk.first == 1 && chunk.dropFirst() == dims.dropFirst()
        let whole = chunk == dims
        guard rows || whole else { return nil }
        let checksum: Bool
        switch H5Pget_nfilters(dcpl) {
        case 0:
            checksum = false
        case 1:
            var flags: UInt32 = 0
            var elements = 0
            var config: UInt32 = 0
            guard H5Pget_filter2(dcpl, 0, &flags, &elements, nil, 0, nil, &config) == H5Z_FILTER_FLETCHER32 else { return nil }
            checksum = true
        default:
            return nil
        }
        return RawChunks(nativeType: nativeType, checksum: checksum, rows: rows, whole: whole)
    }

    /// The number of elements.
    public var count: Int { shape.reduce(1, *) }

    /// Whether the dataset is stored in chunks of exactly one index of its first axis.
    public var isChunkedByRow: Bool {
        get throws { HDF5Library.call { Self.chunkedByRow(handle.id, shape: shape) } }
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
        try checkBudget(count, T.self, what: "reading shape \(shape)")
        let raw = rawChunks.flatMap { $0.whole && $0.nativeType == T.nativeType ? $0 : nil }
        var values: [T] = Self.zeros(count, capacity: count + (raw?.padding(T.self) ?? 0))
        guard count > 0 else { return values }
        if let raw, readRawChunk(at: 0, raw, into: &values) {
            try checkDigest(of: values, row: nil)
            return values
        }
        try HDF5Library.call {
            try values.withUnsafeMutableBytes { buffer in
                try checkStatus(
                    H5Dread(handle.id, T.nativeType, lockstep_h5s_all(), lockstep_h5s_all(), lockstep_h5p_default(),
                            buffer.baseAddress),
                    file: file.path, object: path, "cannot read the dataset")
            }
        }
        try checkDigest(of: values, row: nil)
        return values
    }

    /// Reads index `row` of the first axis into `buffer`, which is resized to the row's
    /// element count (the product of the remaining dimensions).
    public func readRow<T: HDF5Scalar>(_ row: Int, into buffer: inout [T]) throws {
        try requireNumeric(T.self)
        guard let rows = shape.first else { throw error(.invalidRequest, "is a scalar; it has no rows") }
        guard row >= 0, row < rows else { throw error(.invalidRequest, "row \(row) is outside 0..<\(rows)") }
        let rowCount = shape.dropFirst().reduce(1, *)
        try checkBudget(rowCount, T.self, what: "a row of shape \(Array(shape.dropFirst()))")
        let raw = rawChunks.flatMap { $0.rows && $0.nativeType == T.nativeType ? $0 : nil }
        if buffer.count != rowCount { buffer = Self.zeros(rowCount, capacity: rowCount + (raw?.padding(T.self) ?? 0)) }
        guard rowCount > 0 else { return }
        if let raw, readRawChunk(at: row, raw, into: &buffer) {
            try checkDigest(of: buffer, row: row)
            return
        }
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
        try checkDigest(of: buffer, row: row)
    }

    /// Reads the chunk that starts at index `index` of the first axis (see ``RawChunks``)
    /// into `buffer`, which holds the chunk's element count, and returns whether it did. It
    /// does not when the chunk is not as expected (missing, skipped its filter, of another
    /// size) or its checksum disagrees: then ``readRow(_:into:)`` and ``read(_:)`` read
    /// through `H5Dread`, which fills a missing chunk and reports a damaged one with HDF5's
    /// own error, as they always have.
    func readRawChunk<T: HDF5Scalar>(at index: Int, _ layout: RawChunks, into buffer: inout [T]) -> Bool {
        let chunkBytes = buffer.count * MemoryLayout<T>.stride
        let checksumBytes = layout.checksum ? 4 : 0
        // The checksum is read after the chunk, into padding elements removed again below;
        // the array keeps their capacity, so a reused buffer is not reallocated.
        let padding = layout.padding(T.self)
        buffer.append(contentsOf: repeatElement(.zero, count: padding))
        defer { buffer.removeLast(padding) }
        return buffer.withUnsafeMutableBytes { bytes in
            let read = HDF5Library.call {
                defer { _ = H5Eclear2(lockstep_h5e_default()) }
                var offset = [hsize_t](repeating: 0, count: shape.count)
                offset[0] = hsize_t(index)
                var stored: hsize_t = 0
                var filterMask: UInt32 = 0
                return H5Dget_chunk_storage_size(handle.id, offset, &stored) >= 0
                    && stored == hsize_t(chunkBytes + checksumBytes)
                    && H5Dread_chunk(handle.id, lockstep_h5p_default(), offset, &filterMask, bytes.baseAddress) >= 0
                    && filterMask == 0
            }
            guard read, layout.checksum else { return read }
            // Outside the library lock: fixtures verified at once (`--jobs`) check at once.
            let computed = lockstep_fletcher32(bytes.baseAddress, chunkBytes)
            let recorded = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: chunkBytes, as: UInt32.self))
            // HDF5 also accepts the checksum with the bytes of each half swapped, as
            // releases before 1.6.3 wrote it on little-endian machines.
            let swapped = ((computed & 0x00ff_00ff) << 8) | ((computed >> 8) & 0x00ff_00ff)
            return recorded == computed || recorded == swapped
        }
    }
}
