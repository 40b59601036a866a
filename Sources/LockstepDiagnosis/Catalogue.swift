import LockstepHarness
import LockstepJSON
import LockstepOptim

/// The catalogue of conventions, porting bugs and generic mutants: the one list.
///
/// For an optimizer name, ``entries(for:in:)`` gives the entries that stand in for it: the
/// conventions and bugs of its family, the weight-decay conventions it does not follow
/// itself, the multiply-add convention, and every generic mutant whose hyperparameter or
/// state it has. A user's own optimizer (in the catalog by its type) gets the generic ones.
public enum Catalogue {
    /// Optimizers whose `weight_decay` is an L2 penalty on the gradient (torch's default).
    static let l2Decay: Set<String> = ["Adam", "SGD", "Adagrad", "RMSprop", "Adadelta", "Adamax", "NAdam", "RAdam", "ASGD"]
    /// Optimizers whose decay multiplies the parameter by `1 − γλ` before the step.
    static let decoupledDecay: Set<String> = ["AdamW", "Adafactor", "Muon"]
    /// Optimizers that decay the updated parameter (pytorch-transformers' AdamW).
    static let decayAfterUpdate: Set<String> = ["HFAdamW"]

    /// Every entry that stands in for `optimizer`, whose type `catalog` holds, in catalogue
    /// order: family conventions and bugs, weight-decay and multiply-add conventions, then
    /// generic mutants.
    public static func entries(for optimizer: String, in catalog: OptimizerCatalog) -> [CatalogueEntry] {
        let family = familyEntries.filter { $0.optimizers.contains(optimizer) }.map(\.entry)
        var decay: [DecayConvention] = []
        if let type = catalog.type(named: optimizer, scalar: Double.self) as? any PerParameterOptimizer.Type, hasWeightDecay(type) {
            decay = DecayConvention.allCases.filter { convention in
                switch convention {
                case .decoupled: !decoupledDecay.contains(optimizer) && optimizer != "Adam"  // Adam's own flag, above
                case .l2Penalty: !l2Decay.contains(optimizer) && optimizer != "AdamW"  // torch's Adam, above
                case .notScaledByLR: !l2Decay.contains(optimizer)
                case .afterUpdate: !l2Decay.contains(optimizer) && !decayAfterUpdate.contains(optimizer)
                }
            }
            // A user's optimizer: the convention it follows itself is no alternative to it.
            decay = decay.filter { !isOwnConvention($0, of: type) }
        }
        var mutations: [GenericMutation] = []
        if let type = catalog.type(named: optimizer, scalar: Float.self) as? any PerParameterOptimizer.Type {
            mutations = applicableMutations(type)
        }
        return family + decay.map(decayEntry) + [multiplyAdds] + mutations.map(mutantEntry)
    }

    // MARK: Survivors explained

    /// Why an entry survives every golden of an optimizer.
    public enum SurvivorReason: Sendable {
        /// The entry computes the optimizer's own numbers for every input: no fixture can
        /// kill it, and it does not count against the score.
        case equivalent(String)
        /// The entry differs, but by less than torch's own rounding on these paths, which
        /// the goldens' bounds must allow: it survives, for the reason given.
        case indistinguishable(String)
    }

    /// The survivors of Lockstep's goldens that no golden can kill, and why: one list
    /// (docs/diagnosis.md); `verify mutants` prints the reason, and `tools/mutants` fails on
    /// a survivor it does not hold.
    static let knownSurvivors: [(optimizers: [String], id: String, reason: SurvivorReason)] = [
        (["Adam", "AdamW"], "mutant.state-updated-early.max_exp_avg_sq",
         .equivalent("max(vmax, v) is idempotent: the early maximum and the step's maximum are the same value")),
        (["ASGD"], "mutant.state-updated-early.ax",
         .equivalent("the parameter update never reads `ax`, the running average kept for the caller")),
        (["Adadelta", "RMSprop", "Rprop"], "mutant.step-off-by-one",
         .equivalent("the update never reads `step`: torch keeps it as a count only")),
        (["Rprop"], "fma.other-capability",
         .equivalent("Rprop's update has no multiply-add (signs, products, clamps), so fusing changes nothing")),
        (["SparseAdam"], "fma.other-capability",
         .equivalent("torch's sparse path rounds every product on its own (no lerp, addcmul or add with alpha), on every capability")),
    ]

