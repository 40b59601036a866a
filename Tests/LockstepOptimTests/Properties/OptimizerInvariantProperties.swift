import LockstepOptim
import LockstepTesting
import PropertyBased
import Testing

// The optimizer laws (`OptimizerLaw`, in LockstepTesting: the same code a user's package
// runs on its own optimizer with `expectOptimizerLaws`) over every optimizer Lockstep ships.

extension OptimizerUnderTest {
    /// Every optimizer, with hyperparameters that switch on its optional paths. A new
    /// optimizer is covered by adding it here. `hasMaximize` comes from each `Options`'
    /// torch keys.
    static let all: [OptimizerUnderTest] = [
        .init(
            SGD<Float>.self, SGD<Double>.self, name: "SGD momentum dampening weight_decay",
            hyperparameters: #"{"lr": 0.1, "momentum": 0.9, "dampening": 0.1, "weight_decay": 0.01}"#,
            poison: .signedInfinityUntilDecayed),
        .init(
            SGD<Float>.self, SGD<Double>.self, name: "SGD nesterov",
            hyperparameters: #"{"lr": 0.05, "momentum": 0.5, "nesterov": true}"#, poison: .signedInfinity),
        .init(
            Adam<Float>.self, Adam<Double>.self, name: "Adam amsgrad weight_decay",
            hyperparameters: #"{"lr": 0.01, "weight_decay": 0.1, "amsgrad": true}"#, poison: .element),
        .init(
            AdamW<Float>.self, AdamW<Double>.self, name: "AdamW", hyperparameters: #"{"lr": 0.01, "weight_decay": 0.1}"#,
            poison: .element),
        // The reference (pytorch-transformers' AdamW) has no maximize, nor has its Options.
        .init(
            HFAdamW<Float>.self, HFAdamW<Double>.self, name: "HFAdamW",
            hyperparameters: #"{"lr": 0.01, "weight_decay": 0.1}"#, poison: .element),
        .init(
            Adagrad<Float>.self, Adagrad<Double>.self, name: "Adagrad",
            hyperparameters: #"{"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.1, "initial_accumulator_value": 0.1}"#,
            stateAtConstruction: true, poison: .element),
        .init(
            Adadelta<Float>.self, Adadelta<Double>.self, name: "Adadelta", hyperparameters: #"{"lr": 1.0, "weight_decay": 0.1}"#,
            poison: .element),
        .init(
            Adamax<Float>.self, Adamax<Double>.self, name: "Adamax", hyperparameters: #"{"lr": 0.02, "weight_decay": 0.1}"#,
            poison: .element),
        .init(
            ASGD<Float>.self, ASGD<Double>.self, name: "ASGD", hyperparameters: #"{"lr": 0.01, "t0": 2, "weight_decay": 0.1}"#,
            poison: .signedInfinityUntilDecayed),
        .init(
            NAdam<Float>.self, NAdam<Double>.self, name: "NAdam decoupled",
            hyperparameters: #"{"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": true}"#, poison: .element),
        .init(
            RAdam<Float>.self, RAdam<Double>.self, name: "RAdam", hyperparameters: #"{"lr": 0.01, "weight_decay": 0.1}"#,
            poison: .rectified(beta2: 0.999)),
        .init(
            RMSprop<Float>.self, RMSprop<Double>.self, name: "RMSprop centered momentum",
            hyperparameters: #"{"lr": 0.01, "alpha": 0.9, "centered": true, "momentum": 0.5, "weight_decay": 0.1}"#,
            poison: .element),
        .init(Rprop<Float>.self, Rprop<Double>.self, name: "Rprop", hyperparameters: #"{"lr": 0.01}"#, poison: .absorbed),
        // ε₁ = None is the dtype's epsilon (torch.finfo(dtype).eps): 2^-23 in float32 clamps
        // the row mean of small gradients where float64's 2^-52 does not, a different
        // hyperparameter rather than rounding (found by the float32 ≈ float64 law at
        // gradients ~1e-4). That law pins ε₁ = 2^-23 in both dtypes.
        .init(
            Adafactor<Float>.self, Adafactor<Double>.self, name: "Adafactor",
            hyperparameters: #"{"lr": 0.01, "weight_decay": 0.1}"#, poison: .factored,
            crossDtypeOverrides: #"{"eps": [1.1920928955078125e-07, 0.001]}"#),
        // torch's Muon has no maximize (nor has its Options) and takes 2-D parameters only.
        // Its Newton–Schulz runs in bfloat16 (2^-8): a rounding flip moves lr·2^-8, hence a
        // float32 tolerance of 2e-3.
        .init(
            Muon<Float>.self, Muon<Double>.self, name: "Muon", hyperparameters: #"{"lr": 0.02, "weight_decay": 0.1}"#,
            matricesOnly: true, poison: .wholeTensor, float32Tolerance: 2e-3),
        .init(
            SparseAdam<Float>.self, SparseAdam<Double>.self, name: "SparseAdam", hyperparameters: #"{"lr": 0.01}"#,
            gradients: .sparse, poison: .element),
        // torch's LBFGS takes exactly one param group. Its stopping tests (|f − f_prev| < 1e-9,
        // ‖g‖∞ ≤ 1e-7) are met at different iterations in float32 and float64 near the minimum,
        // so the two runs may stop ~√(2·1e-9/a) ≈ 1e-4 apart: float32 tolerance 1e-3. With
        // strong Wolfe, a Wolfe test or interpolation branch that rounding decides sends the
        // two searches to different points: a soak found 2 cases in 20 000 up to 0.7 apart,
        // and torch 2.15 gives the same float32 and float64 values there (checked), so the
        // float32 ≈ float64 law runs LBFGS with a fixed step.
        .init(
            LBFGS<Float>.self, LBFGS<Double>.self, name: "LBFGS strong_wolfe",
            hyperparameters: #"{"lr": 0.5, "max_iter": 4, "history_size": 3, "line_search_fn": "strong_wolfe"}"#,
            gradients: .closure, supportsGroups: false, stateOnFirstParameter: true, poison: .someNaN,
            float32Tolerance: 1e-3, crossDtypeOverrides: #"{"line_search_fn": null}"#),
    ]

    /// Every law with every optimizer it applies to.
    static let lawsAndOptimizers: [(OptimizerLaw, OptimizerUnderTest)] = OptimizerLaw.allCases.flatMap { law in
        all.filter(law.applies).map { (law, $0) }
    }
}

/// Every law of `OptimizerLaw` (which documents them; `OptimizerUnderTest.PoisonRule` says how
/// torch carries NaN and ∞) over every optimizer it applies to: one test case per pair.
@Suite("Invariants every optimizer keeps", .shrinking)
struct OptimizerInvariantProperties {
    @Test("every optimizer keeps the law", arguments: OptimizerUnderTest.lawsAndOptimizers)
    func optimizerKeepsLaw(_ law: OptimizerLaw, _ entry: OptimizerUnderTest) async {
        await expectOptimizerLaw(law, entry)
    }
}
