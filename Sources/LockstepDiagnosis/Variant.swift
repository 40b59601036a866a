import Foundation
import LockstepJSON
import LockstepOptim

extension TorchState {
    /// torch's keys of the layout, in order.
    static var layoutKeys: [String] { layout.map(\.key) }
}

/// A weight-decay convention, applied around any optimizer that has `weight_decay`: the
/// optimizer's own step runs with `weight_decay = 0`, and the decay as the convention has it.
public enum DecayConvention: String, Sendable, CaseIterable {
    /// `θ ← θ·(1 − γλ)` before the step (torch's AdamW, `param.mul_(1 - lr * wd)`), where the
    /// optimizer adds `λθ` to the gradient.
    case decoupled
    /// `g ← g + λθ` (`grad.add(param, alpha=wd)`, one multiply-add) where the optimizer decays
    /// the parameter.
    case l2Penalty
    /// `θ ← θ·(1 − λ)` before the step: decoupled decay not scaled by the learning rate
    /// (the paper's form with a constant schedule multiplier η = 1).
    case notScaledByLR
    /// `θ ← θ − γλθ` after the step, on the updated parameter (`p.add_(p, alpha=-lr*wd)`).
    case afterUpdate

    /// The catalogue's id suffix: `decay.not-scaled-by-lr`.
    var id: String {
        switch self {
        case .decoupled: "decoupled"
        case .l2Penalty: "l2-penalty"
        case .notScaledByLR: "not-scaled-by-lr"
        case .afterUpdate: "after-update"
        }
    }
}

/// `Base` changed by a catalogue entry: forwards everything to a `Base` that shares its
/// storage, and changes what the entry changes.
/// What a ``Variant`` changes.
enum VariantChange {
    case mutation(GenericMutation)
    case decay(DecayConvention)
}

final class Variant<Base: PerParameterOptimizer>: PerParameterOptimizer, VariantConfigurable {
    typealias Scalar = Base.Scalar
    typealias Options = Base.Options
    typealias State = Base.State

    static var torchName: String { Base.torchName }
    static var standardDefaults: Options { Base.standardDefaults }

    let base: Base
    /// Set by the catalogue once the optimizer is built (``configure(_:)``); `nil` runs
    /// `Base` unchanged.
    private(set) var change: VariantChange?
    /// The groups given at construction; later ones came from `add_param_group`.
    private var initialGroupCount = 0

    var storage: OptimizerStorage<Options, State> {
        get { base.storage }
        set { base.storage = newValue }
    }

    init(storage: OptimizerStorage<Options, State>) { base = Base(storage: storage) }

    static func validate(_ options: Options) throws { try Base.validate(options) }
    static func validate(parameters: [Parameter<Scalar>]) throws { try Base.validate(parameters: parameters) }
    static func stateKeys(for options: Options) -> [String] { Base.stateKeys(for: options) }
    static func sparseGradients(_ options: Options) -> SparseGradients { Base.sparseGradients(options) }

    func didAddInitialGroups() throws {
        try base.didAddInitialGroups()
        initialGroupCount = storage.paramGroups.count
    }

    /// Sets the change on a newly built optimizer. A mutation also applies to what
    /// construction made (Adagrad's `sum` from `initial_accumulator_value`): a `Base` is built
    /// over the same parameters with the mutated groups and defaults, and its state taken.
    func configure(_ change: VariantChange) throws {
        self.change = change
        guard case .mutation(let mutation) = change else { return }
        let groups = try storage.paramGroups.map { ParamGroup(params: $0.params, options: try mutated($0, mutation)) }
        let defaults = try mutated(ParamGroup(params: [], options: storage.defaults), mutation)
        let constructed = try Base(groups: groups, defaults: defaults, cpuCapability: cpuCapability)
        for parameter in parameters { try setState(constructed.state(of: parameter), of: parameter) }
    }

    func initialState(for parameter: Parameter<Scalar>, options: Options) -> State {
        base.initialState(for: parameter, options: options)
    }

    func prepare(_ group: ParamGroup<Options, Scalar>, updating parameters: [Parameter<Scalar>]) throws {
        try base.prepare(group, updating: parameters)
    }

    func update(_ group: ParamGroup<Options, Scalar>) throws {
        var group = group
        if case .mutation(let mutation)? = change { group.options = try mutated(group, mutation) }
        try drive(group)
    }

    func apply(_ p: inout ParameterStep<Scalar, State>, options: Options) throws {
        switch change {
        case .mutation(.stateUpdatedEarly(let key))?: try applyUpdatingEarly(key, &p, options)
        case .mutation(.stepOffByOne)?: try applyAtStep(p.step + 1, &p, options)
        case .decay(let convention)?: try applyDecaying(convention, &p, options)
        default: try base.apply(&p, options: options)
        }
    }

    // MARK: Generic mutations

