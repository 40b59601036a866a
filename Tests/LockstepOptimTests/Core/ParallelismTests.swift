import Foundation
import Testing

@testable import LockstepOptim

/// Splitting a tensor's step across threads never changes a bit: every element depends on
/// its own values and on its position in the whole tensor, never on the chunk it is in.
@Suite("Parallelism")
struct ParallelismTests {
    @Test(arguments: [1, 37, 64, 1000, 100_003])
    func chunksCoverTheTensorInOrder(count: Int) {
        for parallelism in [
            Parallelism.serial, Parallelism(threads: 2, minimumElementsPerThread: 1),
            Parallelism(threads: 3, minimumElementsPerThread: 1, chunkAlignment: 1), Parallelism(threads: 8),
        ] {
            let chunks = parallelism.chunks(count: count)
            #expect(chunks.first?.lowerBound == 0 && chunks.last?.upperBound == count)
            #expect(zip(chunks, chunks.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
            #expect(chunks.count <= parallelism.threads && chunks.allSatisfy { !$0.isEmpty || count == 0 })
            #expect(chunks.dropFirst().allSatisfy { $0.lowerBound % parallelism.chunkAlignment == 0 })
        }
    }

    @Test func smallTensorsStayOnTheCallingThread() {
        #expect(Parallelism(threads: 4).chunks(count: 40_000) == [0..<40_000])
        #expect(Parallelism(threads: 4).chunks(count: 200_000).count == 4)
    }

    @Test func anEmptyTensorStepsWithoutTouchingMemory() throws {
        let p = Parameter<Float>([])
        try p.setGrad([])
        for optimizer in [
            try AdamW([p], .init(weightDecay: 1e-2, fused: true)) as any Optimizer, try SGD([p], .init(momentum: 0.9, fused: true)),
            try Adagrad([p]),
        ] {
            try optimizer.step()
            try optimizer.step()
        }
        #expect(p.value.isEmpty)
    }

    /// Splits that cut SIMD blocks and the fused kernels' tails at odd positions.
    static let splits = [
        Parallelism(threads: 2, minimumElementsPerThread: 1, chunkAlignment: 1),
        Parallelism(threads: 3, minimumElementsPerThread: 1, chunkAlignment: 5),
        Parallelism(threads: 4, minimumElementsPerThread: 1),
    ]

    /// Every flag that changes the element loop, on tensors with a fused tail and epilogue.
    @Test(arguments: [1_037, 4_099])
    func everyKernelGivesTheSameBitsOnAnyNumberOfThreads(count: Int) throws {
        try expectSplitInvariant(count: count, as: Float.self)
        try expectSplitInvariant(count: count, as: Double.self)
    }

    private func expectSplitInvariant<Scalar: TensorScalar>(count: Int, as _: Scalar.Type) throws {
        let adams: [Adam<Scalar>.Options] = [
            .init(weightDecay: 0.1, fused: true, decoupledWeightDecay: true),
            .init(weightDecay: 0.1, amsgrad: true, maximize: true, fused: true),
            .init(betas: Betas(0.2, 0.999), amsgrad: true),
        ]
        for options in adams {
            for capability in TorchCPUCapability.allCases {
                try expectSame(count: count, Scalar.self) { p, parallelism in
                    let optimizer = try Adam(groups: [ParamGroup(params: [p], options: options)], cpuCapability: capability)
                    optimizer.parallelism = parallelism
                    return optimizer
                }
            }
        }
        let sgds: [SGD<Scalar>.Options] = [
            .init(lr: 0.1, momentum: 0.9, dampening: 0.2, weightDecay: 0.1, fused: true),
            .init(lr: 0.1, momentum: 0.9, nesterov: true, maximize: true),
            .init(lr: 0.1, weightDecay: 0.1, fused: true),
        ]
        for options in sgds {
            try expectSame(count: count, Scalar.self) { p, parallelism in
                let optimizer = try SGD(groups: [ParamGroup(params: [p], options: options)])
                optimizer.parallelism = parallelism
                return optimizer
            }
        }
        for options in [Adagrad<Scalar>.Options(lrDecay: 0.1, weightDecay: 0.1, fused: true), .init(maximize: true)] {
            try expectSame(count: count, Scalar.self) { p, parallelism in
                let optimizer = try Adagrad(groups: [ParamGroup(params: [p], options: options)], defaults: options)
                optimizer.parallelism = parallelism
                return optimizer
            }
        }
    }

    /// Three steps serially and under every split: the parameters and state agree bit for bit.
    private func expectSame<Scalar: TensorScalar, O: Optimizer>(
        count: Int, _: Scalar.Type, _ make: (Parameter<Scalar>, Parallelism) throws -> O
    ) throws where O.Scalar == Scalar {
        func run(_ parallelism: Parallelism) throws -> ([Scalar], [String: StateValue<Scalar>]?) {
            let p = Parameter<Scalar>((0..<count).map { Scalar(sin(Double($0) * 0.37)) })
            let optimizer = try make(p, parallelism)
            for step in 1...3 {
                try p.setGrad((0..<count).map { Scalar(cos(Double($0 * step) * 0.11) * (($0 % 7 == 0) ? 0 : 1)) })
                try optimizer.step()
            }
            return (p.value, optimizer.state(of: p))
        }
        let serial = try run(.serial)
        for split in Self.splits {
            let threaded = try run(split)
            #expect(threaded.0 == serial.0, "\(O.self) \(split): parameters differ")
            #expect(threaded.1 == serial.1, "\(O.self) \(split): state differs")
        }
    }
}
