import LockstepOptim
import Testing

@testable import LockstepTesting

/// The cases a soak (300 000 per optimizer) found against the float32 ≈ float64 law as it was
/// first stated, within the tolerance alone: L2 weight decay `g + λθ` cancelling to ~1e-8 on
/// the first step, which float32's rounding of `λθ` changes by a few percent and Adam's and
/// RMSprop's division by `|g + λθ| + ε` passes on. torch 2.15's own float32 and float64 runs
/// are as far apart on each (checked). The law now widens its bound to the float64 run's
/// measured sensitivity there (``OptimizerLaw/float32AgreesWithFloat64``); a float32 path
/// that computes something else must still fail it.
@Suite("float32 ≈ float64 on ill-conditioned cases")
struct Float32LawCounterexamples {
    static func entry(_ name: String) throws -> OptimizerUnderTest {
        try #require(OptimizerUnderTest.all.first { $0.name == name })
    }

    /// Adam (amsgrad, weight decay 0.1), parameter 2, element 0 at step 1: g = 0.0900610462
    /// and θ = −0.900610626, so g + 0.1θ is −1.773e-8 in float32 and −1.639e-8 in float64;
    /// the first step moves by lr·(g + λθ)/(|g + λθ| + 1e-8): −0.00639 against −0.00621.
    /// float32 −0.87936425, float64 −0.87954483 after 6 steps, in torch as in Lockstep.
    static let adamCancellation = TrainingCase(
        shapes: [.init(rows: 2, columns: 4, asVector: false), .init(rows: 1, columns: 4, asVector: false),
                 .init(rows: 4, columns: 2, asVector: false)],
        steps: 6, gradientExponent: -3,
        values: [
            1.04818562602581, -0.13823138864916817, -0.6161607254721502, 2.612319227059186, 0.06426039707711118,
            0.4673984204511168, -2.9302587000448406, 1.3957226874326567, 1.9851175558652372, 1.2191430585256695,
            -0.8444825531012183, 0.8940179320063999, -0.9006106205661513, -1.884478130240704, 1.0896495505449,
            2.030384578267096, -0.3611209045149062, 2.090486092213812, -2.6702139505714246, 1.3545512741036596,
            0.5889179170353609, -1.2020927673233632, 1.0773753885139898, -1.786158460911395, -0.9999056425439385,
            2.1639956161244847, -0.30311503481305646, -1.4860601663433957, 0.8575121979718974,
        ],
        gradients: [
            2.783408428005724, -1.4722427115564654, 2.0999959489361277, 1.5622512641379576, 2.9107266068460955,
            -2.189347312101778, 2.18668437648173, 2.6263554342554185, -2.885119380387665, -1.9412683205225914,
            -1.0540027246637964, 2.4686111065274545, 0.720488392913035, -1.5367073116041667, 2.183968778767987,
            -1.515181849211259, -0.8244937549251032, 1.5896777759920573, -2.704336330383396, -0.47488760680245745,
            -0.1882920745609069, 2.692770330633638, -2.980918034619992, 2.513183410085701, -2.88010450891929,
            -0.4694258648561984, 1.5376009975916238, -1.7721776774887605, -2.06967619540801, -2.4644777841854113,
            -2.1220762952636423, 2.245929814449312, 0.48382366996878456, 2.5987730356523286, -2.1734724095450857,
            -1.2267088842214526, 0.870294798896416, 2.6723942247042753, 2.8999651245289204, 1.2735941456750863,
            -0.4558472953461541, 0.5646198642779057, 0.24473943321284342, -1.620495869091584, -1.3543319529606395,
            0.27865185715495144, 1.4465726811606103, 0.575716344088208, 1.1908547819402617, 2.726939218849333,
            -0.10601980993953708, -2.3735423350854825, -1.3028149565461387, -2.314648008844417, -0.2636150727753468,
            1.5115802536265113, 0.48169502436176437, -2.89114875153811, 2.5877352165265837, -2.449013820438066,
            1.529757027495469,
        ],
        flags: [1, 1, 0, 0, 1, 0, 1, 0, 0, 1, 0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 0, 1].map { $0 == 1 }, pick: 657)

