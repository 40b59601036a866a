import LockstepOptim

/// A change that applies to any optimizer on the per-parameter driver, its own or a
/// user's, without knowing its math: what a port gets wrong whatever the algorithm.
public enum GenericMutation: Sendable, Hashable {
    /// State entry `key` is updated before the step reads it: the parameter update sees
    /// this step's new value already, as when two consecutive updates are swapped (Lion's
    /// momentum updated before the sign is taken). The state keeps one update.
    case stateUpdatedEarly(String)
    /// The step counter the math reads is one ahead (`t + 1`; the stored `step` is torch's).
    case stepOffByOne
    /// `betas` read as `(β₂, β₁)`.
    case betasSwapped
    /// Hyperparameter `key`'s term dropped: the math runs with it at 0.
    case termDropped(String)
    /// `maximize` ignored: the gradient's sign is never flipped.
    case maximizeLost
    /// Weight decay skipped for the groups added after construction (`add_param_group`).
    case laterGroupsUndecayed
    /// Each group's learning rate read from the optimizer's defaults, not the group.
    case lrFromDefaults

    /// The hyperparameters whose terms ``termDropped(_:)`` drops, where an optimizer has them.
    public static let termKeys = [
        "weight_decay", "eps", "momentum", "dampening", "lr_decay", "initial_accumulator_value", "momentum_decay",
    ]

    /// The mutations that apply to `O`: those whose hyperparameter or state it has.
    static func applicable<O: PerParameterOptimizer>(to _: O.Type) -> [GenericMutation] {
        let keys = Set(O.Options.TorchKey.allCases.map(\.stringValue))
        let defaults = O.standardDefaults
        var result: [GenericMutation] = O.State.layoutKeys.filter { $0 != "step" }.map { .stateUpdatedEarly($0) }
        if O.State.layoutKeys.contains("step") { result.append(.stepOffByOne) }
        if (try? defaults.torchNumbers("betas"))??.count == 2 { result.append(.betasSwapped) }
        result += termKeys.filter(keys.contains).map { .termDropped($0) }
        if keys.contains("maximize") { result.append(.maximizeLost) }
        if keys.contains("weight_decay") { result.append(.laterGroupsUndecayed) }
        result.append(.lrFromDefaults)
        return result
    }

    /// A stable id: `mutant.state-updated-early.exp_avg`.
    var id: String {
        switch self {
        case .stateUpdatedEarly(let key): "mutant.state-updated-early.\(key)"
        case .stepOffByOne: "mutant.step-off-by-one"
        case .betasSwapped: "mutant.betas-swapped"
        case .termDropped(let key): "mutant.term-dropped.\(key)"
        case .maximizeLost: "mutant.maximize-lost"
        case .laterGroupsUndecayed: "mutant.later-groups-undecayed"
        case .lrFromDefaults: "mutant.lr-from-defaults"
        }
    }

    var title: String {
        switch self {
        case .stateUpdatedEarly(let key): "`\(key)` updated before the step reads it"
        case .stepOffByOne: "step counter off by one"
        case .betasSwapped: "β₁ and β₂ swapped"
        case .termDropped(let key): "`\(key)` term dropped"
        case .maximizeLost: "`maximize` sign lost"
        case .laterGroupsUndecayed: "decay skipped for groups added later"
        case .lrFromDefaults: "lr read from the defaults, not the group"
        }
    }

    var summary: String {
        switch self {
        case .stateUpdatedEarly(let key):
            "two consecutive updates swapped: the parameter update reads this step's new `\(key)`"
        case .stepOffByOne: "the math reads t + 1 where torch reads t (bias corrections, schedules of the step)"
        case .betasSwapped: "(β₁, β₂) read in the wrong order"
        case .termDropped(let key): "the math runs with `\(key)` = 0"
        case .maximizeLost: "the gradient is not negated under maximize = True"
        case .laterGroupsUndecayed: "weight_decay is 0 for every group added by add_param_group"
        case .lrFromDefaults: "a group's own lr (and a scheduler's) is ignored"
        }
    }

    /// What a fixture needs to tell the mutation from the optimizer.
    var killedBy: String {
        switch self {
        case .stateUpdatedEarly:
            "gradients that change sign or scale between steps (`lockstep.synthetic`): with a steady gradient the two orders agree"
        case .stepOffByOne: "a step-dependent term (bias correction, a step-dependent decay) in the first steps, where t and t + 1 differ most"
        case .betasSwapped: "β₁ ≠ β₂ (torch's defaults have them)"
        case .termDropped(let key): "a fixture with `\(key)` ≠ 0 that makes the term matter"
        case .maximizeLost: "a group with maximize = True"
        case .laterGroupsUndecayed: "a group added at a later step with weight_decay ≠ 0"
        case .lrFromDefaults: "groups with different lr, or a scheduler"
        }
    }
}

