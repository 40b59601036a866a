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
    /// One optimizer the catalog can build: a fixture `name` in one scalar type.
    struct Entry {
        let name: String
        let scalar: Any.Type
        /// The type it builds, for an entry added as one (not a variant or a renaming).
        let type: (any Optimizer.Type)?
        /// `Builder<Scalar>` for `scalar`, type-erased.
        let build: Any
    }

    /// Builds an optimizer over a fixture's first groups (torch's JSON hyperparameters).
    typealias Builder<Scalar: TensorScalar> = (
        _ groups: [(params: [Parameter<Scalar>], hyperparameters: [String: JSONValue])], _ cpuCapability: TorchCPUCapability?
    ) throws -> any ReplayableOptimizer<Scalar>

    /// The entries, in order; a later entry with the same name and scalar replaces an earlier one.
    private var entries: [Entry]

    /// A catalog of `types` (each `Optimizer<Float>` or `Optimizer<Double>`).
    public init(_ types: [any Optimizer.Type]) { entries = types.map { Self.entry($0) } }

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
        var catalog = self
        catalog.entries += types.map { Self.entry($0) }
        return catalog
    }

    /// This catalog with `types` added.
    public func adding(_ types: any Optimizer.Type...) -> OptimizerCatalog { adding(types) }

    /// This catalog with `O` replaying fixtures named `name` (by default `O.torchName`):
    /// a variant of an optimizer, or a port replayed against another optimizer's trajectory
    /// (`verify explain --as AdamW` on a torch `Adam` fixture).
    ///
    /// - Parameters:
    ///   - type: the optimizer type (float32 or float64; add both for both dtypes).
    ///   - name: the fixtures' `optimizer` it replays; by default `O.torchName`.
    ///   - ignoringUnknownKeys: drop the keys `O` does not know (another optimizer's
    ///     hyperparameters) instead of rejecting them.
    ///   - rewrite: rewrites each group's torch JSON before `O` reads it.
    ///   - configure: runs on the built optimizer, after its CPU capability is set.
    public func adding<O: Optimizer>(
        _ type: O.Type, as name: String? = nil, ignoringUnknownKeys: Bool = false,
        hyperparameters rewrite: @escaping @Sendable (inout [String: JSONValue]) -> Void = { _ in },
        configure: @escaping (O) throws -> Void = { _ in }
    ) -> OptimizerCatalog {
        let build: Builder<O.Scalar> = { groups, cpuCapability in
            let adapter = try Adapter<O>(
                groups: groups, cpuCapability: cpuCapability, ignoringUnknownKeys: ignoringUnknownKeys, rewrite: rewrite)
            try configure(adapter.optimizer)
            return adapter
        }
        var catalog = self
        catalog.entries.append(Entry(name: name ?? O.torchName, scalar: O.Scalar.self, type: nil, build: build))
        return catalog
    }

    /// This catalog with fixtures named `recorded` replayed as `target` (the optimizer a
    /// port implements, against another optimizer's trajectory: `verify --as AdamW` on a
    /// torch `Adam` fixture); the keys `target` does not know are dropped. The catalog
    /// itself where the names agree.
    ///
    /// - Throws: ``ReplayError/invalidInput(object:message:)`` when the catalog holds no type
    ///   named `target` in float32 and float64.
    public func replaying(_ recorded: String, as target: String) throws -> OptimizerCatalog {
        guard recorded != target else { return self }
        guard let single = type(named: target, scalar: Float.self), let double = type(named: target, scalar: Double.self) else {
            throw ReplayError.invalidInput(
                object: "/", message: "unknown optimizer '\(target)' for --as; known: \(names.joined(separator: ", "))")
        }
        return addingRenamed(single, as: recorded).addingRenamed(double, as: recorded)
    }

    private func addingRenamed<O: Optimizer>(_: O.Type, as recorded: String) -> OptimizerCatalog {
        adding(O.self, as: recorded, ignoringUnknownKeys: true)
    }

    /// The optimizer names, each once, in order.
    public var names: [String] {
        var seen: Set<String> = []
        return entries.map(\.name).filter { seen.insert($0).inserted }
    }

    /// The type that replays `name` in `Scalar`, if the catalog holds it as a type (not as
    /// a variant or under another name).
    public func type<Scalar: TensorScalar>(named name: String, scalar _: Scalar.Type) -> (any Optimizer.Type)? {
        entries.last { $0.name == name && $0.scalar == Scalar.self }?.type
    }

    /// Whether the catalog builds `name` in `Scalar`.
    public func contains<Scalar: TensorScalar>(_ name: String, scalar _: Scalar.Type) -> Bool {
        entries.contains { $0.name == name && $0.scalar == Scalar.self }
    }

    /// Builds the optimizer named `name` over its first groups, for a fixture of `Scalar`.
    ///
    /// - Throws: ``ReplayError/invalidInput(object:message:)`` for a name the catalog does
    ///   not hold in `Scalar`, and the optimizer's own errors (torch's messages) for
    ///   rejected hyperparameters.
    public func make<Scalar: TensorScalar>(
        _ name: String, groups: [(params: [Parameter<Scalar>], hyperparameters: [String: JSONValue])],
        cpuCapability: TorchCPUCapability?, tensorSqrt: TorchSqrt = .correctlyRounded, parallelism: Parallelism = .serial
    ) throws -> any ReplayableOptimizer<Scalar> {
        guard let entry = entries.last(where: { $0.name == name && $0.scalar == Scalar.self }) else {
            let other = entries.contains { $0.name == name }
            throw ReplayError.invalidInput(
                object: "/",
                message: other
                    ? "optimizer '\(name)' is not given for \(Scalar.self) (add \(name)<\(Scalar.self)>.self to the catalog)"
                    : "unknown optimizer '\(name)'; known: \(names.joined(separator: ", "))")
        }
        // `entry.scalar` is `Scalar`, so the builder is one for `Scalar`.
        let optimizer = try (entry.build as! Builder<Scalar>)(groups, cpuCapability)
        optimizer.setParallelism(parallelism)
        optimizer.setTensorSqrt(tensorSqrt)
        return optimizer
    }

    private static func entry<O: Optimizer>(_: O.Type) -> Entry {
        let build: Builder<O.Scalar> = { groups, cpuCapability in try Adapter<O>(groups: groups, cpuCapability: cpuCapability) }
        return Entry(name: O.torchName, scalar: O.Scalar.self, type: O.self, build: build)
    }
}
