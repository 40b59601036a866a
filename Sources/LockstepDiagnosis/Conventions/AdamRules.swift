import Foundation
import LockstepOptim

/// torch's Adam and AdamW, element for element as Lockstep's kernel computes them (the
/// for-loop path, and the fused kernel's SIMD body, vectorised tail and scalar epilogue),
/// with one rule changed: the conventions and porting bugs that live inside Adam's step.
///
/// ```
/// m ← m + (1 − β₁)(g − m)                   (lerp)
/// v ← β₂v + (1 − β₂)g²                      (addcmul)
/// θ ← θ − γ/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)
/// ```
///
/// With ``Rule/none`` it reproduces torch's Adam bit for bit wherever `Adam` does (a test
/// checks it over the goldens), so an entry differs from torch by its rule alone.
final class AdamRules<Scalar: TensorScalar>: PerParameterOptimizer {
    typealias Rule = AdamRule
    typealias Options = Adam<Scalar>.Options
    typealias State = Adam<Scalar>.State

    var rule = Rule.none
    /// Adam's own constructor-time behaviour and initial state.
    private let adam: Adam<Scalar>

    static var torchName: String { "Adam" }
    static var standardDefaults: Options { Adam<Scalar>.standardDefaults }
    var storage: OptimizerStorage<Options, State>

    init(storage: OptimizerStorage<Options, State>) {
        self.storage = storage
        adam = Adam(storage: OptimizerStorage(defaults: storage.defaults))
    }

    static func validate(_ options: Options) throws { try Adam<Scalar>.validate(options) }
    static func stateKeys(for options: Options) -> [String] { Adam<Scalar>.stateKeys(for: options) }
    static func sparseGradients(_ options: Options) -> SparseGradients { Adam<Scalar>.sparseGradients(options) }
    func initialState(for parameter: Parameter<Scalar>, options: Options) -> State {
        adam.initialState(for: parameter, options: options)
    }

    func apply(_ p: inout ParameterStep<Scalar, State>, options o: Options) {
        let count = p.count
        let fused = o.fused == true
        let (fma, capability) = (p.fma, p.cpuCapability)
        let bodyEnd = fused ? count - count % capability.vectorWidth(for: Scalar.self) : count
        let epilogueStart = fused && fma ? count - count % capability.scalarEpilogueSpan(for: Scalar.self) : count
        let k = Coefficients(o, step: p.step, fused: fused, rule: rule)
        let decoupled = o.weightDecay != 0 && o.decoupledWeightDecay
        let l2 = o.weightDecay != 0 && !o.decoupledWeightDecay
        let amsgrad = p.state.maxExpAvgSq != nil
        // The fused kernel's `sqrt` is correctly rounded; the for-loop path's is torch's tensor `sqrt`.
        let root = fused ? TorchSqrt.correctlyRounded : p.tensorSqrt
        for i in 0..<count {
            let (simd, epilogue) = (i < bodyEnd, i >= bodyEnd && fma && i >= epilogueStart)
            var g = o.maximize ? -p.grad[i] : p.grad[i]
            var theta = p.value[i]
            if decoupled {
                theta = theta * k.decay                                              // param.mul_(1 - lr * wd)
            } else if l2 {
                g = TorchOps.fusedMultiplyAdd(theta, k.l2, g, fma)                   // grad.add(param, alpha=wd)
            }
            let (mPrevious, vPrevious) = (p.state.expAvg[i], p.state.expAvgSq[i])
            let m = TorchOps.lerp(mPrevious, g, k.lerpWeight, fused: fma)           // exp_avg.lerp_(grad, 1 - beta1)
            let scaled = k.oneMinusBeta2 * g
            let v = !fma ? vPrevious * k.beta2 + scaled * g
                : !epilogue ? Scalar.fma(scaled, g, vPrevious * k.beta2) : Scalar.fma(vPrevious, k.beta2, scaled * g)
            p.state.expAvg[i] = m
            p.state.expAvgSq[i] = v
            var second = v
            if amsgrad, let previous = p.state.maxExpAvgSq?[i] {
                second = simd ? TorchOps.maximum(previous, v) : (previous < v ? v : previous)
                p.state.maxExpAvgSq?[i] = second
            }
            let denom: Scalar
            switch rule {
            case .epsInsideSqrt: denom = root(second / k.biasCorrection2 + k.eps)
            case .none, .float32Coefficients: denom = root(second) / k.biasCorrection2Sqrt + k.eps
            }
            p.value[i] = theta + k.negativeStepSize * m / denom                    // param.addcdiv_(m, denom, value=-step_size)
        }
    }

    /// The step's scalars, computed as torch computes them (or as the rule has it).
    struct Coefficients {
        let decay, l2, lerpWeight, beta2, oneMinusBeta2, biasCorrection2, biasCorrection2Sqrt, eps, negativeStepSize: Scalar

        init(_ o: Options, step: Double, fused: Bool, rule: Rule) {
            let (beta1, beta2, lr, wd, t) = (o.betas.beta1, o.betas.beta2, o.lr, o.weightDecay, Double(Float(step)))
            l2 = Scalar(wd)
            lerpWeight = Scalar(1 - beta1)
            self.beta2 = Scalar(beta2)
            oneMinusBeta2 = Scalar(1 - beta2)
            eps = Scalar(o.eps)
            if case .float32Coefficients = rule {
                let (b1, b2) = (1 - powf(Float(beta1), Float(t)), 1 - powf(Float(beta2), Float(t)))
                decay = Scalar(1 - Float(lr) * Float(wd))
                biasCorrection2 = Scalar(b2)
                biasCorrection2Sqrt = Scalar(b2.squareRoot())
                negativeStepSize = Scalar(-(Float(lr) / b1))
            } else {
                let (b1, b2) = (1 - pow(beta1, t), 1 - pow(beta2, t))
                decay = Scalar(1 - lr * wd)
                biasCorrection2 = Scalar(b2)
                biasCorrection2Sqrt = Scalar(fused ? b2.squareRoot() : pow(b2, 0.5))
                negativeStepSize = Scalar(-(lr / b1))
            }
        }
    }
}

/// The rule ``AdamRules`` changes.
enum AdamRule: Sendable {
    /// torch's own arithmetic.
    case none
    /// `√(v̂ + ε)`: ε under the square root with the bias-corrected `v`
    /// (optax's `scale_by_adam(eps_root=ε)` with `eps = 0`).
    case epsInsideSqrt
    /// The bias corrections, the step size and the decay factor computed in float32,
    /// where torch computes them as Python (float64) numbers and rounds once.
    case float32Coefficients
}
