import LockstepHarness
import LockstepOptim

/// One entry of the catalogue: a convention another framework or paper follows, a known
/// porting bug, or a generic mutant, as an optimizer that stands in for the one a fixture
/// names.
///
/// Each is a small optimizer on the open optimizer API (`PerParameterOptimizer`), or one
/// of Lockstep's optimizers given other hyperparameters or another name: `explain` replays
/// a fixture with it in place of the optimizer, and `mutants` checks whether a fixture set
/// tells it apart.
public struct CatalogueEntry: Sendable {
    public enum Kind: String, Sendable, Codable {
        /// What another framework or the original paper does.
        case convention
        /// A mistake ports make.
        case portingBug = "porting bug"
        /// A generic change of any optimizer (a swapped update, an off-by-one counter).
        case mutant
        /// The optimizer itself.
        case reference
    }

    public enum Family: String, Sendable, Codable, CaseIterable {
        case adamLike = "Adam-like"
        case sgdLike = "SGD-like"
        case adaptive = "RMSprop/Adagrad/Adadelta"
        case sign = "Lion-like sign methods"
        case quasiNewton = "LBFGS/CG"
        /// Any optimizer on the per-parameter driver.
        case generic
    }

    /// A stable id, `family.name`: `adamw.l2-penalty`, `mutant.betas-swapped`.
    public let id: String
    public let title: String
    /// One line: what the entry computes differently.
    public let summary: String
    /// The framework and its source, or the paper, where the entry is another's convention.
    public let source: String?
    public let kind: Kind
    public let family: Family
    /// What a trajectory needs to tell this entry from the optimizer: the advice for a
    /// fixture set it survives.
    public let killedBy: String
    /// Puts the entry in place of `target` for fixtures named `recorded`: `nil` where it
    /// does not apply (the target lacks the hyperparameter or state it changes).
    let install: @Sendable (_ catalog: OptimizerCatalog, _ target: String, _ recorded: String) -> OptimizerCatalog?

    public init(
        id: String, title: String, summary: String, source: String? = nil, kind: Kind, family: Family,
        killedBy: String,
        install: @escaping @Sendable (_ catalog: OptimizerCatalog, _ target: String, _ recorded: String) -> OptimizerCatalog?
    ) {
        (self.id, self.title, self.summary, self.source, self.kind, self.family, self.killedBy, self.install) =
            (id, title, summary, source, kind, family, killedBy, install)
    }

    /// The catalog that replays `recorded` fixtures with this entry in place of `target`,
    /// or `nil` where the entry does not apply to `target`.
    public func catalog(from catalog: OptimizerCatalog, target: String, recorded: String) -> OptimizerCatalog? {
        install(catalog, target, recorded)
    }
}