    /// Why `id` survives `optimizer`'s goldens, where the catalogue knows.
    public static func survivorReason(_ id: String, optimizer: String) -> SurvivorReason? {
        knownSurvivors.first { $0.id == id && $0.optimizers.contains(optimizer) }?.reason
    }

    // MARK: Family entries

    private struct FamilyEntry {
        let optimizers: [String]
        let entry: CatalogueEntry
    }

    /// Conventions and porting bugs of one optimizer family, each for the optimizers it stands in for.
    private static let familyEntries: [FamilyEntry] = [
        FamilyEntry(
            optimizers: ["AdamW"],
            entry: CatalogueEntry(
                id: "adam.l2-penalty", title: "L2 penalty instead of decoupled decay",
                summary: "g ← g + λθ before the moments (torch's Adam with weight_decay), where AdamW decays θ by 1 − γλ",
                source: "PyTorch `torch.optim.Adam(weight_decay=λ)`; Keras/TF Adam before decoupled decay",
                kind: .convention, family: .adamLike, killedBy: "weight_decay ≠ 0",
                install: { catalog, _, recorded in
                    catalog.renaming(Adam<Float>.self, Adam<Double>.self, as: recorded) { $0["decoupled_weight_decay"] = .bool(false) }
                })),
        FamilyEntry(
            optimizers: ["Adam"],
            entry: CatalogueEntry(
                id: "adam.decoupled-decay", title: "decoupled decay instead of an L2 penalty",
                summary: "θ ← θ·(1 − γλ) before the step (torch's AdamW), where Adam adds λθ to the gradient",
                source: "Loshchilov & Hutter, Decoupled Weight Decay Regularization, ICLR 2019 (`torch.optim.AdamW`)",
                kind: .convention, family: .adamLike, killedBy: "weight_decay ≠ 0",
                install: { catalog, _, recorded in
                    catalog.renaming(Adam<Float>.self, Adam<Double>.self, as: recorded) { $0["decoupled_weight_decay"] = .bool(true) }
                })),
        FamilyEntry(
            optimizers: ["Adam", "AdamW"],
            entry: CatalogueEntry(
                id: "adam.pytorch-transformers", title: "pytorch-transformers AdamW",
                summary: "bias corrections folded into the step size (ε added to √v uncorrected), decay after the update",
                source: "pytorch-transformers 1.x `AdamW` (pytorch_transformers/optimization.py), later `transformers.AdamW`",
                kind: .convention, family: .adamLike, killedBy: "any Adam trajectory: ε's place differs from step 1",
                install: { catalog, _, recorded in
                    catalog.renaming(HFAdamW<Float>.self, HFAdamW<Double>.self, as: recorded) { $0["correct_bias"] = .bool(true) }
                })),
        FamilyEntry(
            optimizers: ["Adam", "AdamW"],
            entry: CatalogueEntry(
                id: "adam.no-bias-correction", title: "no bias correction",
                summary: "θ ← θ − γ·m / (√v + ε): neither moment corrected (BERT's TensorFlow optimizer)",
                source: "google-research/bert `optimization.py` (AdamWeightDecayOptimizer); pytorch-transformers `correct_bias=False`",
                kind: .convention, family: .adamLike, killedBy: "the first steps, where 1 − βᵗ is far from 1",
                install: { catalog, _, recorded in
                    catalog.renaming(HFAdamW<Float>.self, HFAdamW<Double>.self, as: recorded) { $0["correct_bias"] = .bool(false) }
                })),
        FamilyEntry(
            optimizers: ["Adam", "AdamW"],
            entry: CatalogueEntry(
                id: "adam.keras-epsilon", title: "Keras's ε̂ = ε·√(1 − β₂ᵗ)",
                summary: "α = γ·√(1 − β₂ᵗ)/(1 − β₁ᵗ), θ ← θ − m·α/(√v + ε): ε added to the uncorrected √v",
                source: "Keras 3 `keras/src/optimizers/adam.py`; TF1 `tf.train.AdamOptimizer`",
                kind: .convention, family: .adamLike, killedBy: "√v̂ comparable to ε (small gradients), or any trajectory bit for bit",
                install: { catalog, _, recorded in
                    catalog.renaming(KerasAdam<Float>.self, KerasAdam<Double>.self, as: recorded)
                })),
        FamilyEntry(
            optimizers: ["Adam", "AdamW"],
            entry: CatalogueEntry(
                id: "adam.eps-inside-sqrt", title: "ε inside the square root",
                summary: "θ ← θ − γ/(1 − β₁ᵗ) · m / √(v̂ + ε) where torch adds ε to √v̂",
                source: "optax `scale_by_adam(eps_root=ε)`; Adam implementations that fold ε into the variance",
                kind: .convention, family: .adamLike, killedBy: "√v̂ comparable to ε (small gradients), or any trajectory bit for bit",
                install: { catalog, target, recorded in adamRule(.epsInsideSqrt, catalog, target, recorded) })),
        FamilyEntry(
            optimizers: ["Adam", "AdamW"],
            entry: CatalogueEntry(
                id: "adam.float32-coefficients", title: "coefficients in float32",
                summary: "1 − βᵗ, the step size and 1 − γλ computed in float32, where torch computes Python floats and rounds once",
                source: nil, kind: .portingBug, family: .adamLike, killedBy: "a float32 or float64 trajectory judged bit for bit",
                install: { catalog, target, recorded in adamRule(.float32Coefficients, catalog, target, recorded) })),
        FamilyEntry(
            optimizers: ["SGD"],
            entry: CatalogueEntry(
                id: "sgd.sutskever-momentum", title: "momentum in Sutskever's form (lr inside the buffer)",
                summary: "v ← μv + γg, θ ← θ − v, where torch keeps v ← μv + g, θ ← θ − γv",
                source: "Sutskever et al., ICML 2013, eq. (1)–(2); TF/Keras `SGD(momentum=…)`",
                kind: .convention, family: .sgdLike, killedBy: "momentum ≠ 0 under a learning-rate schedule (bit for bit: any momentum)",
                install: { catalog, _, recorded in
                    catalog.renaming(SutskeverSGD<Float>.self, SutskeverSGD<Double>.self, as: recorded)
                })),
        FamilyEntry(
            optimizers: ["SGD"],
            entry: CatalogueEntry(
                id: "sgd.dampened-first-step", title: "dampening at the first step",
                summary: "b₁ ← (1 − τ)g where torch starts the buffer with g and dampens only later updates",
                source: nil, kind: .portingBug, family: .sgdLike, killedBy: "momentum ≠ 0 with dampening ≠ 0",
                install: { catalog, _, recorded in
                    catalog.renaming(DampenedFirstStepSGD<Float>.self, DampenedFirstStepSGD<Double>.self, as: recorded)
                })),
        FamilyEntry(
            optimizers: ["RMSprop"],
            entry: CatalogueEntry(
                id: "rmsprop.tensorflow", title: "Keras/TensorFlow RMSprop",
                summary: "γ·g / √(v + ε), and with momentum b ← μb + γ·g/√(v + ε), θ ← θ − b: ε under the root, lr inside the buffer",
                source: "Keras 3 `keras/src/optimizers/rmsprop.py`; TF1 `tf.train.RMSPropOptimizer`",
                kind: .convention, family: .adaptive, killedBy: "any RMSprop trajectory (ε's place differs from step 1)",
                install: { catalog, _, recorded in
                    catalog.renaming(TensorFlowRMSprop<Float>.self, TensorFlowRMSprop<Double>.self, as: recorded)
                })),
        FamilyEntry(
            optimizers: ["Adagrad"],
            entry: CatalogueEntry(
                id: "adagrad.eps-inside-sqrt", title: "ε inside the square root (Keras/TensorFlow)",
                summary: "θ ← θ − γ·g / √(s + ε) where torch divides by √s + ε",
                source: "Keras 3 `keras/src/optimizers/adagrad.py`; TF1 `tf.train.AdagradOptimizer`",
                kind: .convention, family: .adaptive, killedBy: "any Adagrad trajectory with a small accumulator",
                install: { catalog, _, recorded in
                    catalog.renaming(TensorFlowAdagrad<Float>.self, TensorFlowAdagrad<Double>.self, as: recorded)
                })),
        FamilyEntry(
            optimizers: ["Adagrad"],
            entry: rewritten(
                "adagrad.keras-accumulator", "Keras's initial accumulator 0.1", "the accumulator starts at 0.1 where torch's default is 0",
                "Keras 3 `Adagrad(initial_accumulator_value=0.1)`; TF1 `tf.train.AdagradOptimizer`", .convention,
                family: .adaptive, killedBy: "a trajectory with initial_accumulator_value ≠ 0.1",
                ["initial_accumulator_value": .number(0.1)])),
    ] + quasiNewtonEntries

