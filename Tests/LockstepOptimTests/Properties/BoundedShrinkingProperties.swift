import Foundation
import LockstepTesting
import PropertyBased
import Testing

/// `boundedPropertyCheck`: a failing property reports its case and seed after at most its
/// shrink budget of runs, however long shrinking would take.
@Suite("Bounded shrinking", .shrinking)
struct BoundedShrinkingProperties {
    final class Runs: @unchecked Sendable {
        private let lock = NSLock()
        private var count = 0
        private var messages: [String] = []
        func ran() { lock.withLock { count += 1 } }
        func note(_ issue: Issue) { lock.withLock { messages.append(String(describing: issue)) } }
        var total: Int { lock.withLock { count } }
        var issues: [String] { lock.withLock { messages } }
    }

    /// Every case fails and every candidate too (values shrink towards 1, the range's bound), so
    /// unbounded shrinking would run ~50 candidates for each of 40 elements: here the first
    /// case fails, 25 candidates run, and the last failing one runs once more to record its issues.
    @Test func shrinkingStopsAfterItsBudget() async {
        let runs = Runs()
        await withKnownIssue {
            await boundedPropertyCheck(count: 10, input: Gen.double(in: 1...2).array(of: 40), shrinkAttempts: 25) { xs in
                runs.ran()
                #expect(xs.reduce(0, +) < 1)
            }
        } matching: { issue in
            runs.note(issue)
            return true
        }
        #expect(runs.total == 1 + 25 + 1)
        #expect(runs.issues.contains { $0.contains("Expectation failed") }, "the shrunk case's own issue: \(runs.issues)")
        #expect(runs.issues.contains { $0.contains(".fixedSeed(") }, "the seed: \(runs.issues)")
        #expect(runs.issues.contains { $0.contains("Shrinking stopped after 25 runs") }, "\(runs.issues)")
    }

    /// A property that passes runs exactly its count, and records nothing.
    @Test func aPassingPropertyRunsItsCount() async {
        let runs = Runs()
        await boundedPropertyCheck(count: 30, input: Gen.int(in: 0...9), shrinkAttempts: 5) { n in
            runs.ran()
            #expect(n < 10)
        }
        #expect(runs.total == 30)
    }

    /// `propertyCheck` lets an error thrown by the property pass (Swift 6.2 and later); the
    /// bounded check records it.
    @Test func aThrownErrorIsAFailure() async {
        struct Thrown: Error {}
        let runs = Runs()
        await withKnownIssue {
            await boundedPropertyCheck(count: 10, input: Gen.int(in: 0...9), shrinkAttempts: 5) { n in
                runs.ran()
                if n >= 0 { throw Thrown() }
            }
        } matching: { issue in
            runs.note(issue)
            return true
        }
        #expect(runs.issues.contains { $0.contains("Thrown") }, "\(runs.issues)")
        #expect(runs.issues.contains { $0.contains(".fixedSeed(") }, "\(runs.issues)")
    }
}
