import Foundation
import LockstepFormat
import LockstepOptim

/// The optimizers a replay can build, found by a fixture's `optimizer` name and dtype.
///
/// There is no registry to edit: a catalog is a list of optimizer types, and a caller's own
/// optimizer joins it the same way Lockstep's do.
///
/// ```swift
/// let catalog = OptimizerCatalog.builtIn.adding(Lion<Float>.self, Lion<Double>.self)
/// let result = try Replay(tolerance: .exact, optimizers: catalog).run(FixtureReader(path: "lion.h5"))
/// ```
public struct OptimizerCatalog: @unchecked Sendable {
    /// The types, in order; a later type with the same name and scalar replaces an earlier one.
    public private(set) var types: [any Optimizer.Type]

    /// A catalog of `types` (each `Optimizer<Float>` or `Optimizer<Double>`).
    public init(_ types: [any Optimizer.Type]) { self.types = types }

    /// Every optimizer Lockstep ships, in float32 and float64.
    public static let builtIn = OptimizerCatalog(shipped(Float.self) + shipped(Double.self))

    /// The one list of the optimizers Lockstep ships.
    private static func shipped<S: TensorScalar>(_: S.Type) -> [any Optimizer.Type] {
        [
            Adam<S>.self, AdamW<S>.self, HFAdamW<S>.self, SGD<S>.self, Adagrad<S>.self, Adadelta<S>.self, Adamax<S>.self,
            ASGD<S>.self, NAdam<S>.self, RAdam<S>.self, RMSprop<S>.self, Rprop<S>.self, Adafactor<S>.self, Muon<S>.self,
            SparseAdam<S>.self, LBFGS<S>.self, ConjugateGradient<S>.self,
        ]
    }

    /// This catalog with `types` added (replacing any of the same name and scalar).
    public func adding(_ types: [any Optimizer.Type]) -> OptimizerCatalog {
        OptimizerCatalog(self.types + types)
    }

    /// This catalog with `types` added.
    public func adding(_ types: any Optimizer.Type...) -> OptimizerCatalog { adding(types) }

    /// The optimizer names, each once, in order.
    public var names: [String] {
        var seen: Set<String> = []
        return types.map { Self.name(of: $0) }.filter { seen.insert($0).inserted }
    }

    /// The type that replays `name` in `Scalar`, if any.
    public func type<Scalar: TensorScalar>(named name: String, scalar _: Scalar.Type) -> (any Optimizer.Type)? {
        types.last { Self.name(of: $0) == name && Self.scalar(of: $0) == Scalar.self }
    }

    /// Builds the optimizer named `name` over its first groups, for a fixture of `Scalar`.
    ///
    /// - Throws: ``ReplayError/invalidInput(object:message:)`` for a name the catalog does
    ///   not hold in `Scalar`, and the optimizer's own errors (torch's messages) for
    ///   rejected hyperparameters.
    public func make<Scalar: TensorScalar>(
        _ name: String, groups: [(params: [Parameter<Scalar>], hyperparameters: [String: JSONValue])],
        cpuCapability: TorchCPUCapability?, parallelism: Parallelism = .serial
    ) throws -> any ReplayableOptimizer<Scalar> {
        guard let type = type(named: name, scalar: Scalar.self) else {
            let other = types.contains { Self.name(of: $0) == name }
            throw ReplayError.invalidInput(
                object: "/",
                message: other
                    ? "optimizer '\(name)' is not given for \(Scalar.self) (add \(name)<\(Scalar.self)>.self to the catalog)"
                    : "unknown optimizer '\(name)'; known: \(names.joined(separator: ", "))")
        }
        let optimizer = try Self.adapter(type, groups: groups, cpuCapability: cpuCapability)
        optimizer.setParallelism(parallelism)
        return optimizer
    }

    private static func name<O: Optimizer>(of _: O.Type) -> String { O.torchName }
    private static func scalar<O: Optimizer>(of _: O.Type) -> Any.Type { O.Scalar.self }

    private static func adapter<O: Optimizer, Scalar: TensorScalar>(
        _: O.Type, groups: [(params: [Parameter<Scalar>], hyperparameters: [String: JSONValue])],
        cpuCapability: TorchCPUCapability?
    ) throws -> any ReplayableOptimizer<Scalar> {
        // `type(named:scalar:)` matched O.Scalar to Scalar, so these casts hold.
        let typed = groups.map { (params: $0.params.map { $0 as! Parameter<O.Scalar> }, hyperparameters: $0.hyperparameters) }
        return try Adapter<O>(groups: typed, cpuCapability: cpuCapability) as! any ReplayableOptimizer<Scalar>
    }
}
