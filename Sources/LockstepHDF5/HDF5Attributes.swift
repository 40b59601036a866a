import CHDF5

/// Attributes of groups and datasets: read as strings (variable- or fixed-length),
/// integers or doubles; written as variable-length UTF-8 strings, int64 or float64.
extension HDF5Object {
    /// The names of this object's attributes.
    public func attributeNames() throws -> [String] {
        try HDF5Library.call {
            try NameCollector.collect(file: file.path, object: path, "the attributes") { context in
                var index: hsize_t = 0
                return H5Aiterate2(handle.id, H5_INDEX_NAME, H5_ITER_INC, &index, { _, name, _, context in
                    NameCollector.append(name, to: context)
                    return 0
                }, context)
            }
        }
    }

    /// Whether the attribute `name` exists.
    public func hasAttribute(_ name: String) throws -> Bool {
        try HDF5Library.call {
            let result = H5Aexists(handle.id, name)
            if result < 0 {
                throw error(
                    .libraryFailure, "cannot look up attribute '\(name)'", detail: HDF5Library.takeErrorStack())
            }
            return result > 0
        }
    }

    /// Opens attribute `name` and passes its id, file type and element count to `body`.
    private func withAttribute<R>(_ name: String, _ body: (hid_t, hid_t, Int) throws -> R) throws -> R {
        guard try hasAttribute(name) else { throw error(.notFound, "attribute '\(name)' not found") }
        return try HDF5Library.call {
            let attribute = try checkID(
                H5Aopen(handle.id, name, lockstep_h5p_default()), .libraryFailure, file: file.path, object: path,
                "cannot open attribute '\(name)'")
            defer { H5Aclose(attribute) }
            let type = try checkID(
                H5Aget_type(attribute), .libraryFailure, file: file.path, object: path,
                "cannot read the type of attribute '\(name)'")
            defer { H5Tclose(type) }
            let space = try checkID(
                H5Aget_space(attribute), .libraryFailure, file: file.path, object: path,
                "cannot read the dataspace of attribute '\(name)'")
            defer { H5Sclose(space) }
            let count = Int(H5Sget_simple_extent_npoints(space))
            return try body(attribute, type, count)
        }
    }

    /// Reads a string attribute, variable-length or fixed-length (trailing NULs and, for
    /// space-padded strings, spaces removed).
    public func stringAttribute(_ name: String) throws -> String {
        try withAttribute(name) { attribute, type, count in
            guard H5Tget_class(type) == H5T_STRING else {
                throw error(.typeMismatch, "attribute '\(name)' holds \(HDF5StoredType(typeID: type)), expected a string")
            }
            guard count == 1 else {
                throw error(.typeMismatch, "attribute '\(name)' holds \(count) strings, expected one")
            }
            let memoryType = H5Tcopy(lockstep_h5t_c_s1())
            defer { H5Tclose(memoryType) }
            // HDF5 converts no string between character sets (ASCII, h5py's for `bytes`, to
            // UTF-8 has no path): read in the file's own set; the bytes are checked as UTF-8.
            let cset = H5Tget_cset(type)
            H5Tset_cset(memoryType, cset == H5T_CSET_ASCII ? H5T_CSET_ASCII : H5T_CSET_UTF8)
            if H5Tis_variable_str(type) > 0 {
                H5Tset_size(memoryType, lockstep_h5t_variable())
                var pointer: UnsafeMutablePointer<CChar>? = nil
                try checkStatus(
                    H5Aread(attribute, memoryType, &pointer), file: file.path, object: path,
                    "cannot read attribute '\(name)'")
                defer { if let pointer { H5free_memory(pointer) } }
                guard let pointer else { return "" }
                guard let text = String(validatingCString: pointer) else {
                    throw error(.typeMismatch, "attribute '\(name)' is not valid UTF-8")
                }
                return text
            }
            let size = H5Tget_size(type)
            guard size < HDF5Dataset.memoryBudget else {
                throw error(
                    .badStorage,
                    "attribute '\(name)' declares a string of \(HDF5Dataset.describeBytes(size)), more than the memory budget of \(HDF5Dataset.describeBytes(HDF5Dataset.memoryBudget)) (LOCKSTEP_MEMORY_BUDGET)")
            }
            // A null-terminated memory type of the file's size would keep one byte for the
            // terminator and cut the last character: read the bytes padded instead.
            H5Tset_size(memoryType, size)
            H5Tset_strpad(memoryType, H5T_STR_NULLPAD)
            var bytes = [UInt8](repeating: 0, count: size + 1)
            try checkStatus(
                H5Aread(attribute, memoryType, &bytes), file: file.path, object: path,
                "cannot read attribute '\(name)'")
            var end = bytes.firstIndex(of: 0) ?? size
            if H5Tget_strpad(type) == H5T_STR_SPACEPAD {
                while end > 0, bytes[end - 1] == 0x20 { end -= 1 }
            }
            guard let text = String(validating: bytes[..<end], as: UTF8.self) else {
                throw error(.typeMismatch, "attribute '\(name)' is not valid UTF-8")
            }
            return text
        }
    }

    /// Reads a scalar integer attribute.
    public func integerAttribute(_ name: String) throws -> Int64 {
        try numberAttribute(name, as: Int64.self, classes: [H5T_INTEGER], expected: "an integer")
    }

    /// Reads a scalar floating-point (or integer) attribute as a double.
    public func doubleAttribute(_ name: String) throws -> Double {
        try numberAttribute(name, as: Double.self, classes: [H5T_FLOAT, H5T_INTEGER], expected: "a number")
    }