    /// ``AdamRules`` with `rule` in place of `target` (AdamW: decoupled decay forced, as torch's AdamW does).
    private static func adamRule(
        _ rule: AdamRule, _ catalog: OptimizerCatalog, _ target: String, _ recorded: String
    ) -> OptimizerCatalog {
        let decoupled = target == "AdamW"
        let rewrite: @Sendable (inout [String: JSONValue]) -> Void = { if decoupled { $0["decoupled_weight_decay"] = .bool(true) } }
        return catalog
            .adding(AdamRules<Float>.self, as: recorded, ignoringUnknownKeys: true, hyperparameters: rewrite, configure: { $0.rule = rule })
            .adding(AdamRules<Double>.self, as: recorded, ignoringUnknownKeys: true, hyperparameters: rewrite, configure: {
                $0.rule = rule
            })
    }

    /// LBFGS and nonlinear CG: the conventions of scipy's minimizers and the classic
    /// papers, as hyperparameters of Lockstep's own implementations.
    private static let quasiNewtonEntries: [FamilyEntry] =
        [
            FamilyEntry(
                optimizers: ["LBFGS"],
                entry: rewritten(
                    "lbfgs.scipy-memory", "scipy's memory of 10 pairs", "history_size = 10 where torch keeps 100",
                    "scipy.optimize.minimize(method='L-BFGS-B'), `maxcor=10`; Nocedal & Wright suggest 3–20",
                    .convention, killedBy: "more than 10 iterations with curvature pairs kept", ["history_size": .number(10)])),
            FamilyEntry(
                optimizers: ["LBFGS", "ConjugateGradient"],
                entry: rewritten(
                    "quasi-newton.scipy-gtol", "scipy's gradient tolerance", "tolerance_grad = 1e-5 where torch stops at 1e-7",
                    "scipy.optimize.minimize, `gtol=1e-5`", .convention,
                    killedBy: "a run that reaches a gradient below 1e-5", ["tolerance_grad": .number(1e-5)])),
            FamilyEntry(
                optimizers: ["LBFGS", "ConjugateGradient"],
                entry: rewritten(
                    "quasi-newton.line-search-ignored", "line search ignored", "fixed steps of lr where the group asks for strong Wolfe",
                    nil, .portingBug, killedBy: "line_search_fn = 'strong_wolfe'", ["line_search_fn": .null])),
        ]
        + ConjugateGradient<Double>.BetaRule.names.map { rule in
            FamilyEntry(
                optimizers: ["ConjugateGradient"],
                entry: rewritten(
                    "cg.beta.\(rule)", "β by \(rule.replacingOccurrences(of: "_", with: " "))", "the conjugate direction's β by another rule",
                    betaSources[rule], .convention, killedBy: "a fixture with another β rule and more than one iteration",
                    ["beta": .string(rule)]))
        }

