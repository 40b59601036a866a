import CHDF5
import CLockstepDigest
import Foundation

/// Content digests (fixture format extension 18): a dataset's attribute `crc32c`, one
/// CRC-32C per row when the dataset is chunked one row (index of its first axis) per chunk,
/// else one for the whole dataset, over the elements in row-major order as the little-endian
/// bytes of the stored type. Fletcher-32, HDF5's own chunk checksum, cannot tell a 16-bit
/// word 0x0000 from 0xFFFF, and a zeroed chunk with a zeroed checksum passes it; CRC-32C
/// catches every change of up to 32 consecutive bits and all but one in 2^32 of the rest.
///
/// ``HDF5Dataset`` checks the digest of every row and every whole dataset it reads, when the
/// dataset has one, and a mismatch is an ``HDF5Error`` of kind `.changedData`.
public enum HDF5ContentDigest {
    /// The attribute that holds a dataset's digests, named after the algorithm.
    public static let attributeName = "crc32c"

    /// The CRC-32C of `bytes`, continuing `crc` (0 to start).
    public static func crc32c(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return crc }
        return lockstep_crc32c(crc, base, bytes.count)
    }

    /// Which implementation computes it on this machine: `sse4.2`, `armv8-crc` or `table`.
    public static var implementation: String { String(cString: lockstep_crc32c_implementation()) }

    /// The digests of `values` (row-major, the memory type's bytes, which are the
    /// little-endian file type's on every platform Lockstep builds for): one per row of
    /// `rowCount` rows when `byRow`, else one.
    static func digests(_ bytes: UnsafeRawBufferPointer, rows rowCount: Int, byRow: Bool) -> [UInt32] {
        guard byRow, rowCount > 0 else { return [crc32c(bytes)] }
        let rowBytes = bytes.count / rowCount
        return (0..<rowCount).map { row in
            crc32c(UnsafeRawBufferPointer(rebasing: bytes[row * rowBytes..<(row + 1) * rowBytes]))
        }
    }
}

extension HDF5Dataset {
    /// A dataset's recorded digests.
    public struct ContentDigest: Sendable {
        /// One per row (``byRow``) or one for the whole dataset.
        public let values: [UInt32]
        /// Whether each entry covers a row: the dataset is chunked one row per chunk.
        public let byRow: Bool
    }

    /// Reads the `crc32c` attribute of the open dataset `id`, or returns `nil` when there is
    /// none or the dataset holds no element. Call under the library lock.
    static func loadDigest(_ id: hid_t, file: HDF5File, path: String, shape: [Int], byRow: Bool) throws -> ContentDigest? {
        let name = HDF5ContentDigest.attributeName
        func refuse(_ message: String) -> HDF5Error {
            HDF5Error(.badStorage, file: file.path, object: path, message: message, detail: HDF5Library.takeErrorStack())
        }
        let exists = H5Aexists(id, name)
        guard exists > 0 else {
            if exists < 0 { throw refuse("cannot look up attribute '\(name)'") }
            return nil
        }
        guard shape.reduce(1, *) > 0 else { return nil }
        let attribute = H5Aopen(id, name, lockstep_h5p_default())
        guard attribute >= 0 else { throw refuse("cannot open attribute '\(name)'") }
        defer { H5Aclose(attribute) }
        let type = H5Aget_type(attribute)
        guard type >= 0 else { throw refuse("cannot read the type of attribute '\(name)'") }
        defer { H5Tclose(type) }
        let space = H5Aget_space(attribute)
        guard space >= 0 else { throw refuse("cannot read the dataspace of attribute '\(name)'") }
        defer { H5Sclose(space) }
        let expected = byRow ? shape[0] : 1
        let what = byRow ? "one per row: the dataset is chunked one row per chunk" : "one for the whole dataset"
        guard H5Tget_class(type) == H5T_INTEGER, H5Tget_size(type) == 4, H5Tget_sign(type) == H5T_SGN_NONE else {
            throw refuse("attribute '\(name)' holds \(HDF5StoredType(typeID: type)), expected unsigned 32-bit integers (content digests)")
        }
        let count = Int(H5Sget_simple_extent_npoints(space))
        guard H5Sget_simple_extent_ndims(space) <= 1, count == expected else {
            throw refuse("attribute '\(name)' holds \(max(count, 0)) content digests, expected \(expected) (\(what))")
        }
        var values = [UInt32](repeating: 0, count: count)
        guard H5Aread(attribute, lockstep_h5t_native_uint32(), &values) >= 0 else { throw refuse("cannot read attribute '\(name)'") }
        return ContentDigest(values: values, byRow: byRow)
    }

