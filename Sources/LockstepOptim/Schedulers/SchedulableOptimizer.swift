import Foundation
import LockstepJSON

/// What a learning-rate scheduler reads and writes in an optimizer's param groups: each
/// group's `lr`, and the momentum that ``OneCycleLR`` cycles (`momentum`, or `betas[0]`).
///
/// Every ``Optimizer`` conforms through the default implementation below;
/// the verification harness's type-erased optimizers conform too.
public protocol SchedulableOptimizer: AnyObject {
    /// The number of param groups.
    var groupCount: Int { get }
    /// `param_groups[index]["lr"]`.
    func learningRate(group index: Int) -> Double
    /// Sets `param_groups[index]["lr"]`, without validation (as torch's schedulers assign it).
    func setLearningRate(_ lr: Double, group index: Int) throws
    /// The hyperparameter a momentum schedule changes: `.betas` when the optimizer's
    /// defaults have `betas` (then `betas[0]`), else `.momentum` when they have `momentum`,
    /// else `nil` (torch's `OneCycleLR` test of `optimizer.defaults`).
    var momentumKey: MomentumKey? { get }
    /// `momentum`, or `betas[0]`, of group `index` (see ``momentumKey``).
    func momentum(group index: Int) throws -> Double
    /// Sets `momentum`, or `betas[0]` keeping the other betas, of group `index`; like
    /// ``setLearningRate(_:group:)``, without validation.
    func setMomentum(_ value: Double, group index: Int) throws
}

/// The momentum hyperparameter of an optimizer, under torch's key.
public enum MomentumKey: String, Sendable, Equatable {
    /// `momentum` (SGD, RMSprop).
    case momentum
    /// `betas[0]` (the Adam family).
    case betas
}

extension SchedulableOptimizer where Self: Optimizer {
    public var groupCount: Int { paramGroups.count }

    public func learningRate(group index: Int) -> Double { paramGroups[index].options.lr }

    /// Assigns `lr` without validation, as torch's schedulers assign `group["lr"]` (the last
    /// step of a linear ``OneCycleLR`` may leave a negative one, never used).
    public func setLearningRate(_ lr: Double, group index: Int) throws {
        try checkGroup(index)
        storage.paramGroups[index].options.lr = lr
    }

    public var momentumKey: MomentumKey? {
        let keys = Set(Options.TorchKey.allCases.map(\.stringValue))
        if keys.contains(MomentumKey.betas.rawValue) { return .betas }
        return keys.contains(MomentumKey.momentum.rawValue) ? .momentum : nil
    }

    public func momentum(group index: Int) throws -> Double {
        guard let key = momentumKey, let value = try paramGroups[index].options.torchNumbers(key.rawValue)?.first else {
            throw OptimizerError(.keyError, "\(Self.torchName) has neither 'momentum' nor 'betas'")
        }
        return value
    }

    public func setMomentum(_ value: Double, group index: Int) throws {
        guard let key = momentumKey else {
            throw OptimizerError(.keyError, "\(Self.torchName) has neither 'momentum' nor 'betas'")
        }
        try checkGroup(index)
        let options = paramGroups[index].options
        var numbers = try options.torchNumbers(key.rawValue) ?? []
        numbers[0] = value
        storage.paramGroups[index].options = try options.setting(key.rawValue, to: numbers)
    }

    private func checkGroup(_ index: Int) throws {
        guard paramGroups.indices.contains(index) else {
            throw OptimizerError(.runtimeError, "no param group \(index); the optimizer has \(paramGroups.count)")
        }
    }
}

extension OptimizerOptions {
    /// The hyperparameter under torch's `key` as numbers: `[x]` for a number, the elements
    /// of a list (`betas`), `nil` when absent or not numeric.
    public func torchNumbers(_ key: String) throws -> [Double]? {
        try torchObject(self)[key]?.numbers
    }

    /// These options with torch's `key` set to `values`: one number, or a list where torch
    /// keeps a tuple (`betas`). The result is not validated here.
    public func setting(_ key: String, to values: [Double]) throws -> Self {
        var object = try torchObject(self)
        switch object[key] {
        case .array?: object[key] = .array(values.map(JSONValue.number))
        case .number? where values.count == 1: object[key] = .number(values[0])
        default: throw OptimizerError(.keyError, "no numeric hyperparameter '\(key)' holding \(values.count) value(s)")
        }
        do {
            return try JSONValue.object(object).decode()
        } catch {
            throw OptimizerError(.typeError, "hyperparameter '\(key)' cannot hold \(values): \(error)")
        }
    }
}
