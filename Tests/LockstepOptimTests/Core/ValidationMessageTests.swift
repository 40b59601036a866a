import Testing

@testable import LockstepOptim

/// Every hyperparameter torch rejects, with torch's exact message
/// (`torch/optim/adam.py`; HFAdamW: its reference in `tools/lockstep_golden/references.py`).
@Suite("Validation messages")
struct ValidationMessageTests {
    typealias Options = Adam<Float>.Options

    static let adamCases: [(Options, OptimizerError)] = [
        (Options(lr: -1), OptimizerError(.valueError, "Invalid learning rate: -1.0")),
        (Options(lr: .nan), OptimizerError(.valueError, "Invalid learning rate: nan")),
        (Options(eps: -1e-8), OptimizerError(.valueError, "Invalid epsilon value: -1e-08")),
        (Options(betas: Betas(1.0, 0.999)), OptimizerError(.valueError, "Invalid beta parameter at index 0: 1.0")),
        (Options(betas: Betas(-0.1, 0.999)), OptimizerError(.valueError, "Invalid beta parameter at index 0: -0.1")),
        (Options(betas: Betas(0.9, 1.5)), OptimizerError(.valueError, "Invalid beta parameter at index 1: 1.5")),
        (Options(weightDecay: -0.01), OptimizerError(.valueError, "Invalid weight_decay value: -0.01")),
        (Options(fused: true, foreach: true), OptimizerError(.runtimeError, "`fused` and `foreach` cannot be `True` together.")),
    ]

    @Test(arguments: adamCases)
    func adamRejectsWithTorchsMessage(_ options: Options, _ expected: OptimizerError) {
        #expect(throws: expected) { try Adam<Float>(groups: [ParamGroup(params: [Parameter([1])], options: options)], defaults: options) }
        #expect(throws: expected) { try AdamW<Float>(groups: [ParamGroup(params: [Parameter([1])], options: options)], defaults: options) }
    }

    @Test func fusedDifferentiableIsTorchsError() {
        var options = Options(fused: true)
        options.differentiable = true
        #expect(throws: OptimizerError(.runtimeError, "`fused` does not support `differentiable`")) { try Adam<Float>.validate(options) }
    }

    @Test func aLaterGroupIsValidatedToo() throws {
        let optimizer = try AdamW([Parameter<Float>([1])])
        #expect(throws: OptimizerError(.valueError, "Invalid learning rate: -0.5")) {
            try optimizer.addParamGroup([Parameter([2])], options: Options(lr: -0.5))
        }
    }

    static let hfCases: [(HFAdamW<Double>.Options, String)] = [
        (.init(lr: -1), "Invalid learning rate: -1.0 - should be >= 0.0"),
        (.init(betas: Betas(1, 0.999)), "Invalid beta parameter: 1.0 - should be in [0.0, 1.0)"),
        (.init(betas: Betas(0.9, -0.5)), "Invalid beta parameter: -0.5 - should be in [0.0, 1.0)"),
        (.init(eps: -1e-6), "Invalid epsilon value: -1e-06 - should be >= 0.0"),
    ]

    @Test(arguments: hfCases)
    func hfAdamWRejectsWithItsReferencesMessage(_ options: HFAdamW<Double>.Options, _ message: String) {
        #expect(throws: OptimizerError(.valueError, message)) { try HFAdamW<Double>.validate(options) }
    }
}