    private static let betaSources: [String: String] = [
        "fletcher_reeves": "Fletcher & Reeves, Computer Journal 1964",
        "polak_ribiere": "Polak & Ribière 1969; Polyak 1969",
        "polak_ribiere_plus": "scipy.optimize.minimize(method='CG') (`beta = max(0, …)`); Gilbert & Nocedal 1992",
        "hestenes_stiefel": "Hestenes & Stiefel 1952",
        "dai_yuan": "Dai & Yuan, SIAM J. Optim. 1999",
    ]

    /// An entry that is the target with some hyperparameters replaced.
    private static func rewritten(
        _ id: String, _ title: String, _ summary: String, _ source: String?, _ kind: CatalogueEntry.Kind,
        family: CatalogueEntry.Family = .quasiNewton, killedBy: String, _ replacements: [String: JSONValue]
    ) -> CatalogueEntry {
        CatalogueEntry(
            id: id, title: title, summary: summary, source: source, kind: kind, family: family, killedBy: killedBy,
            install: { catalog, target, recorded in
                catalog.retyped(target, as: recorded, hyperparameters: { $0.merge(replacements) { _, new in new } })
            })
    }

    // MARK: Weight-decay and multiply-add conventions

    private static func decayEntry(_ convention: DecayConvention) -> CatalogueEntry {
        let (title, summary, source): (String, String, String?) =
            switch convention {
            case .decoupled:
                ("decoupled decay instead of an L2 penalty", "θ ← θ·(1 − γλ) before the step, the step without weight_decay",
                 "Loshchilov & Hutter, ICLR 2019 (torch's AdamW, SGDW)")
            case .l2Penalty:
                ("L2 penalty instead of decoupled decay", "g ← g + λθ (one multiply-add), the step without weight_decay",
                 "PyTorch's `weight_decay` on Adam, SGD, RMSprop, Adagrad")
            case .notScaledByLR:
                ("decay not scaled by lr", "θ ← θ·(1 − λ) before the step: the paper's form with schedule multiplier η = 1",
                 "Loshchilov & Hutter, ICLR 2019, Algorithm 2 (θ ← θ − η(α·… + λθ))")
            case .afterUpdate:
                ("decay after the update", "θ ← θ − γλθ on the updated parameter",
                 "pytorch-transformers 1.x `AdamW` (pytorch_transformers/optimization.py)")
            }
        return CatalogueEntry(
            id: "decay.\(convention.id)", title: title, summary: summary, source: source, kind: .convention,
            family: .generic, killedBy: "weight_decay ≠ 0 with lr ≠ 1",
            install: { catalog, target, recorded in
                catalog.variant(of: target, as: recorded) { try $0.configure(.decay(convention)) }
            })
    }

