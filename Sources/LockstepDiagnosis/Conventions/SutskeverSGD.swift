import LockstepOptim

/// SGD with momentum in Sutskever's form: the buffer holds `γ·g`, so a learning-rate
/// schedule scales new gradients only (torch's buffer holds `g`, and `γ` scales all of it).
///
/// ```
/// g ← −g                      if maximize
/// v ← γ·g                     at the first step
/// v ← μ·v + γ·g               after it
/// θ ← θ − v
/// ```
///
/// With a constant `γ` the two forms agree up to rounding; under a schedule they differ
/// from the first change on. Sources: Sutskever, Martens, Dahl & Hinton, *On the importance
/// of initialization and momentum in deep learning*, ICML 2013, eq. (1)–(2); TensorFlow's
/// `tf.keras.optimizers.SGD(momentum=…)` and `tf.train.MomentumOptimizer` keep the same
/// buffer. Numerics: op for op `tools/conventions/references.py:SutskeverSGD`.
final class SutskeverSGD<Scalar: TensorScalar>: PerParameterOptimizer {
    typealias Options = SGD<Scalar>.Options
    typealias State = SGD<Scalar>.State

    static var torchName: String { "SutskeverSGD" }
    static var standardDefaults: Options { Options() }
    var storage: OptimizerStorage<Options, State>
    init(storage: OptimizerStorage<Options, State>) { self.storage = storage }

    static func validate(_ options: Options) throws { try SGD<Scalar>.validate(options) }
    static func stateKeys(for options: Options) -> [String] { SGD<Scalar>.stateKeys(for: options) }

    func apply(_ p: inout ParameterStep<Scalar, State>, options o: Options) {
        let (lr, mu, negativeLR) = (Scalar(o.lr), Scalar(o.momentum), Scalar(-o.lr))
        guard o.momentum != 0 else {
            for i in p.indices {
                let g = o.maximize ? -p.grad[i] : p.grad[i]
                p.value[i] = TorchOps.fusedMultiplyAdd(g, negativeLR, p.value[i], p.fma)  // p.add_(grad, alpha=-lr)
            }
            return
        }
        let first = p.state.momentumBuffer == nil
        var buffer = p.state.momentumBuffer ?? [Scalar](repeating: 0, count: p.count)
        for i in p.indices {
            let g = o.maximize ? -p.grad[i] : p.grad[i]
            let v = first ? g * lr : TorchOps.fusedMultiplyAdd(g, lr, buffer[i] * mu, p.fma)  // buf.mul_(μ).add_(g, alpha=lr)
            buffer[i] = v
            p.value[i] = p.value[i] - v                                                  // p.sub_(buf)
        }
        p.state.momentumBuffer = buffer
    }
}
