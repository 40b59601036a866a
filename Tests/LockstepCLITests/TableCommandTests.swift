import LockstepCLI
import LockstepTestSupport
import Testing

/// `verify table`: a refused fixture stops the plain table (exit 2) and is counted by `--counts`.
@Suite("verify table")
struct TableCommandTests {
    @Test func countsKeepGoingPastARefusedFixture() {
        // No Swift optimizer is named KerasAdam: the fixture is refused.
        let refused = repositoryRoot.appendingPathComponent("fixtures/conventions/keras_adam_f64.h5").path
        let passing = fixturePath("adamw_fused_f32.h5")
        #expect(VerifyCommand.run(arguments: ["table", passing, refused]) == 2)
        #expect(VerifyCommand.run(arguments: ["table", "--counts", passing, refused]) == 0)
        #expect(VerifyCommand.run(arguments: ["table", "--counts", passing]) == 0)
    }
}
