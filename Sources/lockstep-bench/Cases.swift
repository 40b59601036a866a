import LockstepOptim

/// One optimizer under test: how to build it over one parameter, and the bytes one step
/// moves per element (every tensor it reads, plus every tensor it writes).
struct BenchCase {
    let name: String
    let bytesPerElement: Int
    let make: (Parameter<Float>, Parallelism) throws -> any Optimizer<Float>

    /// The tensors updated in place (each read and written); the gradient is read besides.
    var writtenTensors: Int { (bytesPerElement / 4 - 1) / 2 }

    /// The cases of the issue, on the fused paths, which reproduce torch's fused CPU
    /// kernels bit for bit. Bytes: AdamW and Adam read p, g, m, v and write p, m, v; SGD
    /// (momentum) reads p, g, buffer and writes p, buffer; Adagrad reads p, g, sum and
    /// writes p, sum.
    static var all: [BenchCase] {
        [
            BenchCase(name: "AdamW", bytesPerElement: 28) { p, parallelism in
                let optimizer = try AdamW([p], .init(lr: 1e-3, weightDecay: 1e-2, fused: true))
                optimizer.parallelism = parallelism
                return optimizer
            },
            BenchCase(name: "Adam", bytesPerElement: 28) { p, parallelism in
                let optimizer = try Adam([p], .init(lr: 1e-3, fused: true))
                optimizer.parallelism = parallelism
                return optimizer
            },
            BenchCase(name: "SGD", bytesPerElement: 20) { p, parallelism in
                let optimizer = try SGD([p], .init(lr: 1e-3, momentum: 0.9, fused: true))
                optimizer.parallelism = parallelism
                return optimizer
            },
            BenchCase(name: "Adagrad", bytesPerElement: 20) { p, parallelism in
                let optimizer = try Adagrad([p], .init(lr: 1e-2, fused: true))
                optimizer.parallelism = parallelism
                return optimizer
            },
        ]
    }
}
