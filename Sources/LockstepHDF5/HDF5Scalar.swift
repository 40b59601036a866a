import CHDF5

/// A Swift number type with a native HDF5 memory type, so datasets and attributes can be
/// read into and written from arrays of it.
public protocol HDF5Scalar: Sendable {
    /// The HDF5 memory type of this Swift type (e.g. `H5T_NATIVE_FLOAT`).
    static var nativeType: hid_t { get }
    /// The little-endian file type written for this Swift type (e.g. `H5T_IEEE_F32LE`).
    static var fileType: hid_t { get }
    /// The stored type this Swift type reads without conversion.
    static var storedType: HDF5StoredType { get }
    static var zero: Self { get }
}

extension Float: HDF5Scalar {
    public static var nativeType: hid_t { lockstep_h5t_native_float() }
    public static var fileType: hid_t { lockstep_h5t_ieee_f32le() }
    public static var storedType: HDF5StoredType { .float(bits: 32) }
}

extension Double: HDF5Scalar {
    public static var nativeType: hid_t { lockstep_h5t_native_double() }
    public static var fileType: hid_t { lockstep_h5t_ieee_f64le() }
    public static var storedType: HDF5StoredType { .float(bits: 64) }
}

extension UInt8: HDF5Scalar {
    public static var nativeType: hid_t { lockstep_h5t_native_uint8() }
    public static var fileType: hid_t { lockstep_h5t_std_u8le() }
    public static var storedType: HDF5StoredType { .integer(bits: 8, signed: false) }
}

extension Int64: HDF5Scalar {
    public static var nativeType: hid_t { lockstep_h5t_native_int64() }
    public static var fileType: hid_t { lockstep_h5t_std_i64le() }
    public static var storedType: HDF5StoredType { .integer(bits: 64, signed: true) }
}

/// The element type of a dataset or attribute as it is stored in the file.
public enum HDF5StoredType: Sendable, Equatable, CustomStringConvertible {
    case float(bits: Int)
    case integer(bits: Int, signed: Bool)
    case string
    case other(String)

    public var isFloatingPoint: Bool { if case .float = self { true } else { false } }
    public var isInteger: Bool { if case .integer = self { true } else { false } }

    public var description: String {
        switch self {
        case .float(let bits): "float\(bits)"
        case .integer(let bits, let signed): (signed ? "int" : "uint") + "\(bits)"
        case .string: "string"
        case .other(let name): name
        }
    }

    /// Reads the stored type of an HDF5 datatype id. Call under the library lock.
    init(typeID: hid_t) {
        let size = H5Tget_size(typeID) * 8
        switch H5Tget_class(typeID) {
        case H5T_FLOAT: self = .float(bits: size)
        case H5T_INTEGER: self = .integer(bits: size, signed: H5Tget_sign(typeID) != H5T_SGN_NONE)
        case H5T_STRING: self = .string
        case H5T_COMPOUND: self = .other("compound")
        case H5T_ENUM: self = .other("enum")
        case H5T_ARRAY: self = .other("array")
        case H5T_VLEN: self = .other("variable-length sequence")
        case H5T_OPAQUE: self = .other("opaque")
        case H5T_REFERENCE: self = .other("reference")
        case H5T_BITFIELD: self = .other("bitfield")
        default: self = .other("unknown type")
        }
    }
}
