import Foundation
import LockstepFormat
import LockstepOptim
import LockstepTestSupport
import Testing

@testable import LockstepHarness

/// Closure mode answered from the calls torch made (format extension 12): each call is
/// checked to be where the recording was, and answered with the recorded loss and gradients.
@Suite("Replay of recorded closure calls")
struct RecordedClosureReplayTests {
    /// Writes `trajectory` and replays it both ways, within `tolerance`.
    func replay<T: FixtureScalar>(
        _ trajectory: FixtureTrajectory<T>, tolerance: Tolerance = .exact
    ) throws -> (freeRunning: VerificationResult, teacherForced: VerificationResult) {
        let dir = try TemporaryDirectory()
        let path = dir.path("recorded.h5")
        try FixtureWriter.write(trajectory, to: path)
        let reader = try FixtureReader(path: path)
        return (
            try Replay(tolerance: tolerance).run(reader),
            try Replay(tolerance: tolerance, teacherForcing: true).run(reader)
        )
    }

    @Test(arguments: RecordedClosureCase.all)
    func aRecordedRunReplaysBitForBit(_ run: RecordedClosureCase) throws {
        try expectReplays(run, as: Float.self)
        try expectReplays(run, as: Double.self)
    }

    func expectReplays<T: TensorScalar & FixtureScalar>(_ run: RecordedClosureCase, as _: T.Type) throws {
        let (free, forced) = try replay(try run.record(T.self))
        for result in [free, forced] {
            #expect(result.passed, "\(result.dtype) \(result.mode): \(result.firstFailureDescription ?? "")")
            // The calls are compared where they happened, reported before the loss and the count.
            #expect(result.tensors.prefix(4).map(\.tensor) == [
                "/params/w/evaluations/param", "/params/b/evaluations/param", "/steps/loss", "/steps/closure_calls",
            ])
            #expect(result.tensors[0].comparedElements > 3 * result.steps)
        }
    }

    /// A parameter the loss does not use keeps `.grad` `None` at every call (`has_grad` 0,
    /// NaN rows): it is given no gradient, not the NaN row.
    @Test func aCallThatLeftNoGradientGivesNone() throws {
        var run = RecordedClosureCase.lbfgsStrongWolfe
        run.withUnusedParameter = true
        let trajectory = try run.record(Double.self)
        #expect(trajectory.parameters[2].evaluations?.hasGrad?.contains(true) == false)
        let (free, forced) = try replay(trajectory)
        #expect(free.passed, "\(free.firstFailureDescription ?? "")")
        #expect(forced.passed, "\(forced.firstFailureDescription ?? "")")
    }

    /// The optimizer asks somewhere else than torch did: the failure names the parameter's
    /// `evaluations/param`, the step and the call.
    @Test func aCallAtAnotherPointFailsNamingTheCall() throws {
        var trajectory = try RecordedClosureCase.lbfgsStrongWolfe.record(Float.self)
        let calls = try #require(trajectory.closureCalls)
        try #require(calls[1] >= 2)
        let row = Int(calls[0]) + 1  // the second call of step 2
        trajectory.parameters[0].evaluations?.param[row][2] += 0.125
        let (free, forced) = try replay(trajectory)
        for result in [free, forced] {
            let failure = try #require(result.firstFailure)
            #expect(failure.step == 2)
            #expect(failure.tensor == "/params/w/evaluations/param")
            #expect(failure.index == 2)
            #expect(failure.multiIndex == [0, 2])
            #expect(failure.evaluation == .init(call: 2, row: row))
            let description = try #require(result.firstFailureDescription)
            #expect(description.hasPrefix("first failure: step 2, /params/w/evaluations/param, element 2 [0, 2]: expected "))
            #expect(description.hasSuffix(" (closure call 2 of step 2, evaluation row \(row))"))
        }
    }

    /// The optimizer asks more often than torch did: the call beyond the step's recorded
    /// ones reads nothing (with the fixed step, past the last row of the file) and is
    /// answered with NaN; the count fails at that step with the number of calls made.
    @Test(arguments: RecordedClosureCase.all)
    func aCallBeyondTheRecordingIsCountedNotRead(_ run: RecordedClosureCase) throws {
        var trajectory = try run.record(Double.self)
        var calls = try #require(trajectory.closureCalls)
        let step = try #require(calls.lastIndex { $0 >= 2 }) + 1
        let dropped = Int(calls[..<step].reduce(0, +)) - 1  // the last call of that step
        calls[step - 1] -= 1
        trajectory.closureCalls = calls
        trajectory.evaluationLosses?.remove(at: dropped)
        for index in trajectory.parameters.indices {
            trajectory.parameters[index].evaluations?.param.remove(at: dropped)
            trajectory.parameters[index].evaluations?.grad.remove(at: dropped)
        }
        let (free, forced) = try replay(trajectory)
        for result in [free, forced] {
            let failure = try #require(result.firstFailure)
            #expect(failure.step == step)
            #expect(failure.tensor == "/steps/closure_calls")
            #expect(failure.expected == Double(calls[step - 1]))
            #expect(failure.actual > Double(calls[step - 1]))
            // Until then the calls were where torch's were, and the step returned the first one's loss.
            let answered = result.tensors.filter { $0.tensor.hasSuffix("/evaluations/param") || $0.tensor == "/steps/loss" }
            #expect(answered.allSatisfy { ($0.firstFailure?.step ?? .max) > step })
        }
    }

    /// The optimizer asks less often than torch did: the count fails at that step alone,
    /// and the next steps still read their own rows.
    @Test func aCallTheOptimizerDoesNotMakeFailsTheCountAlone() throws {
        var trajectory = try RecordedClosureCase.lbfgsFixedStep.record(Float.self)
        var calls = try #require(trajectory.closureCalls)
        try #require(calls.count >= 3)
        let extra = Int(calls[0] + calls[1])  // after step 2's calls
        calls[1] += 1
        trajectory.closureCalls = calls
        trajectory.evaluationLosses?.insert(.pi, at: extra)
        for index in trajectory.parameters.indices {
            let count = trajectory.parameters[index].initial.count
            trajectory.parameters[index].evaluations?.param.insert([Float](repeating: 9, count: count), at: extra)
            trajectory.parameters[index].evaluations?.grad.insert([Float](repeating: 9, count: count), at: extra)
        }
        let (free, forced) = try replay(trajectory)
        for result in [free, forced] {
            #expect(result.tensors.filter { !$0.passed }.map(\.tensor) == ["/steps/closure_calls"])
            let failure = try #require(result.firstFailure)
            #expect(failure.step == 2)
            #expect(failure.expected == Double(calls[1]))
            #expect(failure.actual == Double(calls[1] - 1))
            #expect(result.firstFailureDescription?.hasSuffix("expected \(calls[1]), actual \(calls[1] - 1) calls") == true)
        }
    }

    /// A recording that starts after two steps: replayed from the state it records before
    /// its first step, and not without it.
    @Test func aRecordingWindowReplaysFromItsInitialState() throws {
        var run = RecordedClosureCase.lbfgsStrongWolfe
        run.warmup = 2
        var trajectory = try run.record(Double.self)
        #expect(trajectory.parameters[0].initialState["n_iter"] != nil)
        let (free, forced) = try replay(trajectory)
        #expect(free.passed, "\(free.firstFailureDescription ?? "")")
        #expect(forced.passed, "\(forced.firstFailureDescription ?? "")")

        trajectory.parameters[0].initialState = [:]
        let (withoutState, _) = try replay(trajectory)
        #expect(withoutState.firstFailure?.step == 1)
    }
}