    /// RMSprop (centered, momentum 0.5, weight decay 0.1), parameter 1, element 3 at step 1:
    /// g + 0.1θ is 1.425e-7 in float32 and 1.401e-7 in float64, and the centered
    /// √(v − m²) + ε = 0.3·|g + λθ| + 1e-8 divides it; the parameters end 8.5e-5 apart, in
    /// torch as in Lockstep.
    static let rmspropCancellation = TrainingCase(
        shapes: [.init(rows: 3, columns: 2, asVector: true), .init(rows: 1, columns: 4, asVector: true),
                 .init(rows: 1, columns: 3, asVector: true)],
        steps: 2, gradientExponent: -3,
        values: [
            2.475686612211393, 0.5758428026287925, -2.7172644883882993, 0.39786437479430425, 2.4234799266443634,
            2.55807120974225, -1.8044697762243143, 2.5588389821381314, -0.7580716110185448, 1.6601524007789763,
            -0.32792796631904864, 0.06102676244171423, 2.3021891102488574, -0.6049220965827762, -2.047006323052616,
            -0.16075091698778543, -2.464002819824171, -1.1583430718995773, -0.808738677780994, 0.6959951278053169,
            2.9246633506219224, 1.9744396588278228, 1.0202477717415093, -1.6606886879795446, -1.8874406799442984,
            2.992414306136264, -1.662901787015505, 0.9662037329289248, -2.27955972770867,
        ],
        gradients: [
            1.4057051401563712, -1.8254746830106872, -0.22395606177226712, -0.022667366229274677, -1.4445331000039066,
            0.9646620977439584, 2.2711114842989666, 2.518395736054196, 1.0518207620751774, 1.6463811352698032,
            0.5664799828038296, 1.728912058473135, -1.0169656737757482, -2.8508116372534564, 0.759000362961137,
            -1.9745136786191104, -2.716562052067588, -1.9307241600442258, -2.9270115487040425, 1.9144427587617887,
            -0.6128425065045429, 2.2139077246768846, 2.3597869520720822, -0.7805785025816965, 0.7081016422330606,
            0.2897483931773195, 2.5518468893533193, -1.3281208846006878, 2.486282748806815, -1.9119503593330076,
            1.325519022811716, -0.026593699395125014, -1.3585283783268853, -2.336791091164834, -2.3679701478738364,
            -2.0147027072244725, -2.8669972875416994, 0.4454668475993824, 0.08843709252052179, -0.31529558024670123,
            2.6841100597465415, -1.5800582651004635, -2.6456033294268337, -1.9462338824835117, 0.6678335995573748,
            -2.2865377148030106, -2.876152012071638, 1.871697862797399, -0.4268671780189841, 2.8450275396465123,
            -0.5888262946159593, 1.43309505512768, 2.1620345961520524, 2.149710297292814, 1.9031986881396667,
            2.2985263453029017, -0.49700343851673656, 1.1786231698448129, 1.3937987173770852, -2.499720680437253,
            2.492538694489247,
        ],
        flags: [0, 0, 0, 1, 0, 1, 1, 1, 1, 0, 1, 1, 0, 1, 0, 1, 0, 1, 1, 1, 0, 1, 1].map { $0 == 1 }, pick: 827)

    @Test(
        "a cancelling g + λθ is beyond the tolerance but within the case's sensitivity",
        arguments: [
            ("Adam amsgrad weight_decay", adamCancellation, 2, 1.8e-4),
            ("RMSprop centered momentum", rmspropCancellation, 1, 8.5e-5),
        ])
    func cancellationIsIllConditioned(_ name: String, _ c: TrainingCase, _ parameter: Int, _ measured: Double) throws {
        let entry = try Self.entry(name)
        let comparison = try Float32AgreesWithFloat64.compare(entry, c)
        // The soak's (and torch's) difference, to two digits: the case still exercises the clause.
        #expect(abs(comparison.differences[parameter] - measured) <= 0.05 * measured, "\(comparison)")
        #expect(comparison.differences[parameter] > entry.float32Tolerance)
        let sensitivity = try #require(comparison.sensitivity)
        #expect(sensitivity >= comparison.differences[parameter], "\(comparison)")
        #expect(comparison.differences.allSatisfy { $0 <= comparison.bound }, "\(comparison)")
    }

    /// Adafactor with its default ε₁ (the dtype's epsilon: 2^-23 in float32, 2^-52 in float64)
    /// on gradients ~1e-4: float32 clamps the factored variance where float64 does not, a
    /// different hyperparameter rather than rounding. Its float64 run does not move when the
    /// inputs move by an ulp, so the law still fails it — hence the override in
    /// `OptimizerUnderTest.all`.
    @Test func aDifferentComputationStillFails() throws {
        let adafactor = OptimizerUnderTest(
            Adafactor<Float>.self, Adafactor<Double>.self, name: "Adafactor, default eps",
            hyperparameters: #"{"lr": 0.01, "weight_decay": 0.1}"#, poison: .factored)
        let c = TrainingCase(
            shapes: [.init(rows: 3, columns: 4, asVector: false)], steps: 4, gradientExponent: -8,
            values: (0..<29).map { 0.5 + Double($0) / 29 }, gradients: (0..<61).map { 0.01 + 0.02 * Double($0 % 7) / 7 },
            flags: [false], pick: 0)
        let comparison = try Float32AgreesWithFloat64.compare(adafactor, c)
        let sensitivity = try #require(comparison.sensitivity)
        #expect(sensitivity < adafactor.float32Tolerance, "\(comparison)")
        #expect(comparison.differences.contains { $0 > comparison.bound }, "\(comparison)")
    }
}
