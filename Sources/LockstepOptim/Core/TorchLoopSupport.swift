/// What the optimizers written after torch's `_single_tensor_<name>` loops share: the walk
/// over a group's parameters that have gradients, torch's float32 step counter, the reading
/// of a parameter's state from torch's entries, and torch's common argument checks.

extension Optimizer {
    /// Runs `body` on every parameter of `group` that has a gradient, in order, with its
    /// state (made by `newState` at its first step). The state is taken out of storage while
    /// `body` runs, so its arrays are updated in place.
    func forEachParameterWithGradient(
        in group: ParamGroup<Options, Scalar>, newState: (Parameter<Scalar>) -> State,
        _ body: (Parameter<Scalar>, [Scalar], inout State) -> Void
    ) {
        for parameter in group.params {
            guard let grad = parameter.grad else { continue }
            withState(of: parameter) { stored in
                var state = stored ?? newState(parameter)
                stored = nil  // keep one reference, so the arrays are updated in place
                body(parameter, grad, &state)
                stored = state
            }
        }
    }
}

/// torch's `step += 1` on its `step` state, a float32 tensor (`_get_scalar_dtype()`).
func torchStepIncrement(_ step: Double) -> Double { Double(Float(step) + 1) }

/// Zeros of a parameter's shape: `torch.zeros_like(p)`.
func zeros<Scalar: TensorScalar>(like parameter: Parameter<Scalar>) -> [Scalar] {
    [Scalar](repeating: 0, count: parameter.count)
}

/// A parameter's state as torch's entries, checked as `load_state_dict` needs: only the
/// optimizer's keys, tensors of the parameter's shape.
struct TorchStateEntries<Scalar: TensorScalar> {
    let entries: [String: StateValue<Scalar>]
    let shape: [Int]

    /// - Throws: `KeyError` naming a key that `optimizer` does not keep.
    init(_ entries: [String: StateValue<Scalar>], shape: [Int], optimizer: String, keys: [String]) throws {
        for key in entries.keys where !keys.contains(key) {
            throw OptimizerError(.keyError, "\(optimizer) keeps no state '\(key)'")
        }
        self.entries = entries
        self.shape = shape
    }

    /// A number (`step`, or a 0-dim tensor such as ASGD's `eta`).
    func number(_ key: String) throws -> Double { try entries.required(key).number(key) }

    /// A tensor of the parameter's shape.
    func tensor(_ key: String) throws -> [Scalar] { try entries.required(key).tensor(key, shape: shape) }

    /// A tensor of the parameter's shape that some configurations do not keep.
    func optionalTensor(_ key: String) throws -> [Scalar]? { try entries[key]?.tensor(key, shape: shape) }
}

/// The argument checks torch's constructors share, with torch's words.
enum TorchCheck {
    /// `if not 0.0 <= value: raise ValueError(f"Invalid {what}: {value}")` (NaN fails too).
    static func nonNegative(_ value: Double, _ what: String) throws {
        guard 0.0 <= value else { throw OptimizerError(.valueError, "Invalid \(what): \(pythonRepr(value))") }
    }

    /// `0.0 <= betas[i] < 1.0` for both, naming the first index that fails.
    static func betas(_ betas: Betas) throws {
        for (index, beta) in [betas.beta1, betas.beta2].enumerated() where !(0.0 <= beta && beta < 1.0) {
            throw OptimizerError(.valueError, "Invalid beta parameter at index \(index): \(pythonRepr(beta))")
        }
    }
}

/// torch's CPU paths only: the capturable and differentiable paths compute in another order.
func rejectNonCPUPaths(capturable: Bool, differentiable: Bool) throws {
    if capturable || differentiable {
        throw OptimizerError(
            .runtimeError, "Lockstep reproduces torch's CPU paths only: capturable=True and differentiable=True are not supported")
    }
}