    /// Reads a one-element attribute of one of the type `classes`, converted to `T`.
    private func numberAttribute<T: HDF5Scalar>(
        _ name: String, as _: T.Type, classes: [H5T_class_t], expected: String
    ) throws -> T {
        try withAttribute(name) { attribute, type, count in
            guard classes.contains(H5Tget_class(type)) else {
                throw error(.typeMismatch, "attribute '\(name)' holds \(HDF5StoredType(typeID: type)), expected \(expected)")
            }
            guard count == 1 else { throw error(.typeMismatch, "attribute '\(name)' holds \(count) values, expected one") }
            var value = [T.zero]
            try value.withUnsafeMutableBytes { bytes in
                try checkStatus(
                    H5Aread(attribute, T.nativeType, bytes.baseAddress), file: file.path, object: path,
                    "cannot read attribute '\(name)'")
            }
            return value[0]
        }
    }

    /// The stored type of attribute `name`.
    public func attributeType(_ name: String) throws -> HDF5StoredType {
        try withAttribute(name) { _, type, _ in HDF5StoredType(typeID: type) }
    }

    /// Writes a scalar attribute with the given file type from `value`'s bytes.
    private func writeScalarAttribute(_ name: String, fileType: hid_t, memoryType: hid_t, _ value: UnsafeRawPointer) throws {
        try HDF5Library.call {
            let space = try checkID(
                H5Screate(H5S_SCALAR), .libraryFailure, file: file.path, object: path, "cannot create a dataspace")
            defer { H5Sclose(space) }
            if H5Aexists(handle.id, name) > 0 { H5Adelete(handle.id, name) }
            let attribute = try checkID(
                H5Acreate2(handle.id, name, fileType, space, lockstep_h5p_default(), lockstep_h5p_default()),
                .libraryFailure, file: file.path, object: path, "cannot create attribute '\(name)'")
            defer { H5Aclose(attribute) }
            try checkStatus(
                H5Awrite(attribute, memoryType, value), file: file.path, object: path,
                "cannot write attribute '\(name)'")
        }
    }

    /// Writes a UTF-8 string attribute (replacing one of that name): fixed-length and
    /// null-padded by default, or variable-length as h5py writes Python strings.
    ///
    /// Fixed-length strings are stored in the object header, which HDF5 1.10's format
    /// checksums; variable-length ones live in the global heap, which has no checksum.
    public func setAttribute(_ name: String, string value: String, variableLength: Bool = false) throws {
        let bytes = Array(value.utf8)
        let type = HDF5Library.call { () -> hid_t in
            let type = H5Tcopy(lockstep_h5t_c_s1())
            if variableLength {
                H5Tset_size(type, lockstep_h5t_variable())
            } else {
                H5Tset_size(type, max(1, bytes.count))
                H5Tset_strpad(type, H5T_STR_NULLPAD)
            }
            H5Tset_cset(type, H5T_CSET_UTF8)
            return type
        }
        defer { HDF5Library.call { _ = H5Tclose(type) } }
        if variableLength {
            try value.withCString { cString in
                var pointer: UnsafePointer<CChar>? = cString
                try writeScalarAttribute(name, fileType: type, memoryType: type, &pointer)
            }
            return
        }
        let padded = bytes.isEmpty ? [UInt8(0)] : bytes
        try padded.withUnsafeBytes { buffer in
            guard let base = buffer.baseAddress else { return }
            try writeScalarAttribute(name, fileType: type, memoryType: type, base)
        }
    }

    /// Removes attribute `name`.
    public func removeAttribute(_ name: String) throws {
        try HDF5Library.call {
            try checkStatus(H5Adelete(handle.id, name), .notFound, file: file.path, object: path, "cannot remove attribute '\(name)'")
        }
    }

    /// Writes a one-dimensional attribute of unsigned 32-bit integers (replacing one of that
    /// name), such as the content digests (``HDF5ContentDigest``).
    public func setAttribute(_ name: String, uint32s values: [UInt32]) throws {
        try HDF5Library.call {
            var dims = [hsize_t(values.count)]
            let space = try checkID(
                H5Screate_simple(1, &dims, nil), .libraryFailure, file: file.path, object: path, "cannot create a dataspace")
            defer { H5Sclose(space) }
            if H5Aexists(handle.id, name) > 0 { H5Adelete(handle.id, name) }
            let attribute = try checkID(
                H5Acreate2(handle.id, name, lockstep_h5t_std_u32le(), space, lockstep_h5p_default(), lockstep_h5p_default()),
                .libraryFailure, file: file.path, object: path, "cannot create attribute '\(name)'")
            defer { H5Aclose(attribute) }
            try checkStatus(
                H5Awrite(attribute, lockstep_h5t_native_uint32(), values), file: file.path, object: path,
                "cannot write attribute '\(name)'")
        }
    }

    /// Writes a scalar int64 attribute (replacing one of that name).
    public func setAttribute(_ name: String, integer value: Int64) throws {
        var value = value
        try writeScalarAttribute(name, fileType: Int64.fileType, memoryType: Int64.nativeType, &value)
    }

    /// Writes a scalar float64 attribute (replacing one of that name).
    public func setAttribute(_ name: String, double value: Double) throws {
        var value = value
        try writeScalarAttribute(name, fileType: Double.fileType, memoryType: Double.nativeType, &value)
    }
}
