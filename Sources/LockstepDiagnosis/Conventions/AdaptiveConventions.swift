import Foundation
import LockstepOptim

/// RMSprop as Keras and TensorFlow compute it: ε under the square root, and with momentum
/// the learning rate inside the buffer (Sutskever's form).
///
/// ```
/// v ← αv + (1 − α)g²
/// d ← v − ḡ²  (centered, ḡ ← αḡ + (1 − α)g),  else v
/// u ← γ·g / √(d + ε)
/// b ← μb + u,  θ ← θ − b      (momentum > 0)
/// θ ← θ − u                   (otherwise)
/// ```
///
/// Sources: Keras 3 `keras/src/optimizers/rmsprop.py` (`ops.sqrt(denominator + epsilon)`,
/// `momentum·m + increment`); TF1 `tf.train.RMSPropOptimizer` (`mom ← μ·mom + lr·g/√(ms + ε)`).
/// torch computes `g / (√d + ε)` and keeps `b ← μb + g/(√d + ε)`, `θ ← θ − γb`. The moments
/// and the L2 penalty are torch's, so only ε's and γ's places differ.
final class TensorFlowRMSprop<Scalar: TensorScalar>: PerParameterOptimizer {
    typealias Options = RMSprop<Scalar>.Options
    typealias State = RMSprop<Scalar>.State

    static var torchName: String { "RMSprop" }
    static var standardDefaults: Options { RMSprop<Scalar>.standardDefaults }
    var storage: OptimizerStorage<Options, State>
    private let rmsprop: RMSprop<Scalar>

    init(storage: OptimizerStorage<Options, State>) {
        self.storage = storage
        rmsprop = RMSprop(storage: OptimizerStorage(defaults: storage.defaults))
    }

    static func validate(_ options: Options) throws { try RMSprop<Scalar>.validate(options) }
    static func stateKeys(for options: Options) -> [String] { RMSprop<Scalar>.stateKeys(for: options) }
    func initialState(for parameter: Parameter<Scalar>, options: Options) -> State {
        rmsprop.initialState(for: parameter, options: options)
    }

    func apply(_ p: inout ParameterStep<Scalar, State>, options o: Options) {
        let (alpha, oneMinusAlpha, eps, lr, momentum, fma) =
            (Scalar(o.alpha), Scalar(1 - o.alpha), Scalar(o.eps), Scalar(o.lr), Scalar(o.momentum), p.fma)
        for i in p.indices {
            let g = p.gradient(at: i, maximize: o.maximize, weightDecay: o.weightDecay)
            p.state.squareAvg[i] = TorchOps.fusedMultiplyAdd(oneMinusAlpha * g, g, p.state.squareAvg[i] * alpha, fma)
            var d = p.state.squareAvg[i]
            if o.centered, var gradAvg = p.state.gradAvg?[i] {
                gradAvg = TorchOps.lerp(gradAvg, g, oneMinusAlpha, fused: fma)
                p.state.gradAvg?[i] = gradAvg
                d = TorchOps.fusedMultiplyAdd(-gradAvg, gradAvg, d, fma)
            }
            let increment = lr * g / p.sqrt(d + eps)                                 // lr·g / √(d + ε)
            if o.momentum > 0, let buffer = p.state.momentumBuffer?[i] {
                let b = buffer * momentum + increment                                  // μ·m + increment
                p.state.momentumBuffer?[i] = b
                p.value[i] = p.value[i] - b
            } else {
                p.value[i] = p.value[i] - increment
            }
        }
    }
}

/// Adagrad with ε under the square root, as Keras and TensorFlow compute it:
/// `θ ← θ − γ·g / √(s + ε)` where torch computes `θ ← θ − γ·g / (√s + ε)`.
///
/// Sources: Keras 3 `keras/src/optimizers/adagrad.py` (`ops.sqrt(accumulator + epsilon)`);
/// TF1 `tf.train.AdagradOptimizer` keeps the accumulator the same way. The accumulator, its
/// initial value, the learning-rate decay and the L2 penalty are torch's (for-loop path).
final class TensorFlowAdagrad<Scalar: TensorScalar>: PerParameterOptimizer {
    typealias Options = Adagrad<Scalar>.Options
    typealias State = Adagrad<Scalar>.State

