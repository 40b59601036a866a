import Lion
import LockstepTesting
import Testing

/// The goldens `cases.py` records from PyTorch (`python -m lockstep cases cases.py`): Lion
/// (`reference/lion.py`) from this example's own training loop and on `lockstep.synthetic`'s
/// adversarial gradients, bit for bit, free-running and teacher-forced, float32 and float64;
/// and torch's AdamW from the same loop (OneCycleLR, a group added mid-run), replayed by
/// Lockstep's own AdamW within the fixture's bounds (its for-loop path is not bit-exact in float32).
@Test(arguments: Fixture.all(in: "../../fixtures"))
func goldensVerify(_ fixture: Fixture) {
    let lion = fixture.testDescription.hasPrefix("lion")
    expectVerifies(fixture, with: [Lion<Float>.self, Lion<Double>.self], bounds: lion ? .exact : .fixture)
}

/// The laws every optimizer keeps (maximize, group splitting, missing gradients, state-dict
/// resume, float32 ≈ float64, NaN and ∞), checked on Lion. Lion's update is a sign: torch's
/// `sign(NaN)` is 0 and a ±∞ gradient moves an element by ∓lr, so every parameter stays
/// finite (`.finite`).
@Test func lionKeepsTheOptimizerLaws() async {
    await expectOptimizerLaws(
        Lion<Float>.self, Lion<Double>.self, hyperparameters: #"{"lr": 0.01, "weight_decay": 0.1}"#, poison: .finite)
}
