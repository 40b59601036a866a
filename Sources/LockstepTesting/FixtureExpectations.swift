import Foundation
@_exported import LockstepFormat
@_exported import LockstepHarness
@_exported import LockstepOptim
import Testing

/// How closely a replay must follow the fixture.
public enum Bounds: Sendable, Equatable {
    /// The fixture's own `tolerance` attribute, else `torch.testing.assert_close`'s
    /// defaults for its dtype (what `verify` does without flags).
    case fixture
    /// Bit for bit (`verify --exact`).
    case exact
    /// These bounds.
    case tolerance(Tolerance)

    func tolerance(for header: FixtureHeader) -> Tolerance {
        switch self {
        case .fixture: Tolerance.resolve(rtol: nil, atol: nil, maxULP: nil, file: header.tolerance, dtype: header.dtype)
        case .exact: .exact
        case .tolerance(let tolerance): tolerance
        }
    }
}

/// Verifies `fixture` with the optimizer types given (and Lockstep's own), free-running and
/// teacher-forced by default, as `verify` does.
///
/// Each failing replay records an issue at the caller's source location carrying `verify`'s
/// first-failure line (step, tensor, element, expected, actual, ULPs), e.g.
/// `lion_two_groups_f32.h5 free-running: first failure: step 4, /params/w/state/exp_avg,
/// element 3 [0, 3]: expected 0.0123, actual 0.0124, 9 ulp`. An invalid fixture (or one the
/// optimizer rejects) records the one-line error naming the file and the object.
///
/// - Parameters:
///   - fixture: the fixture file to replay.
///   - types: the caller's optimizers, in each dtype its fixtures use
///     (`[Lion<Float>.self, Lion<Double>.self]`).
///   - bounds: how closely each replay must follow the fixture; the fixture's own by default.
///   - modes: free-running (errors accumulate) and/or teacher-forced (each step alone).
///   - parallelism: how the optimizer splits its element loops across threads; the results
///     are the same bits whatever the split.
///   - sourceLocation: where issues are recorded; the caller's by default.
/// - Returns: the results of the replays that ran.
@discardableResult
public func expectVerifies(
    _ fixture: Fixture, with types: [any Optimizer.Type] = [], bounds: Bounds = .fixture,
    modes: [VerificationResult.Mode] = [.freeRunning, .teacherForced], parallelism: Parallelism = .serial,
    sourceLocation: SourceLocation = #_sourceLocation
) -> [VerificationResult] {
    if let problem = fixture.problem {
        Issue.record(Comment(rawValue: problem), sourceLocation: sourceLocation)
        return []
    }
    let name = fixture.testDescription
    do {
        let reader = try FixtureReader(path: fixture.path)
        let tolerance = bounds.tolerance(for: reader.header)
        let catalog = OptimizerCatalog.builtIn.adding(types)
        return try modes.map { mode in
            let replay = Replay(
                tolerance: tolerance, teacherForcing: mode == .teacherForced, parallelism: parallelism, optimizers: catalog)
            let result = try replay.run(reader)
            if let failure = result.firstFailureDescription {
                Issue.record(Comment(rawValue: "\(name) \(mode.rawValue) (\(tolerance)): \(failure)"), sourceLocation: sourceLocation)
            }
            return result
        }
    } catch let error as FixtureError {
        Issue.record(Comment(rawValue: error.description), sourceLocation: sourceLocation)
    } catch let error as ReplayError {
        Issue.record(Comment(rawValue: error.line(file: fixture.path)), sourceLocation: sourceLocation)
    } catch {
        Issue.record(Comment(rawValue: "\(fixture.path): /: \(error)"), sourceLocation: sourceLocation)
    }
    return []
}

/// Verifies every `.h5` fixture in `folder` (relative to the calling file), each as
/// ``expectVerifies(_:with:bounds:modes:parallelism:sourceLocation:)``; an empty or
/// missing folder records an issue. For one test case per file, use
/// `@Test(arguments: Fixture.all(in:))` instead.
@discardableResult
public func expectVerifiesAll(
    in folder: String, with types: [any Optimizer.Type] = [], bounds: Bounds = .fixture,
    modes: [VerificationResult.Mode] = [.freeRunning, .teacherForced], relativeTo file: StaticString = #filePath,
    sourceLocation: SourceLocation = #_sourceLocation
) -> [VerificationResult] {
    Fixture.all(in: folder, relativeTo: file).flatMap {
        expectVerifies($0, with: types, bounds: bounds, modes: modes, sourceLocation: sourceLocation)
    }
}
