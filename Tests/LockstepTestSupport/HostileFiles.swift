import CHDF5
import Foundation
import LockstepHDF5

/// Crafts hostile HDF5 objects that Lockstep's own writer never makes, with the C API:
/// links and datasets that read from other files, and datasets whose declared shape their
/// storage does not hold. Each replaces (or adds) the object `name` in the group `group` of
/// the existing file at `path`.
public enum HostileFiles {
    /// Replaces `group/name` with an external link to `object` in `target`.
    public static func externalLink(in path: String, group: String, name: String, target: String, object: String) throws {
        try editing(path, group, replacing: name) { id in
            H5Lcreate_external(target, object, id, name, lockstep_h5p_default(), lockstep_h5p_default())
        }
    }

    /// Replaces `group/name` with a soft link to `object` inside the file.
    public static func softLink(in path: String, group: String, name: String, object: String) throws {
        try editing(path, group, replacing: name) { id in H5Lcreate_soft(object, id, name, lockstep_h5p_default(), lockstep_h5p_default()) }
    }

    /// Replaces `group/name` with a float32 virtual dataset of `shape` mapped whole onto
    /// `sourceDataset` in `sourceFile` (`"."`: this file).
    public static func virtualDataset(
        in path: String, group: String, name: String, shape: [Int], sourceFile: String, sourceDataset: String
    ) throws {
        try creating(path, group, name, shape) { space, dcpl in
            H5Pset_virtual(dcpl, space, sourceFile, sourceDataset, space)
        }
    }

    /// Replaces `group/name` with a float32 dataset of `shape` whose raw data is stored in
    /// `externalFile`, from its first byte.
    public static func externalStorage(in path: String, group: String, name: String, shape: [Int], externalFile: String) throws {
        try creating(path, group, name, shape) { _, dcpl in
            H5Pset_external(dcpl, externalFile, 0, hsize_t(shape.reduce(4, *)))
        }
    }

    /// Replaces `group/name` with a float32 (or int8) dataset of `shape` (chunked as `chunk`,
    /// with gzip when `gzip`, or contiguous without `chunk`) whose data is never written: its
    /// storage holds none of what the shape declares.
    public static func unwrittenDataset(
        in path: String, group: String, name: String, shape: [Int], chunk: [Int]?, gzip: Bool = false, int8: Bool = false
    ) throws {
        try creating(path, group, name, shape, type: int8 ? lockstep_h5t_std_i8le() : lockstep_h5t_ieee_f32le()) { _, dcpl in
            guard let chunk else { return 0 }
            guard H5Pset_chunk(dcpl, Int32(chunk.count), chunk.map { hsize_t($0) }) >= 0 else { return -1 }
            return gzip ? H5Pset_deflate(dcpl, 4) : 0
        }
    }

    /// Replaces `group/name` with a dataset of `values` stored as signed 8-bit integers.
    public static func int8Dataset(in path: String, group: String, name: String, values: [Int8]) throws {
        try editing(path, group, replacing: name) { id in
            var dims = [hsize_t(values.count)]
            let space = H5Screate_simple(1, &dims, nil)
            defer { H5Sclose(space) }
            let dataset = H5Dcreate2(
                id, name, lockstep_h5t_std_i8le(), space, lockstep_h5p_default(), lockstep_h5p_default(), lockstep_h5p_default())
            guard dataset >= 0 else { return -1 }
            defer { H5Dclose(dataset) }
            return values.withUnsafeBytes {
                H5Dwrite(dataset, lockstep_h5t_native_int8(), lockstep_h5s_all(), lockstep_h5s_all(), lockstep_h5p_default(), $0.baseAddress)
            }
        }
    }

    /// Writes `rows` into the existing dataset `group/name` (one row per index of its first
    /// axis), converted by HDF5 from signed 8-bit integers to its stored type.
    public static func int8Rows(in path: String, group: String, name: String, rows: [[Int8]]) throws {
        try editing(path, group) { id in
            let dataset = H5Dopen2(id, name, lockstep_h5p_default())
            guard dataset >= 0 else { return -1 }
            defer { H5Dclose(dataset) }
            // The data changes: its content digest would no longer hold, so it goes too.
            if H5Aexists(dataset, HDF5ContentDigest.attributeName) > 0 { H5Adelete(dataset, HDF5ContentDigest.attributeName) }
            return rows.flatMap { $0 }.withUnsafeBytes {
                H5Dwrite(dataset, lockstep_h5t_native_int8(), lockstep_h5s_all(), lockstep_h5s_all(), lockstep_h5p_default(), $0.baseAddress)
            }
        }
    }

