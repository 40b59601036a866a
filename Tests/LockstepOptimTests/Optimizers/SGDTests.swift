import Testing

@testable import LockstepOptim

/// What SGD's goldens cannot show: defaults, state keys, hand-checked steps, the fused
/// kernel's regions and its failure on a partly started group, validation, state dicts.
@Suite("SGD")
struct SGDTests {
    @Test func defaultsAreTorchs() throws {
        let options = SGD<Float>.standardDefaults
        #expect(options.lr == 1e-3 && options.momentum == 0 && options.dampening == 0 && options.weightDecay == 0)
        #expect(!options.nesterov && !options.maximize && options.fused == nil && options.foreach == nil)
        #expect(try SGD([Parameter<Float>([1])]).defaults == options)
    }

    @Test(arguments: [false, true])
    func plainStepIsThetaMinusLrTimesGradAndKeepsNoState(fused: Bool) throws {
        let p = Parameter<Float>([1, -2])
        let optimizer = try SGD([p], .init(lr: 0.5, fused: fused))
        try p.setGrad([0.5, 0.25])
        try optimizer.step()
        #expect(p.value == [0.75, -2.125])
        #expect(optimizer.state(of: p) == nil)
        #expect(SGD<Float>.stateKeys(for: optimizer.defaults).isEmpty)
    }

    @Test(arguments: [false, true])
    func momentumStartsFromTheGradientThenDampens(fused: Bool) throws {
        let p = Parameter<Double>([1, -2])
        let optimizer = try SGD([p], .init(lr: 0.5, momentum: 0.5, dampening: 0.5, fused: fused))
        try p.setGrad([0.5, 0.25])
        try optimizer.step()
        // First step: the buffer is the gradient, undampened (torch's documented choice).
        #expect(optimizer.state(of: p) == ["momentum_buffer": .tensor(shape: [2], values: [0.5, 0.25])])
        #expect(p.value == [0.75, -2.125])
        try p.setGrad([1, 1])
        try optimizer.step()
        // b = 0.5·b + 0.5·g
        #expect(optimizer.state(of: p) == ["momentum_buffer": .tensor(shape: [2], values: [0.75, 0.625])])
        #expect(p.value == [0.375, -2.4375])
    }

    @Test func nesterovAndWeightDecayAndMaximize() throws {
        let p = Parameter<Double>([2])
        let optimizer = try SGD([p], .init(lr: 0.25, momentum: 0.5, weightDecay: 0.5, nesterov: true, maximize: true))
        try p.setGrad([-1])
        try optimizer.step()
        // g = 1 + 0.5·2 = 2; b = 2; g = 2 + 0.5·2 = 3; θ = 2 − 0.25·3
        #expect(optimizer.state(of: p)?["momentum_buffer"] == .tensor(shape: [1], values: [2]))
        #expect(p.value == [1.25])
    }

    /// The fused kernel rounds like the for-loop path but for its true scalar epilogue (the
    /// last `count % 8` floats), where GCC contracts `μb + (1 − τ)g` the other way round.
    @Test func fusedKernelDiffersFromTheForLoopOnlyInTheScalarEpilogue() throws {
        let count = 19  // AVX-512: one 16-float block, then a scalar epilogue of 3
        let start: [Float] = gradient(count, step: 0, seed: 1)
        let (grad1, grad2): ([Float], [Float]) = (gradient(count, step: 1), gradient(count, step: 2))
        func run(fused: Bool) throws -> (param: [Float], buffer: [Float]) {
            let p = Parameter(start)
            let optimizer = try SGD([p], .init(lr: 0.1, momentum: 0.9, dampening: 0.3, fused: fused))
            try p.setGrad(grad1)
            try optimizer.step()
            try p.setGrad(grad2)
            try optimizer.step()
            return (p.value, optimizer.state(of: p)?["momentum_buffer"]?.flatValues ?? [])
        }
        let (forLoop, fused) = (try run(fused: false), try run(fused: true))
        let (momentum, dampened) = (Float(0.9), Float(1 - 0.3))
        for i in 0..<count {
            let buffer = grad1[i]  // after the first step, b = g₁
            let body = (buffer * momentum).addingProduct(grad2[i], dampened)        // fma(g, 1 − τ, b·μ)
            let epilogue = (grad2[i] * dampened).addingProduct(buffer, momentum)    // fma(b, μ, g·(1 − τ))
            #expect(forLoop.buffer[i].bitPattern == body.bitPattern, "element \(i)")
            #expect(fused.buffer[i].bitPattern == (i < 16 ? body : epilogue).bitPattern, "element \(i)")
        }
        #expect(Array(fused.param[..<16]).map(\.bitPattern) == Array(forLoop.param[..<16]).map(\.bitPattern))
    }