    /// torch's DEFAULT kernels round every product; AVX2 and AVX-512 fuse the multiply-adds
    /// of `lerp`, `addcmul` and `add(alpha=)`.
    private static let multiplyAdds = CatalogueEntry(
        id: "fma.other-capability", title: "multiply-adds fused the other way",
        summary: "fused where the reference rounded each product (DEFAULT), or rounded where it fused (AVX2/AVX-512)",
        source: "ATen's CPU kernels: `Vectorized::fmadd` on AVX2/AVX-512, none on DEFAULT", kind: .convention,
        family: .generic, killedBy: "any trajectory judged bit for bit (or within a few ULPs)",
        install: { catalog, target, recorded in
            catalog.retyped(target, as: recorded, capability: { capability in capability.hasFMA ? .default : .avx2 })
        })

    private static func mutantEntry(_ mutation: GenericMutation) -> CatalogueEntry {
        CatalogueEntry(
            id: mutation.id, title: mutation.title, summary: mutation.summary, kind: .mutant, family: .generic,
            killedBy: mutation.killedBy,
            install: { catalog, target, recorded in
                catalog.variant(of: target, as: recorded) { try $0.configure(.mutation(mutation)) }
            })
    }

    /// Whether `O` decays as `convention` does: on a probe (one parameter of 7 elements,
    /// lr 0.01, weight_decay 0.1, three steps of fixed gradients), the convention around `O`
    /// gives `O`'s own values bit for bit. How a user's optimizer (Lion: `θ·(1 − γλ)`) is
    /// told from the alternatives without declaring anything.
    static func isOwnConvention<O: PerParameterOptimizer>(_ convention: DecayConvention, of _: O.Type) -> Bool {
        do {
            let options = try O.standardDefaults.setting("weight_decay", to: [0.1]).setting("lr", to: [0.01])
            let start: [O.Scalar] = [0.5, -1.25, 2, -0.75, 1.5, 0.25, -2.5]
            let (own, other) = (Parameter(start), Parameter(start))
            let optimizer = try O(groups: [ParamGroup(params: [own], options: options)], defaults: options, cpuCapability: .avx2)
            let variant = try Variant<O>(groups: [ParamGroup(params: [other], options: options)], defaults: options, cpuCapability: .avx2)
            try variant.configure(.decay(convention))
            for step in 1...3 {
                let grad = start.indices.map { i in O.Scalar(Double((i * 7 + step * 3) % 11) / 4 - 1.3) }
                try own.setGrad(grad)
                try other.setGrad(grad)
                try optimizer.step()
                try variant.step()
            }
            return own.value == other.value
        } catch {
            return false
        }
    }