    /// Sets the root attribute `name` to a fixed-length ASCII string (h5py's type for `bytes`).
    public static func asciiAttribute(in path: String, name: String, value: String) throws {
        try editing(path, "/") { id in
            let bytes = Array(value.utf8)
            let type = H5Tcopy(lockstep_h5t_c_s1())
            defer { H5Tclose(type) }
            H5Tset_size(type, max(1, bytes.count))
            H5Tset_strpad(type, H5T_STR_NULLPAD)
            H5Tset_cset(type, H5T_CSET_ASCII)
            let space = H5Screate(H5S_SCALAR)
            defer { H5Sclose(space) }
            if H5Aexists(id, name) > 0 { H5Adelete(id, name) }
            let attribute = H5Acreate2(id, name, type, space, lockstep_h5p_default(), lockstep_h5p_default())
            guard attribute >= 0 else { return -1 }
            defer { H5Aclose(attribute) }
            return bytes.withUnsafeBytes { H5Awrite(attribute, type, $0.baseAddress) }
        }
    }

    /// Replaces `group/name` with a dataset of `shape` and `type` whose creation property list
    /// `configure` fills (given the dataspace); its data is not written.
    private static func creating(
        _ path: String, _ group: String, _ name: String, _ shape: [Int], type: hid_t = lockstep_h5t_ieee_f32le(),
        _ configure: (hid_t, hid_t) -> herr_t
    ) throws {
        try editing(path, group, replacing: name) { id in
            let dims = shape.map { hsize_t($0) }
            let space = H5Screate_simple(Int32(dims.count), dims, nil)
            defer { H5Sclose(space) }
            let dcpl = H5Pcreate(lockstep_h5p_dataset_create())
            defer { H5Pclose(dcpl) }
            guard configure(space, dcpl) >= 0 else { return -1 }
            let dataset = H5Dcreate2(id, name, type, space, lockstep_h5p_default(), dcpl, lockstep_h5p_default())
            guard dataset >= 0 else { return -1 }
            return H5Dclose(dataset)
        }
    }

    /// Opens `path` for writing and `group` in it, removes `group/name`'s link if the body
    /// replaces one, and runs `body` on the group; a negative result is an error.
    private static func editing(_ path: String, _ group: String, replacing name: String? = nil, _ body: (hid_t) -> herr_t) throws {
        try withHDF5LibraryLock { try edit(path, group, replacing: name, body) }
    }

    private static func edit(_ path: String, _ group: String, replacing name: String?, _ body: (hid_t) -> herr_t) throws {
        let file = H5Fopen(path, lockstep_h5f_acc_rdwr(), lockstep_h5p_default())
        guard file >= 0 else { throw CraftError(message: "cannot open \(path)") }
        defer { H5Fclose(file) }
        let id = H5Gopen2(file, group, lockstep_h5p_default())
        guard id >= 0 else { throw CraftError(message: "cannot open \(group) in \(path)") }
        defer { H5Gclose(id) }
        if let name, H5Lexists(id, name, lockstep_h5p_default()) > 0 { H5Ldelete(id, name, lockstep_h5p_default()) }
        guard body(id) >= 0 else { throw CraftError(message: "cannot craft \(group) in \(path)") }
        // A crafted file no longer promises content digests (format extension 18) on every
        // dataset: what is crafted here is refused for what it is, not for a missing digest.
        if H5Aexists(file, "content_digest") > 0 { H5Adelete(file, "content_digest") }
    }

    /// Rewrites the stored bytes of the chunk at `index` of the first axis of `dataset` (as
    /// stored: after a `fletcher32` filter, its 4 checksum bytes last) with `transform`, and
    /// writes them back raw, so that no filter runs: what a damaged disk or a careless tool
    /// leaves. The file keeps its content digests: they no longer hold.
    public static func rewriteChunk(in path: String, dataset: String, index: Int, _ transform: (inout [UInt8]) -> Void) throws {
        try editingDataset(path, dataset) { id, space in
            var offset = [hsize_t](repeating: 0, count: Int(H5Sget_simple_extent_ndims(space)))
            offset[0] = hsize_t(index)
            var size: hsize_t = 0
            guard H5Dget_chunk_storage_size(id, offset, &size) >= 0 else { throw CraftError(message: "no chunk \(index)") }
            var bytes = [UInt8](repeating: 0, count: Int(size))
            var mask: UInt32 = 0
            guard H5Dread_chunk(id, lockstep_h5p_default(), offset, &mask, &bytes) >= 0 else {
                throw CraftError(message: "cannot read chunk \(index)")
            }
            transform(&bytes)
            guard H5Dwrite_chunk(id, lockstep_h5p_default(), mask, offset, bytes.count, bytes) >= 0 else {
                throw CraftError(message: "cannot write chunk \(index)")
            }
        }
    }

