import LockstepOptim

/// One optimizer under test: how to build it over one parameter, and the bytes one step
/// moves per element (every tensor it reads, plus every tensor it writes).
struct BenchCase {
    let name: String
    /// What is read and written per element, for the report.
    let traffic: String
    let bytesPerElement: Int
    /// The tensors updated in place (each read and written); the gradient is read besides.
    var writtenTensors: Int { (bytesPerElement / 4 - 1) / 2 }
    let make: (Parameter<Float>, Parallelism) throws -> any ParallelOptimizer

    /// The cases of the issue: torch's fused CPU kernels, which the Swift fused paths
    /// reproduce bit for bit.
    static var all: [BenchCase] {
        [
        BenchCase(name: "AdamW", traffic: "read p, g, m, v; write p, m, v", bytesPerElement: 28) { p, parallelism in
            let optimizer = try AdamW([p], lr: 1e-3, weightDecay: 1e-2, fused: true)
            optimizer.parallelism = parallelism
            return optimizer
        },
        BenchCase(name: "Adam", traffic: "read p, g, m, v; write p, m, v", bytesPerElement: 28) { p, parallelism in
            let optimizer = try Adam([p], lr: 1e-3, fused: true)
            optimizer.parallelism = parallelism
            return optimizer
        },
        BenchCase(name: "SGD", traffic: "momentum 0.9: read p, g, b; write p, b", bytesPerElement: 20) { p, parallelism in
            let optimizer = try SGD([p], lr: 1e-3, momentum: 0.9, fused: true)
            optimizer.parallelism = parallelism
            return optimizer
        },
        BenchCase(name: "Adagrad", traffic: "read p, g, sum; write p, sum", bytesPerElement: 20) { p, parallelism in
            let optimizer = try Adagrad([p], lr: 1e-2, fused: true)
            optimizer.parallelism = parallelism
            return optimizer
        },
        ]
    }
}
