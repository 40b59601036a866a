import Lion
import LockstepTesting
import Testing

/// Lion, replayed against the goldens `record_goldens.py` recorded from the torch reference
/// (`reference/lion.py`): bit for bit, free-running and teacher-forced, float32 and float64.
@Test(arguments: Fixture.all(in: "../../fixtures"))
func lionMatchesTorch(_ fixture: Fixture) {
    expectVerifies(fixture, with: [Lion<Float>.self, Lion<Double>.self], bounds: .exact)
}

/// The laws every optimizer keeps (maximize, group splitting, missing gradients, state-dict
/// resume, float32 ≈ float64, NaN and ∞), checked on Lion. Lion's update is a sign: torch's
/// `sign(NaN)` is 0 and a ±∞ gradient moves an element by ∓lr, so every parameter stays
/// finite (`.finite`).
@Test func lionKeepsTheOptimizerLaws() async {
    await expectOptimizerLaws(
        Lion<Float>.self, Lion<Double>.self, hyperparameters: #"{"lr": 0.01, "weight_decay": 0.1}"#, poison: .finite)
}