    /// The group's options as `mutation` reads them.
    private func mutated(_ group: ParamGroup<Options, Scalar>, _ mutation: GenericMutation) throws -> Options {
        var options = group.options
        switch mutation {
        case .betasSwapped:
            if let betas = try options.torchNumbers("betas"), betas.count == 2 {
                options = try options.setting("betas", to: [betas[1], betas[0]])
            }
        case .termDropped(let key):
            // Every element of a tuple (Adafactor's `eps`), `None` ones included.
            if case .array(let elements)? = try JSONValue.encodedObject(options)?[key] {
                options = try Self.setting(key, to: .array(elements.map { _ in .number(0) }), in: options)
            } else if try options.torchNumbers(key) != nil {
                options = try options.setting(key, to: [0])
            }
        case .maximizeLost:
            options = try Self.setting("maximize", to: .bool(false), in: options)
        case .laterGroupsUndecayed:
            let index = storage.paramGroups.firstIndex { $0.params.first === group.params.first } ?? 0
            if index >= initialGroupCount { options = try options.setting("weight_decay", to: [0]) }
        case .lrFromDefaults:
            options.lr = storage.defaults.lr
        case .stateUpdatedEarly, .stepOffByOne:
            break
        }
        return options
    }

    private static func setting(_ key: String, to value: JSONValue, in options: Options) throws -> Options {
        guard var object = try JSONValue.encodedObject(options), object[key] != nil else { return options }
        object[key] = value
        return try JSONValue.object(object).decode()
    }

    /// `Base`'s step with the step counter it reads at `step`.
    private func applyAtStep(_ step: Double, _ p: inout ParameterStep<Scalar, State>, _ options: Options) throws {
        var shifted = ParameterStep(
            value: p.value, grad: p.grad, state: p.state, step: step, isFirstStep: p.isFirstStep, shape: p.shape,
            sparseMask: p.sparseMask, cpuCapability: p.cpuCapability, tensorSqrt: p.tensorSqrt, parallelism: p.parallelism)
        p.state = State()
        defer { p.state = shifted.state }
        try base.apply(&shifted, options: options)
    }

    /// `Base`'s step on copies first, to learn this step's new `key`; then the real step
    /// with `key` already updated, and `key` left with one update.
    private func applyUpdatingEarly(_ key: String, _ p: inout ParameterStep<Scalar, State>, _ options: Options) throws {
        var values = Array(p.value)
        let updated = try values.withUnsafeMutableBufferPointer { values in
            var trial = ParameterStep(
                value: values, grad: p.grad, state: p.state, step: p.step, isFirstStep: p.isFirstStep, shape: p.shape,
                sparseMask: p.sparseMask, cpuCapability: p.cpuCapability, tensorSqrt: p.tensorSqrt, parallelism: .serial)
            try base.apply(&trial, options: options)
            return trial.state.torchState(parameterShape: p.shape)[key]
        }
        guard let updated else { return try base.apply(&p, options: options) }
        p.state = try Self.replacing(key, with: updated, in: p.state, shape: p.shape)
        try base.apply(&p, options: options)
        p.state = try Self.replacing(key, with: updated, in: p.state, shape: p.shape)
    }

    private static func replacing(_ key: String, with value: StateValue<Scalar>, in state: State, shape: [Int]) throws -> State {
        var entries = state.torchState(parameterShape: shape)
        entries[key] = value
        return try State(torchState: entries, parameterShape: shape)
    }

    // MARK: Weight-decay conventions

    /// `Base`'s step with `weight_decay = 0`, and the decay as `convention` has it.
    private func applyDecaying(_ convention: DecayConvention, _ p: inout ParameterStep<Scalar, State>, _ options: Options) throws {
        guard let lambda = try options.torchNumbers("weight_decay")?.first, lambda != 0 else {
            return try base.apply(&p, options: options)
        }
        var undecayed = try options.setting("weight_decay", to: [0])
        let (lr, fma) = (options.lr, p.fma)
        switch convention {
        case .decoupled, .notScaledByLR:
            let factor = Scalar(convention == .decoupled ? 1 - lr * lambda : 1 - lambda)
            for i in p.indices { p.value[i] = p.value[i] * factor }                 // param.mul_(1 - …)
            try base.apply(&p, options: undecayed)
        case .afterUpdate:
            try base.apply(&p, options: undecayed)
            let negative = Scalar(-lr * lambda)
            for i in p.indices { p.value[i] = TorchOps.fusedMultiplyAdd(p.value[i], negative, p.value[i], fma) }
        case .l2Penalty:
            // grad = -grad if maximize; grad = grad.add(param, alpha=wd): the step then runs on
            // the penalised gradient, not maximizing.
            let maximize = try JSONValue.encodedObject(options)?["maximize"]?.boolValue ?? false
            undecayed = try Self.setting("maximize", to: .bool(false), in: undecayed)
            let l = Scalar(lambda)
            var penalised = p.indices.map { i in
                TorchOps.fusedMultiplyAdd(p.value[i], l, maximize ? -p.grad[i] : p.grad[i], fma)
            }
            try penalised.withUnsafeMutableBufferPointer { grad in
                var step = ParameterStep(
                    value: p.value, grad: UnsafeBufferPointer(grad), state: p.state, step: p.step, isFirstStep: p.isFirstStep,
                    shape: p.shape, sparseMask: p.sparseMask, cpuCapability: p.cpuCapability, tensorSqrt: p.tensorSqrt, parallelism: p.parallelism)
                p.state = State()
                defer { p.state = step.state }
                try base.apply(&step, options: undecayed)
            }
        }
    }
}