    /// Whether the chunks of the dataset `id` are its rows. Call under the library lock.
    static func chunkedByRow(_ id: hid_t, shape: [Int]) -> Bool {
        defer { _ = H5Eclear2(lockstep_h5e_default()) }
        guard !shape.isEmpty else { return false }
        let dcpl = H5Dget_create_plist(id)
        guard dcpl >= 0 else { return false }
        defer { H5Pclose(dcpl) }
        guard H5Pget_layout(dcpl) == H5D_CHUNKED else { return false }
        var chunk = [hsize_t](repeating: 0, count: shape.count)
        guard H5Pget_chunk(dcpl, Int32(chunk.count), &chunk) == Int32(shape.count) else { return false }
        return chunk.first == 1 && chunk.dropFirst() == shape.dropFirst().map { hsize_t($0) }[...]
    }

    /// Throws unless `bytes` (row `row`'s elements, or the whole dataset's when `row` is `nil`,
    /// as the stored type's little-endian bytes) agree with the recorded digest.
    func checkDigest(_ bytes: UnsafeRawBufferPointer, row: Int?) throws {
        guard let digest = contentDigest else { return }
        if let row {
            guard digest.byRow else { return }
            if HDF5ContentDigest.crc32c(bytes) != digest.values[row] { throw digestMismatch(row: row) }
            return
        }
        if digest.byRow {
            let rows = shape[0]
            let rowBytes = bytes.count / rows
            for row in 0..<rows
            where HDF5ContentDigest.crc32c(UnsafeRawBufferPointer(rebasing: bytes[row * rowBytes..<(row + 1) * rowBytes]))
                != digest.values[row]
            {
                throw digestMismatch(row: row)
            }
        } else if HDF5ContentDigest.crc32c(bytes) != digest.values[0] {
            throw digestMismatch(row: nil)
        }
    }

    private func digestMismatch(row: Int?) -> HDF5Error {
        let place = row.map { " in row \($0) (chunk \($0))" } ?? ""
        return error(.changedData, "content digest mismatch\(place): the data was changed after it was written")
    }

    /// Checks the digest of data read as `T` (row `row`, or all of it): directly when `T` is
    /// the stored type, else by reading the stored bytes again.
    func checkDigest<T: HDF5Scalar>(of values: [T], row: Int?) throws {
        guard let digest = contentDigest else { return }
        if row != nil, !digest.byRow {
            // A dataset with one digest, read a row at a time: the whole is checked once.
            guard !wholeDigestChecked.isSet else { return }
            try checkStoredBytes(row: nil)
            wholeDigestChecked.set()
            return
        }
        if T.nativeType == storedNativeType {
            try values.withUnsafeBytes { try checkDigest($0, row: row) }
        } else {
            try checkStoredBytes(row: row)
        }
    }

    /// Reads row `row` (or everything) as the stored type's native equivalent and checks it.
    private func checkStoredBytes(row: Int?) throws {
        let rowCount = shape.isEmpty ? 1 : shape.dropFirst().reduce(1, *)
        let elements = row == nil ? count : rowCount
        let bytes = try HDF5Library.call { () -> [UInt8] in
            let fileType = try checkID(H5Dget_type(handle.id), .libraryFailure, file: file.path, object: path, "cannot read the datatype")
            defer { H5Tclose(fileType) }
            let memoryType = try checkID(
                H5Tget_native_type(fileType, H5T_DIR_ASCEND), .libraryFailure, file: file.path, object: path,
                "cannot find a native type for the content digest")
            defer { H5Tclose(memoryType) }
            let size = H5Tget_size(memoryType)
            try checkBudget(elements * size, UInt8.self, what: "checking the content digest")
            var bytes = [UInt8](repeating: 0, count: elements * size)
            var memorySpace = lockstep_h5s_all()
            var fileSpace = lockstep_h5s_all()
            if let row {
                fileSpace = try checkID(H5Dget_space(handle.id), .libraryFailure, file: file.path, object: path, "cannot read the dataspace")
                var start = [hsize_t](repeating: 0, count: shape.count)
                start[0] = hsize_t(row)
                var countPerAxis = shape.map { hsize_t($0) }
                countPerAxis[0] = 1
                H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, start, nil, countPerAxis, nil)
                var memoryDims = [hsize_t(rowCount)]
                memorySpace = H5Screate_simple(1, &memoryDims, nil)
            }
            defer {
                if row != nil {
                    H5Sclose(fileSpace)
                    H5Sclose(memorySpace)
                }
            }
            try checkStatus(
                H5Dread(handle.id, memoryType, memorySpace, fileSpace, lockstep_h5p_default(), &bytes),
                file: file.path, object: path, "cannot read the data to check its content digest")
            return bytes
        }
        try bytes.withUnsafeBytes { try checkDigest($0, row: row) }
    }
}

/// A flag set once, read from any thread.
final class OnceFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false

    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}
