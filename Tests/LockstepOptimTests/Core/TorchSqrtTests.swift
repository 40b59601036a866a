import Testing

@testable import LockstepOptim

/// ``TorchSqrt``: the results torch 2.15 (MKL 2024.2) returned on an AMD EPYC Zen 4, where
/// they differ from the correctly rounded root, and MKL's special cases.
@Suite("torch's tensor sqrt")
struct TorchSqrtTests {
    // (input, torch.sqrt on Zen 4, the correctly rounded root), as float32 bit patterns.
    @Test(arguments: [
        (Float(1305.5197).bitPattern, Float(36.131973).bitPattern, Float(36.131977).bitPattern),
        (0x1495_1238, 0x2a0a_2268, 0x2a0a_2267),
        (0x6c35_3acf, 0x55d7_6500, 0x55d7_6501),
        (0x073f_f53d, 0x235d_ada0, 0x235d_ada1),
    ] as [(UInt32, UInt32, UInt32)])
    func mklDiffersFromTheCorrectlyRoundedRoot(_ input: UInt32, _ torch: UInt32, _ correct: UInt32) {
        let x = Float(bitPattern: input)
        #expect(TorchSqrt.mklZen4(x).bitPattern == torch)
        #expect(TorchSqrt.correctlyRounded(x).bitPattern == correct)
    }

    @Test func specialValuesAreMKLs() {
        let sqrt = TorchSqrt.mklZen4
        #expect(sqrt(Float(-1)).bitPattern == 0x7fc0_0000)  // +NaN, where sqrtss gives −NaN
        #expect(sqrt(-Float.infinity).bitPattern == 0x7fc0_0000)
        #expect(sqrt(Float(-0.0)).bitPattern == Float(-0.0).bitPattern)
        #expect(sqrt(Float.infinity) == .infinity)
        #expect(sqrt(Float.leastNonzeroMagnitude) == Float.leastNonzeroMagnitude.squareRoot())
        #expect(sqrt(Float.greatestFiniteMagnitude) == Float.greatestFiniteMagnitude.squareRoot())
        #expect(sqrt(Float(4)) == 2)
    }

    @Test func float64IsCorrectlyRounded() {
        let x = 1305.5197
        #expect(TorchSqrt.mklZen4(x) == x.squareRoot())
        #expect(TorchSqrt.mklZen4.isExact(for: Float.self) && !TorchSqrt.mklZen4.isExact(for: Double.self))
    }

    /// The step context hands the optimizer's choice to its math.
    @Test func theDriverPassesItToTheStep() throws {
        let x = Float(1305.5197)
        var seen: [Float] = []
        for sqrt in TorchSqrt.allCases {
            let parameter = try Parameter<Float>(shape: [1], value: [x])
            parameter.grad = [0]
            let optimizer = try Probe([parameter])
            optimizer.tensorSqrt = sqrt
            try optimizer.step()
            seen.append(parameter.value[0])
        }
        #expect(seen == [Float(36.131977), Float(36.131973)])
    }
}

/// An optimizer whose step sets each element to torch's tensor sqrt of itself.
private final class Probe: PerParameterOptimizer {
    typealias Scalar = Float
    struct Options: OptimizerOptions {
        var lr = 1.0
        typealias TorchKey = CodingKeys
        enum CodingKeys: String, CodingKey, CaseIterable { case lr }
    }
    struct State: TorchState {
        typealias Scalar = Float
        static var layout: [StateEntry<Self, Float>] { [] }
    }
    static var torchName: String { "Probe" }
    static var standardDefaults: Options { Options() }
    var storage: OptimizerStorage<Options, State>
    init(storage: OptimizerStorage<Options, State>) { self.storage = storage }
    static func validate(_: Options) throws {}
    func apply(_ p: inout ParameterStep<Float, State>, options _: Options) throws {
        for i in p.indices { p.value[i] = p.sqrt(p.value[i]) }
    }
}