    static var torchName: String { "Adagrad" }
    static var standardDefaults: Options { Adagrad<Scalar>.standardDefaults }
    var storage: OptimizerStorage<Options, State>
    private let adagrad: Adagrad<Scalar>

    init(storage: OptimizerStorage<Options, State>) {
        self.storage = storage
        adagrad = Adagrad(storage: OptimizerStorage(defaults: storage.defaults))
    }

    static func validate(_ options: Options) throws { try Adagrad<Scalar>.validate(options) }
    static func stateKeys(for options: Options) -> [String] { Adagrad<Scalar>.stateKeys(for: options) }

    /// torch's constructor gives every parameter its state (`sum` from the defaults).
    func didAddInitialGroups() throws {
        for parameter in parameters {
            let state = adagrad.initialState(for: parameter, options: defaults)
            withState(of: parameter) { $0 = state }
        }
    }

    func initialState(for parameter: Parameter<Scalar>, options: Options) -> State {
        adagrad.initialState(for: parameter, options: options)
    }

    func apply(_ p: inout ParameterStep<Scalar, State>, options o: Options) {
        let step = Double(Float(p.step))
        let decay = o.fused == true ? TorchOps.fusedMultiplyAdd(step - 1, o.lrDecay, 1, p.fma) : 1 + (step - 1) * o.lrDecay
        let (negativeLR, eps) = (Scalar(-(o.lr / decay)), Scalar(o.eps))
        for i in p.indices {
            let g = p.gradient(at: i, maximize: o.maximize, weightDecay: o.weightDecay)
            let sum = TorchOps.fusedMultiplyAdd(g, g, p.state.sum[i], p.fma)         // state_sum.addcmul_(grad, grad)
            p.state.sum[i] = sum
            p.value[i] = p.value[i] + negativeLR * g / p.sqrt(sum + eps)            // θ − clr·g / √(s + ε)
        }
    }
}

/// SGD whose momentum buffer is dampened at its first step too: `b₁ ← (1 − τ)g` where torch
/// starts with `b₁ ← g` (`buf = torch.clone(grad)`) and dampens only later updates. A
/// porting bug of ports that initialise the buffer at zero and run the general update.
///
/// torch's step everywhere else: the first step is recomputed from the parameter before
/// it, `buf = grad.mul(1 - dampening)`, `param.add_(buf, alpha=-lr)`.
final class DampenedFirstStepSGD<Scalar: TensorScalar>: PerParameterOptimizer {
    typealias Options = SGD<Scalar>.Options
    typealias State = SGD<Scalar>.State

    static var torchName: String { "SGD" }
    static var standardDefaults: Options { SGD<Scalar>.standardDefaults }
    var storage: OptimizerStorage<Options, State>
    private let sgd: SGD<Scalar>

    init(storage: OptimizerStorage<Options, State>) {
        self.storage = storage
        sgd = SGD(storage: OptimizerStorage(defaults: storage.defaults))
    }

    static func validate(_ options: Options) throws { try SGD<Scalar>.validate(options) }
    static func stateKeys(for options: Options) -> [String] { SGD<Scalar>.stateKeys(for: options) }
    static func sparseGradients(_ options: Options) -> SparseGradients { SGD<Scalar>.sparseGradients(options) }

    func apply(_ p: inout ParameterStep<Scalar, State>, options o: Options) {
        let first = p.state.momentumBuffer == nil
        guard first, o.momentum != 0, o.dampening != 0, !o.nesterov else { return sgd.apply(&p, options: o) }
        let before = Array(p.value)
        sgd.apply(&p, options: o)
        let (dampened, negativeLR) = (Scalar(1 - o.dampening), Scalar(-o.lr))
        for i in p.indices {
            var g = o.maximize ? -p.grad[i] : p.grad[i]
            if o.weightDecay != 0 { g = TorchOps.fusedMultiplyAdd(before[i], Scalar(o.weightDecay), g, p.fma) }
            let b = g * dampened                                                     // buf = grad.mul(1 - dampening)
            p.state.momentumBuffer?[i] = b
            p.value[i] = TorchOps.fusedMultiplyAdd(b, negativeLR, before[i], p.fma)   // param.add_(buf, alpha=-lr)
        }
    }
}
