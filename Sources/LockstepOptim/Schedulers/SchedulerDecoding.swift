import Foundation
import LockstepJSON

/// Builds schedulers from torch's description of them: a JSON object with the class
/// `name` and its keyword arguments, as a fixture's `scheduler` attribute records it.
///
/// ```json
/// {"name": "StepLR", "step_size": 10, "gamma": 0.5}
/// {"name": "SequentialLR", "milestones": [5],
///  "schedulers": [{"name": "LinearLR", "start_factor": 0.1, "total_iters": 5},
///                 {"name": "CosineAnnealingLR", "T_max": 25}]}
/// {"name": "ChainedScheduler",
///  "schedulers": [{"name": "ConstantLR", "factor": 0.1, "total_iters": 20},
///                 {"name": "ExponentialLR", "gamma": 0.9}]}
/// {"name": "get_linear_schedule_with_warmup", "num_warmup_steps": 30, "num_training_steps": 300}
/// ```
///
/// `SequentialLR`'s and `ChainedScheduler`'s sub-schedulers are built first, in order, on
/// the same groups, as a torch script builds them before passing them in.
public enum LRSchedulers {
    /// Every scheduler name a description may give.
    public static let names: [String] = [
        StepLR.torchName, MultiStepLR.torchName, ExponentialLR.torchName, CosineAnnealingLR.torchName,
        CosineAnnealingWarmRestarts.torchName, LinearLR.torchName, ConstantLR.torchName, PolynomialLR.torchName,
        OneCycleLR.torchName, CyclicLR.torchName, ReduceLROnPlateau.torchName, SequentialLR.torchName,
        ChainedScheduler.torchName, LambdaLR.linearScheduleWithWarmupName,
    ]

    /// Builds the scheduler described by the JSON object `json` on `groups`.
    public static func make(json: Data, on groups: ScheduledGroups) throws -> any LRScheduler {
        guard case .object(let description)? = try? JSONValue.decoder().decode(JSONValue.self, from: json) else {
            throw OptimizerError(.typeError, "a scheduler must be described by a JSON object")
        }
        return try make(description, on: groups)
    }

    /// Builds the scheduler described by `description` (a parsed JSON object) on `groups`.
    public static func make(_ description: [String: JSONValue], on groups: ScheduledGroups) throws -> any LRScheduler {
        guard case .string(let name)? = description["name"] else {
            throw OptimizerError(.typeError, "a scheduler description needs a \"name\"")
        }
        var arguments = description
        arguments["name"] = nil
        func options<O: SchedulerOptions>(_: O.Type) throws -> O { try O.fromTorchArguments(arguments, scheduler: name) }
        switch name {
        case StepLR.torchName: return try StepLR(groups, options: options(StepLR.Options.self))
        case MultiStepLR.torchName: return try MultiStepLR(groups, options: options(MultiStepLR.Options.self))
        case ExponentialLR.torchName: return try ExponentialLR(groups, options: options(ExponentialLR.Options.self))
        case CosineAnnealingLR.torchName: return try CosineAnnealingLR(groups, options: options(CosineAnnealingLR.Options.self))
        case CosineAnnealingWarmRestarts.torchName:
            return try CosineAnnealingWarmRestarts(groups, options: options(CosineAnnealingWarmRestarts.Options.self))
        case LinearLR.torchName: return try LinearLR(groups, options: options(LinearLR.Options.self))
        case ConstantLR.torchName: return try ConstantLR(groups, options: options(ConstantLR.Options.self))
        case PolynomialLR.torchName: return try PolynomialLR(groups, options: options(PolynomialLR.Options.self))
        case OneCycleLR.torchName: return try OneCycleLR(groups, options: options(OneCycleLR.Options.self))
        case CyclicLR.torchName: return try CyclicLR(groups, options: options(CyclicLR.Options.self))
        case ReduceLROnPlateau.torchName: return try ReduceLROnPlateau(groups, options: options(ReduceLROnPlateau.Options.self))
        case SequentialLR.torchName:
            let schedulers = try subSchedulers(&arguments, of: name, on: groups)
            let milestones = try required(options(SequentialLR.Options.self).milestones, "milestones", of: name)
            return try SequentialLR(groups, schedulers: schedulers, milestones: milestones)
        case ChainedScheduler.torchName:
            let schedulers = try subSchedulers(&arguments, of: name, on: groups)
            if let unknown = arguments.keys.sorted().first {
                throw OptimizerError(.typeError, "\(name).__init__() got an unexpected keyword argument '\(unknown)'")
            }
            return try ChainedScheduler(schedulers, groups: groups)
        case LambdaLR.linearScheduleWithWarmupName:
            let given = try options(LambdaLR.LinearWarmupOptions.self)
            return try LambdaLR.linearScheduleWithWarmup(
                groups, numWarmupSteps: try required(given.numWarmupSteps, "num_warmup_steps", of: name),
                numTrainingSteps: try required(given.numTrainingSteps, "num_training_steps", of: name))
        default:
            throw OptimizerError(.valueError, "unknown scheduler '\(name)'; known: \(names.joined(separator: ", "))")
        }
    }

    /// Takes the `schedulers` list out of `arguments` and builds each, in order, on `groups`.
    private static func subSchedulers(
        _ arguments: inout [String: JSONValue], of name: String, on groups: ScheduledGroups
    ) throws -> [any LRScheduler] {
        guard case .array(let list)? = arguments.removeValue(forKey: "schedulers") else {
            throw OptimizerError(.typeError, "\(name).__init__() missing 1 required positional argument: 'schedulers'")
        }
        return try list.map { entry in
            guard case .object(let object) = entry else {
                throw OptimizerError(.typeError, "\(name)'s schedulers must be JSON objects")
            }
            return try make(object, on: groups)
        }
    }
}
