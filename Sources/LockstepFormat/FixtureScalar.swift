import LockstepHDF5

/// The floating-point types a fixture can hold: `Float` for `float32`, `Double` for `float64`.
public protocol FixtureScalar: HDF5Scalar, BinaryFloatingPoint {
    static var fixtureDType: FixtureHeader.DType { get }
}

extension Float: FixtureScalar {
    public static var fixtureDType: FixtureHeader.DType { .float32 }
}

extension Double: FixtureScalar {
    public static var fixtureDType: FixtureHeader.DType { .float64 }
}

extension FixtureHeader.DType {
    /// The HDF5 stored type of this dtype's datasets.
    public var storedType: HDF5StoredType {
        switch self {
        case .float32: .float(bits: 32)
        case .float64: .float(bits: 64)
        }
    }
}
