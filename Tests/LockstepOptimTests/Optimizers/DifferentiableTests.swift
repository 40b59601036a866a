import Testing

@testable import LockstepOptim

/// `differentiable=True`: torch's differentiable path is replayed, not refused. Adam, AdamW
/// and NAdam compute their scalar coefficients in float32 on it; the others compute as
/// their for-loop path. The expected values were recorded from torch 2.15 (CPU, AVX2):
/// parameters `[1, -2, 0.5, 3e-3]`, gradient `(k + 1)·[0.3, -4, 1e-3, 0.25]` at step `k`,
/// three steps, `foreach=False` (steps 1 to 3 keep clear of the values of `1 − 0.999ᵗ`
/// whose float32 tensor `sqrt` torch takes 1 ULP off).
@Suite("differentiable=True")
struct DifferentiableTests {
    static let initial = [1.0, -2, 0.5, 3e-3]
    static let gradient = [0.3, -4, 1e-3, 0.25]

    static func run<O: Optimizer>(_ make: ([Parameter<O.Scalar>]) throws -> O) throws -> [O.Scalar] {
        let p = Parameter(initial.map { O.Scalar($0) })
        let optimizer = try make([p])
        for k in 1...3 {
            try p.setGrad(gradient.map { O.Scalar($0) * O.Scalar(k) })
            try optimizer.step()
        }
        return p.value
    }

    static func differentiable<S>(_ options: Adam<S>.Options) -> Adam<S>.Options {
        var options = options
        options.differentiable = true
        return options
    }

    static func differentiable<S>(_ options: NAdam<S>.Options) -> NAdam<S>.Options {
        var options = options
        options.differentiable = true
        return options
    }

    // MARK: Adam and AdamW: float32 bias corrections, √v / (√bc₂·(−step_size)) + ε / (−step_size)

    @Test func adamMatchesTorchInFloat64() throws {
        let torch = [0x1.fe80dae81477ep-1, -0x1.ff406d73c49cap+0, 0x1.fd01b72fcbf1ep-2, 0x1.42467f2765928p-14]
        let forLoop = [0x1.fe80da3fabb8fp-1, -0x1.ff406d1f903cfp+0, 0x1.fd01b5defbaf3p-2, 0x1.4231720f8b880p-14]
        #expect(try Self.run { try Adam<Double>($0, Self.differentiable(.init())) } == torch)
        #expect(try Self.run { try Adam<Double>($0, .init()) } == forLoop)
    }

    @Test func adamMatchesTorchInFloat32() throws {
        let torch: [UInt32] = [0x3f7f406d, 0xbfffa037, 0x3efe80db, 0x38a12368]
        #expect(try Self.run { try Adam<Float>($0, Self.differentiable(.init())) } == torch.map(Float.init(bitPattern:)))
    }