    private static func hasWeightDecay<O: PerParameterOptimizer>(_: O.Type) -> Bool {
        O.Options.TorchKey.allCases.contains { $0.stringValue == "weight_decay" }
    }

    private static func applicableMutations<O: PerParameterOptimizer>(_ type: O.Type) -> [GenericMutation] {
        GenericMutation.applicable(to: type)
    }
}

extension OptimizerCatalog {
    /// This catalog with `F` and `D` (the float32 and float64 types) replaying fixtures named
    /// `recorded`, their hyperparameters rewritten by `rewrite` and keys they do not know dropped.
    func renaming<F: Optimizer, D: Optimizer>(
        _: F.Type, _: D.Type, as recorded: String,
        _ rewrite: @escaping @Sendable (inout [String: JSONValue]) -> Void = { _ in }
    ) -> OptimizerCatalog where F.Scalar == Float, D.Scalar == Double {
        adding(F.self, as: recorded, ignoringUnknownKeys: true, hyperparameters: rewrite)
            .adding(D.self, as: recorded, ignoringUnknownKeys: true, hyperparameters: rewrite)
    }

    /// This catalog with `target`'s types, wrapped in a ``Variant`` set up by `configure`,
    /// replaying fixtures named `recorded`; `nil` unless the catalog holds `target` in both
    /// scalars as per-parameter optimizers.
    func variant(of target: String, as recorded: String, _ configure: @escaping (any VariantConfigurable) throws -> Void) -> OptimizerCatalog? {
        guard let single = type(named: target, scalar: Float.self) as? any PerParameterOptimizer.Type,
            let double = type(named: target, scalar: Double.self) as? any PerParameterOptimizer.Type
        else { return nil }
        return addingVariant(single, as: recorded, configure).addingVariant(double, as: recorded, configure)
    }

    private func addingVariant<B: PerParameterOptimizer>(
        _: B.Type, as recorded: String, _ configure: @escaping (any VariantConfigurable) throws -> Void
    ) -> OptimizerCatalog {
        adding(Variant<B>.self, as: recorded, ignoringUnknownKeys: true, configure: { try configure($0) })
    }

    /// This catalog with `target`'s types replaying fixtures named `recorded` at the CPU
    /// capability `capability` gives for the recorded one.
    /// (and hyperparameters rewritten by `rewrite`).
    func retyped(
        _ target: String, as recorded: String, hyperparameters rewrite: @escaping @Sendable (inout [String: JSONValue]) -> Void = { _ in },
        capability: @escaping (TorchCPUCapability) -> TorchCPUCapability = { $0 }
    ) -> OptimizerCatalog? {
        guard let single = type(named: target, scalar: Float.self), let double = type(named: target, scalar: Double.self) else {
            return nil
        }
        return addingRetyped(single, as: recorded, rewrite, capability).addingRetyped(double, as: recorded, rewrite, capability)
    }

    private func addingRetyped<O: Optimizer>(
        _: O.Type, as recorded: String, _ rewrite: @escaping @Sendable (inout [String: JSONValue]) -> Void,
        _ capability: @escaping (TorchCPUCapability) -> TorchCPUCapability
    ) -> OptimizerCatalog {
        adding(
            O.self, as: recorded, ignoringUnknownKeys: true, hyperparameters: rewrite,
            configure: { $0.cpuCapability = capability($0.cpuCapability) })
    }
}

/// A ``Variant`` whose change the catalogue sets, whatever its base type.
protocol VariantConfigurable: AnyObject {
    func configure(_ change: VariantChange) throws
}
