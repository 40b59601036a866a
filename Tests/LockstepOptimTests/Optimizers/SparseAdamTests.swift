import Foundation
import Testing

@testable import LockstepOptim

@Suite("SparseAdam")
struct SparseAdamTests {
    typealias Options = SparseAdam<Double>.Options

    @Test func defaultsAreTorchs() {
        #expect(SparseAdam<Float>.standardDefaults == Options.init(lr: 1e-3, betas: Betas(0.9, 0.999), eps: 1e-8, maximize: false)
            .converted())
    }

    /// At t = 1 a held entry moves by −lr·g/(|g| + ε)·√(1 − β₂)/(1 − β₁)·(1 − β₁)/√(1 − β₂) ≈ −lr·sign(g);
    /// entries not held (even with a zero gradient) keep value and moments; a held zero is updated.
    @Test func onlyHeldEntriesMove() throws {
        let p = try Parameter<Double>(shape: [2, 2], value: [1, 2, 3, 4])
        let optimizer = try SparseAdam([p], .init(lr: 0.1))
        try p.setGrad([0.5, 0, 0, 0], sparseMask: [true, true, false, false])
        try optimizer.step()
        let (c1, c2) = (1 - 0.9, 1 - 0.999)
        let (m, v) = (0.5 * c1, 0.25 * c2)
        let stepSize = 0.1 * (1 - 0.999).squareRoot() / (1 - 0.9)
        #expect(p.value[0] == 1 + (-stepSize) * (m / (v.squareRoot() + 1e-8)))
        #expect(p.value[1] == 2)  // held zero: m and v stay 0, so θ moves by 0/(0 + ε) = 0
        #expect(p.value[2...] == [3, 4])
        let state = try #require(optimizer.state(of: p))
        #expect(state["exp_avg"] == .tensor(shape: [2, 2], values: [m, 0, 0, 0]))
        #expect(state["step"] == .scalar(1))
    }

    @Test func anEmptyGradientCountsAStepButUpdatesNothing() throws {
        let p = Parameter<Float>([1, 2])
        let optimizer = try SparseAdam([p])
        try p.setGrad([0, 0], sparseMask: [false, false])
        try optimizer.step()
        #expect(p.value == [1, 2])
        #expect(optimizer.state(of: p)?["step"] == .scalar(1))
    }

    @Test func denseGradientsAreTorchsError() throws {
        let p = Parameter<Float>([1, 2])
        let optimizer = try SparseAdam([p])
        try p.setGrad([1, 1])
        #expect(throws: OptimizerError(.runtimeError, "SparseAdam does not support dense gradients, please consider Adam instead")) {
            try optimizer.step()
        }
    }

    @Test func denseOptimizersRejectSparseGradientsAsTorch() throws {
        let p = Parameter<Float>([1, 2])
        try p.setGrad([1, 0], sparseMask: [true, false])
        #expect(throws: OptimizerError(.runtimeError, "Adam does not support sparse gradients, please consider SparseAdam instead")) {
            try AdamW([p]).step()
        }
        // A dense gradient set afterwards is dense again.
        try p.setGrad([1, 0])
        try AdamW([p]).step()
    }

    @Test func sparseMaskMustFitTheGradient() throws {
        let p = Parameter<Float>([1, 2])
        #expect(throws: OptimizerError.self) { try p.setGrad([1, 1], sparseMask: [true]) }
        #expect(throws: OptimizerError(.runtimeError, "sparse gradient is nonzero at 1, where its mask holds no entry")) {
            try p.setGrad([1, 1], sparseMask: [true, false])
        }
    }

    static let rejected: [(Options, String)] = [
        (.init(lr: 0), "Invalid learning rate: 0.0"),
        (.init(eps: 0), "Invalid epsilon value: 0.0"),
        (.init(betas: Betas(1, 0.999)), "Invalid beta parameter at index 0: 1.0"),
        (.init(betas: Betas(0.9, -0.1)), "Invalid beta parameter at index 1: -0.1"),
    ]

    @Test(arguments: rejected)
    func rejectsWithTorchsMessage(_ options: Options, _ message: String) {
        #expect(throws: OptimizerError(.valueError, message)) { try SparseAdam<Double>.validate(options) }
    }
}

extension SparseAdam<Double>.Options {
    /// The same hyperparameters for a `Float` optimizer (options do not depend on the scalar).
    func converted() -> SparseAdam<Float>.Options { .init(lr: lr, betas: betas, eps: eps, maximize: maximize) }
}
