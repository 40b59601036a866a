// swift-tools-version: 6.1
// A user's package: Lion in Swift, verified against goldens recorded from a torch Lion.
// It depends on Lockstep by a relative path and edits nothing of it.
import PackageDescription

let package = Package(
    name: "CustomOptimizer",
    platforms: [.macOS(.v15)],
    products: [.library(name: "Lion", targets: ["Lion"])],
    dependencies: [.package(name: "Lockstep", path: "../../..")],
    targets: [
        .target(name: "Lion", dependencies: [.product(name: "LockstepOptim", package: "Lockstep")]),
        // `swift run verify-lion --fixture fixtures/lion_two_groups_f32.h5`: Lockstep's
        // `verify` with Lion added, the same flags, output and exit codes.
        .executableTarget(
            name: "verify-lion", dependencies: ["Lion", .product(name: "LockstepCLI", package: "Lockstep")]),
        .testTarget(
            name: "LionTests", dependencies: ["Lion", .product(name: "LockstepTesting", package: "Lockstep")]),
    ]
)
