import LockstepFormat
import LockstepOptim

/// What a replay does with an optimizer, whatever its type. A learning-rate scheduler
/// drives it as any optimizer (`SchedulableOptimizer`: `lr` and momentum per group).
public protocol ReplayableOptimizer<Scalar>: SchedulableOptimizer {
    associatedtype Scalar: TensorScalar
    /// Adds a group whose hyperparameters are torch's JSON keys (`add_param_group`).
    func addGroup(_ params: [Parameter<Scalar>], hyperparameters: [String: JSONValue]) throws
    /// Hyperparameter `key` of group `index` as numbers (`betas`: two), `nil` when absent.
    func hyperparameter(_ key: String, group index: Int) throws -> [Double]?
    /// Sets hyperparameter `key` of group `index` (one number, or a tuple such as `betas`).
    func setHyperparameter(_ key: String, to values: [Double], group index: Int) throws
    func step() throws
    /// `step(closure)`: the optimizer calls `closure` (which sets the gradients and returns
    /// the loss) as often as it needs and returns the loss it reports.
    func step(closure: () throws -> Double) throws -> Double
    func state(of parameter: Parameter<Scalar>) -> [String: StateValue<Scalar>]?
    func setState(_ entries: [String: StateValue<Scalar>]?, of parameter: Parameter<Scalar>) throws
    /// The state keys of a parameter in group `index`.
    func stateKeys(group index: Int) -> [String]
    /// Splits the element loops across threads (`Optimizer.parallelism`).
    func setParallelism(_ parallelism: Parallelism)
    /// Reproduces the reference's tensor `sqrt` (`Optimizer.tensorSqrt`).
    func setTensorSqrt(_ sqrt: TorchSqrt)
}


/// Adapts any ``Optimizer`` to ``ReplayableOptimizer``.
final class Adapter<O: Optimizer>: ReplayableOptimizer {
    typealias Scalar = O.Scalar
    let optimizer: O
    /// Drop keys `O` does not know (replaying another optimizer's fixture) rather than reject them.
    let ignoresUnknownKeys: Bool
    /// Rewrites a group's torch JSON before `O` reads it (a catalogue variant's hyperparameters).
    let rewrite: @Sendable (inout [String: JSONValue]) -> Void

    init(
        groups: [(params: [Parameter<Scalar>], hyperparameters: [String: JSONValue])], cpuCapability: TorchCPUCapability?,
        ignoringUnknownKeys: Bool = false, rewrite: @escaping @Sendable (inout [String: JSONValue]) -> Void = { _ in }
    ) throws {
        ignoresUnknownKeys = ignoringUnknownKeys
        self.rewrite = rewrite
        let built = try groups.map {
            ParamGroup(params: $0.params, options: try Self.options($0.hyperparameters, ignoringUnknownKeys, rewrite))
        }
        // A fixture does not record the constructor's arguments (torch's `defaults`); the
        // first group, which torch fills from them, stands for them (Adagrad's initial
        // `sum` comes from the defaults, whatever a group says).
        optimizer = try O(groups: built, defaults: built.first?.options ?? O.standardDefaults)
        if let cpuCapability { optimizer.cpuCapability = cpuCapability }
    }

    func setParallelism(_ parallelism: Parallelism) { optimizer.parallelism = parallelism }
    func setTensorSqrt(_ sqrt: TorchSqrt) { optimizer.tensorSqrt = sqrt }

    static func options(
        _ hyperparameters: [String: JSONValue], _ ignoringUnknownKeys: Bool = false,
        _ rewrite: (inout [String: JSONValue]) -> Void = { _ in }
    ) throws -> O.Options {
        var hyperparameters = hyperparameters
        rewrite(&hyperparameters)
        let tensors = try TensorHyperparameters.take(from: &hyperparameters)
        if ignoringUnknownKeys {
            let known = Set(O.Options.TorchKey.allCases.map(\.stringValue)).union(informationalHyperparameters)
            hyperparameters = hyperparameters.filter { known.contains($0.key) }
        }
        let data = try JSONValue.encoder().encode(hyperparameters)
        let options = try O.Options.fromTorchJSON(data, defaults: O.standardDefaults, optimizer: O.torchName)
        return try TensorHyperparameters.apply(tensors, to: options, of: O.self)
    }

    func addGroup(_ params: [Parameter<Scalar>], hyperparameters: [String: JSONValue]) throws {
        try optimizer.addParamGroup(params, options: try Self.options(hyperparameters, ignoresUnknownKeys, rewrite))
    }

    var groupCount: Int { optimizer.groupCount }
    func learningRate(group index: Int) -> Double { optimizer.learningRate(group: index) }
    func setLearningRate(_ lr: Double, group index: Int) throws { try optimizer.setLearningRate(lr, group: index) }
    var momentumKey: MomentumKey? { optimizer.momentumKey }
    func momentum(group index: Int) throws -> Double { try optimizer.momentum(group: index) }
    func setMomentum(_ value: Double, group index: Int) throws { try optimizer.setMomentum(value, group: index) }

    func hyperparameter(_ key: String, group index: Int) throws -> [Double]? {
        try optimizer.paramGroups[index].options.torchNumbers(key)
    }

    func setHyperparameter(_ key: String, to values: [Double], group index: Int) throws {
        try optimizer.setOptions(try optimizer.paramGroups[index].options.setting(key, to: values), forGroup: index)
    }

    func step() throws { try optimizer.step() }
    func step(closure: () throws -> Double) throws -> Double { try optimizer.step(closure: closure) }
    func state(of parameter: Parameter<Scalar>) -> [String: StateValue<Scalar>]? { optimizer.state(of: parameter) }
    func setState(_ entries: [String: StateValue<Scalar>]?, of parameter: Parameter<Scalar>) throws {
        try optimizer.setState(entries, of: parameter)
    }
    func stateKeys(group index: Int) -> [String] { O.stateKeys(for: optimizer.paramGroups[index].options) }
}