    @Test func adamWMatchesTorchInFloat64() throws {
        let torch = [0x1.fe7ced4752d3bp-1, -0x1.ff3c7f53a8cfcp+0, 0x1.fcfdca8dbd7acp-2, 0x1.4205b2edfd108p-14]
        #expect(try Self.run { try AdamW<Double>($0, Self.differentiable(AdamW<Double>.standardDefaults)) } == torch)
        let float: [UInt32] = [0x3f7f3e75, 0xbfff9e3f, 0x3efe7ee4, 0x38a102d8]
        #expect(try Self.run { try AdamW<Float>($0, Self.differentiable(AdamW<Float>.standardDefaults)) }
            == float.map(Float.init(bitPattern:)))
    }

    /// `Adam(lr=0.01, weight_decay=0.1, amsgrad=True)`: L2 decay and the maximum of `v`.
    @Test func adamWithAmsgradMatchesTorch() throws {
        let options = Adam<Double>.Options(lr: 0.01, weightDecay: 0.1, amsgrad: true)
        let torch = [0x1.f0e46872c88ccp-1, -0x1.f880f001e9a08p+0, 0x1.e147bc220ffbap-2, -0x1.adde45ede89c4p-6]
        #expect(try Self.run { try Adam<Double>($0, Self.differentiable(options)) } == torch)
        let float: [UInt32] = [0x3f787235, 0xbffc4077, 0x3ef0a3de, 0xbcd6ef23]
        let floatOptions = Adam<Float>.Options(lr: 0.01, weightDecay: 0.1, amsgrad: true)
        #expect(try Self.run { try Adam<Float>($0, Self.differentiable(floatOptions)) } == float.map(Float.init(bitPattern:)))
    }

    /// One step in float64 by hand: the coefficients are float32 values.
    @Test func adamCoefficientsAreFloat32() {
        var options = Adam<Double>.Options(lr: 1e-3)
        options.differentiable = true
        let k = AdamKernel<Double>.Coefficients(differentiable: options, step: 1, sqrt: .correctlyRounded)
        let bc1 = 1 - Float(0.9), bc2 = 1 - Float(0.999)
        let stepSize = (1 / bc1) * Float(1e-3)
        #expect(k.biasCorrection2Sqrt == Double(bc2.squareRoot() * -stepSize))
        #expect(k.eps == Double((1 / -stepSize) * Float(1e-8)))
        #expect(k.negativeStepSize == 1)
    }

    // MARK: NAdam: float32 step sizes

    @Test func nadamMatchesTorch() throws {
        let torch = [0x1.fcf27f2ebfa4ep-1, -0x1.fe793f96d0b99p+0, 0x1.f9e501303ae9ep-2, -0x1.8449853bd1e84p-9]
        let forLoop = [0x1.fcf27f30c06fbp-1, -0x1.fe793f97d11eep+0, 0x1.f9e501343c7dep-2, -0x1.8449833b07115p-9]
        #expect(try Self.run { try NAdam<Double>($0, Self.differentiable(.init())) } == torch)
        #expect(try Self.run { try NAdam<Double>($0, .init()) } == forLoop)
        let float: [UInt32] = [0x3f7e7940, 0xbfff3ca1, 0x3efcf281, 0xbb4224c3]
        #expect(try Self.run { try NAdam<Float>($0, Self.differentiable(.init())) } == float.map(Float.init(bitPattern:)))
    }

    /// `NAdam(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)`: in float32 too, one
    /// element differs from the for-loop path.
    @Test func nadamWithDecoupledDecayMatchesTorch() throws {
        let torch = [0x1.ef37b0fd7ffa9p-1, -0x1.f6d76f26ad77fp+0, 0x1.dff842be91617p-2, -0x1.b6ee5762a4782p-6]
        let options = NAdam<Double>.Options(lr: 0.01, weightDecay: 0.1, decoupledWeightDecay: true)
        #expect(try Self.run { try NAdam<Double>($0, Self.differentiable(options)) } == torch)
        let float: [UInt32] = [0x3f779bd9, 0xbffb6bb7, 0x3eeffc22, 0xbcdb772d]
        let floatOptions = NAdam<Float>.Options(lr: 0.01, weightDecay: 0.1, decoupledWeightDecay: true)
        #expect(try Self.run { try NAdam<Float>($0, Self.differentiable(floatOptions)) } == float.map(Float.init(bitPattern:)))
    }

    // MARK: The others: the for-loop path's values

    @Test func theOthersComputeAsTheirForLoopPath() throws {
        func same<O: Optimizer>(_ make: (Bool) throws -> ([Parameter<Double>]) throws -> O) throws where O.Scalar == Double {
            #expect(try Self.run(make(true)) == Self.run(make(false)), "\(O.self)")
        }
        try same { d in { var o = SGD<Double>.Options(lr: 0.1, momentum: 0.9); o.differentiable = d; return try SGD($0, o) } }
        try same { d in { var o = Adagrad<Double>.Options(); o.differentiable = d; return try Adagrad($0, o) } }
        try same { d in { var o = Adadelta<Double>.Options(); o.differentiable = d; return try Adadelta($0, o) } }
        try same { d in { var o = Adamax<Double>.Options(); o.differentiable = d; return try Adamax($0, o) } }
        try same { d in { var o = ASGD<Double>.Options(); o.differentiable = d; return try ASGD($0, o) } }
        try same { d in { var o = RAdam<Double>.Options(); o.differentiable = d; return try RAdam($0, o) } }
        try same { d in { var o = RMSprop<Double>.Options(centered: true); o.differentiable = d; return try RMSprop($0, o) } }
        try same { d in { var o = Rprop<Double>.Options(); o.differentiable = d; return try Rprop($0, o) } }
    }

    // MARK: Flags

    @Test func capturableIsStillRefused() {
        let refusal = OptimizerError(.runtimeError, "Lockstep reproduces torch's CPU paths only: capturable=True is not supported")
        var adam = Adam<Float>.Options()
        adam.capturable = true
        #expect(throws: refusal) { try Adam<Float>.validate(adam) }
        var nadam = NAdam<Float>.Options()
        nadam.capturable = true
        nadam.differentiable = true
        #expect(throws: refusal) { try NAdam<Float>.validate(nadam) }
    }

    @Test func differentiableRoundTripsThroughTheStateDict() throws {
        try OptimizerLaws.all(
            { try Adam($0, Self.differentiable(Adam<Float>.Options(amsgrad: true))) },
            { try NAdam($0, Self.differentiable(NAdam<Double>.Options(weightDecay: 0.1))) })
    }
}
