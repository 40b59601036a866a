// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Lockstep",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "verify", targets: ["verify"]),
        .executable(name: "lockstep-bench", targets: ["lockstep-bench"]),
        .executable(name: "lockstep-fuzz", targets: ["lockstep-fuzz"]),
        // What a package that verifies its own optimizer imports.
        .library(name: "LockstepOptim", targets: ["LockstepOptim"]),
        .library(name: "LockstepJSON", targets: ["LockstepJSON"]),
        .library(name: "LockstepFormat", targets: ["LockstepFormat"]),
        .library(name: "LockstepHarness", targets: ["LockstepHarness"]),
        .library(name: "LockstepTesting", targets: ["LockstepTesting"]),
        .library(name: "LockstepDiagnosis", targets: ["LockstepDiagnosis"]),
        .library(name: "LockstepCLI", targets: ["LockstepCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.0.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.0"),
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // MARK: HDF5: the C library, and a safe Swift layer over it.
        .systemLibrary(
            name: "CHDF5",
            pkgConfig: "hdf5",
            providers: [.apt(["libhdf5-dev"])]
        ),
        // CRC-32C content digests (format extension 18), with SSE4.2 or arm64's CRC where present.
        .target(name: "CLockstepDigest"),
        .target(name: "LockstepHDF5", dependencies: ["CHDF5", "CLockstepDigest"]),

        // MARK: JSON values that round-trip every Double (torch's param_groups, schedulers).
        .target(name: "LockstepJSON"),

        // MARK: The golden-fixture format, on top of the HDF5 layer.
        .target(name: "LockstepFormat", dependencies: ["LockstepHDF5", "LockstepJSON"]),

        // MARK: The optimizers: pure Swift, no HDF5; the memory-bound element loops in a thin
        // C module compiled for several instruction sets and chosen at run time.
        .target(name: "CLockstepKernels"),
        .target(
            name: "LockstepOptim",
            dependencies: ["CLockstepKernels", "LockstepJSON", .product(name: "RealModule", package: "swift-numerics")]
        ),

        // MARK: The verification harness joins fixtures and optimizers.
        .target(name: "LockstepHarness", dependencies: ["LockstepFormat", "LockstepOptim"]),

        // MARK: Why a replay fails, and whether fixtures can fail at all: a catalogue of
        // conventions and porting bugs (variants on the open optimizer API), `explain`, and
        // mutation testing.
        .target(name: "LockstepDiagnosis", dependencies: ["LockstepHarness", "LockstepFormat", "LockstepOptim"]),

        // MARK: Swift Testing helpers: verify a fixture, or check the optimizer laws, from a
        // user's own test target.
        .target(
            name: "LockstepTesting",
            dependencies: [
                "LockstepHarness", "LockstepFormat", "LockstepOptim",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),

        // MARK: The `verify` command: a library for testability, and a thin executable.
        .target(
            name: "LockstepCLI",
            dependencies: [
                "LockstepHarness",
                "LockstepDiagnosis",
                "LockstepOptim",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "verify", dependencies: ["LockstepCLI"]),

        // MARK: `lockstep-bench`: optimizer steps against a memory-bandwidth roofline
        // (`bash tools/bench` builds it in release mode; it is not a test).
        .executableTarget(
            name: "lockstep-bench",
            dependencies: ["LockstepOptim", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),

        // MARK: `lockstep-fuzz`: the coverage-guided fuzz target on the reader and the replay.
        // `bash tools/libfuzz` builds it with `-sanitize=fuzzer -D LOCKSTEP_LIBFUZZER` (libFuzzer
        // supplies `main`); the ordinary build runs the same target on files named on the
        // command line, to reproduce a finding (docs/fuzzing.md).
        .executableTarget(name: "lockstep-fuzz", dependencies: ["LockstepHarness", "LockstepFormat"]),

        // MARK: Tests mirror the targets; LockstepTestSupport holds what they share.
        .target(name: "LockstepTestSupport", dependencies: ["CHDF5", "LockstepHDF5"], path: "Tests/LockstepTestSupport"),
        .testTarget(name: "LockstepHDF5Tests", dependencies: ["LockstepHDF5", "CLockstepDigest", "LockstepTestSupport"]),
        .testTarget(name: "LockstepFormatTests", dependencies: ["LockstepFormat", "LockstepTestSupport"]),
        .testTarget(
            name: "LockstepOptimTests",
            dependencies: ["LockstepOptim", "LockstepTesting", .product(name: "PropertyBased", package: "swift-property-based")]),
        .testTarget(
            name: "LockstepHarnessTests",
            dependencies: ["LockstepHarness", "LockstepFormat", "LockstepTesting", "LockstepTestSupport"]),
        .testTarget(
            name: "LockstepDiagnosisTests",
            dependencies: ["LockstepDiagnosis", "LockstepHarness", "LockstepFormat", "LockstepOptim", "LockstepTestSupport"]),
        .testTarget(name: "LockstepTestingTests", dependencies: ["LockstepTesting", "LockstepHDF5", "LockstepTestSupport"]),
        .testTarget(
            name: "LockstepCLITests",
            dependencies: ["LockstepCLI", "LockstepDiagnosis", "LockstepHarness", "LockstepHDF5", "LockstepTestSupport", "verify"]),
        .testTarget(name: "LockstepFuzzTests", dependencies: ["lockstep-fuzz", "LockstepTestSupport"]),
    ]
)