    @Test func fusedSGDCannotStartOneBufferAlone() throws {
        let (a, b) = (Parameter<Float>([1]), Parameter<Float>([2, 3]))
        let optimizer = try SGD([a, b], .init(lr: 0.1, momentum: 0.9, fused: true))
        try a.setGrad([1])
        try optimizer.step()
        try b.setGrad([1, 1])
        let before = (a.value, b.value)
        // torch: `torch._fused_sgd_` gets None for b's buffer.
        #expect(throws: OptimizerError(.typeError, "expected Tensor as element 1 in argument 2, but got NoneType")) {
            try optimizer.step()
        }
        #expect(a.value == before.0 && b.value == before.1 && optimizer.state(of: b) == nil)
        // The for-loop path starts b's buffer alone.
        var options = optimizer.paramGroups[0].options
        options.fused = false
        try optimizer.setOptions(options, forGroup: 0)
        try optimizer.step()
        #expect(optimizer.state(of: b)?["momentum_buffer"] == .tensor(shape: [2], values: [1, 1]))
    }

    static let rejected: [(SGD<Float>.Options, OptimizerError)] = [
        (.init(lr: -0.1), OptimizerError(.valueError, "Invalid learning rate: -0.1")),
        (.init(momentum: -0.9), OptimizerError(.valueError, "Invalid momentum value: -0.9")),
        (.init(weightDecay: -1e-4), OptimizerError(.valueError, "Invalid weight_decay value: -0.0001")),
        (.init(nesterov: true), OptimizerError(.valueError, "Nesterov momentum requires a momentum and zero dampening")),
        (.init(momentum: 0.9, dampening: 0.1, nesterov: true),
         OptimizerError(.valueError, "Nesterov momentum requires a momentum and zero dampening")),
        (.init(fused: true, foreach: true), OptimizerError(.runtimeError, "`fused` and `foreach` cannot be `True` together.")),
    ]

    @Test(arguments: rejected)
    func rejectsWithTorchsMessage(_ options: SGD<Float>.Options, _ expected: OptimizerError) {
        #expect(throws: expected) { try SGD<Float>(groups: [ParamGroup(params: [Parameter([1])], options: options)], defaults: options) }
    }

    @Test func fusedDifferentiableIsTorchsError() {
        var options = SGD<Double>.Options(fused: true)
        options.differentiable = true
        #expect(throws: OptimizerError(.runtimeError, "`fused` does not support `differentiable`")) { try SGD<Double>.validate(options) }
    }

    @Test func stateDictRoundTripContinuesBitIdentically() throws {
        let (second, secondParams) = try expectStateDictRoundTrip {
            let params = [Parameter<Float>([0.5, -1, 2, 0.25]), Parameter<Float>([3, -3])]
            return (try SGD(params, .init(lr: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 0.01)), params)
        }
        #expect(throws: OptimizerError(.keyError, "SGD keeps no state 'sum'")) {
            try second.setState(["sum": .tensor(shape: [2], values: [0, 0])], of: secondParams[1])
        }
    }
}