    /// Overwrites row `row` of the float32 dataset `dataset` with `values` through HDF5, whose
    /// filters run again (the `fletcher32` checksum agrees with the new data); the content
    /// digest does not.
    public static func overwriteRow(in path: String, dataset: String, row: Int, values: [Float]) throws {
        try editingDataset(path, dataset) { id, space in
            var dims = [hsize_t](repeating: 0, count: Int(H5Sget_simple_extent_ndims(space)))
            H5Sget_simple_extent_dims(space, &dims, nil)
            var start = [hsize_t](repeating: 0, count: dims.count)
            start[0] = hsize_t(row)
            dims[0] = 1
            H5Sselect_hyperslab(space, H5S_SELECT_SET, start, nil, dims, nil)
            var memoryDims = [hsize_t(values.count)]
            let memory = H5Screate_simple(1, &memoryDims, nil)
            defer { H5Sclose(memory) }
            guard H5Dwrite(id, lockstep_h5t_native_float(), memory, space, lockstep_h5p_default(), values) >= 0 else {
                throw CraftError(message: "cannot write row \(row) of \(dataset)")
            }
        }
    }

    /// Opens `dataset` in the file at `path` for writing and runs `body` on it and its dataspace.
    private static func editingDataset(_ path: String, _ dataset: String, _ body: (hid_t, hid_t) throws -> Void) throws {
        try withHDF5LibraryLock {
            let file = H5Fopen(path, lockstep_h5f_acc_rdwr(), lockstep_h5p_default())
            guard file >= 0 else { throw CraftError(message: "cannot open \(path)") }
            defer { H5Fclose(file) }
            let id = H5Dopen2(file, dataset, lockstep_h5p_default())
            guard id >= 0 else { throw CraftError(message: "cannot open \(dataset) in \(path)") }
            defer { H5Dclose(id) }
            let space = H5Dget_space(id)
            defer { H5Sclose(space) }
            try body(id, space)
        }
    }

    /// Removes every content digest from the file at `path` (format extension 18: the root
    /// attribute `content_digest` and each dataset's `crc32c`), as a file written before it.
    public static func removeContentDigests(in path: String) throws {
        final class Names { var list: [String] = [] }
        try withHDF5LibraryLock {
            let file = H5Fopen(path, lockstep_h5f_acc_rdwr(), lockstep_h5p_default())
            guard file >= 0 else { throw CraftError(message: "cannot open \(path)") }
            defer { H5Fclose(file) }
            let names = Names()
            let context = Unmanaged.passUnretained(names).toOpaque()
            _ = H5Lvisit(file, H5_INDEX_NAME, H5_ITER_INC, { _, name, _, context in
                if let name, let context { Unmanaged<Names>.fromOpaque(context).takeUnretainedValue().list.append(String(cString: name)) }
                return 0
            }, context)
            let attribute = HDF5ContentDigest.attributeName
            for name in names.list where H5Aexists_by_name(file, name, attribute, lockstep_h5p_default()) > 0 {
                H5Adelete_by_name(file, name, attribute, lockstep_h5p_default())
            }
            if H5Aexists(file, "content_digest") > 0 { H5Adelete(file, "content_digest") }
        }
    }

    /// Rebuilds `group` (a full path) with HDF5's default link storage, which moves the links
    /// of a group of more than eight members out of its checksummed object header into a
    /// fractal heap whose blocks carry no checksum (as files written without our writers'
    /// compact setting keep them). Its members are copied, so the content is the same.
    public static func storeLinksDensely(in path: String, group: String) throws {
        try withHDF5LibraryLock {
            let file = H5Fopen(path, lockstep_h5f_acc_rdwr(), lockstep_h5p_default())
            guard file >= 0 else { throw CraftError(message: "cannot open \(path)") }
            defer { H5Fclose(file) }
            let moved = group + "_compact"
            guard H5Lmove(file, group, file, moved, lockstep_h5p_default(), lockstep_h5p_default()) >= 0 else {
                throw CraftError(message: "cannot move \(group) in \(path)")
            }
            let old = H5Gopen2(file, moved, lockstep_h5p_default())
            guard old >= 0 else { throw CraftError(message: "cannot open \(moved) in \(path)") }
            let gcpl = H5Pcreate(lockstep_h5p_group_create())
            defer { H5Pclose(gcpl) }
            H5Pset_link_phase_change(gcpl, 8, 6)  // HDF5's defaults
            let new = H5Gcreate2(file, group, lockstep_h5p_default(), gcpl, lockstep_h5p_default())
            guard new >= 0 else {
                H5Gclose(old)
                throw CraftError(message: "cannot create \(group) in \(path)")
            }
            var info = H5G_info_t()
            H5Gget_info(old, &info)
            for index in 0..<info.nlinks {
                var name = [CChar](repeating: 0, count: 1024)
                H5Lget_name_by_idx(old, ".", H5_INDEX_NAME, H5_ITER_INC, index, &name, name.count, lockstep_h5p_default())
                H5Ocopy(old, name, new, name, lockstep_h5p_default(), lockstep_h5p_default())
            }
            H5Gclose(new)
            H5Gclose(old)
            H5Ldelete(file, moved, lockstep_h5p_default())
        }
    }

    /// Removes `group/name` from the file at `path`.
    public static func remove(in path: String, group: String, name: String) throws {
        try editing(path, group) { id in H5Ldelete(id, name, lockstep_h5p_default()) }
    }

    public struct CraftError: Error { public var message: String }
}
