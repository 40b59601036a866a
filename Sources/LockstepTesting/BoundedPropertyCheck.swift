import Foundation
import PropertyBased
import Testing

// swift-property-based's `propertyCheck` with a bound on shrinking: its shrinker retries a
// failing case's candidates until none fails, which for a failure that only a few exact
// values trigger (a rounding coincidence) means tens of thousands of runs — 54 minutes of a
// debug `swift test` once. Cancelling it (a `.timeLimit`) is no remedy: `propertyCheck`
// then returns without reporting the case or its seed.

/// `propertyCheck` (swift-property-based) with at most `shrinkAttempts` runs of `body` spent
/// shrinking a failing case; every optimizer law and Lockstep's own property tests check
/// through it.
///
/// Generation runs `count` cases, as `propertyCheck` does. Once a case fails, shrinking tries
/// smaller candidates (with the `.shrinking` trait, the default from Swift 6.2); after
/// `shrinkAttempts` runs every further candidate is taken to pass without running, so
/// shrinking ends at once. The failure is reported as `propertyCheck` reports it, with the
/// smallest failing case found and the `.fixedSeed("…")` that replays the original one (and
/// shrinks it as far as the budget allows); then that smallest case runs once more to record
/// its own issues, and a last issue says shrinking was cut short. A failing property
/// therefore takes at most `count + shrinkAttempts + 1` runs of `body`.
///
/// An error `body` throws is an issue (`propertyCheck` itself lets it pass from Swift 6.2).
///
/// - Parameters:
///   - count: cases to generate; ignored under a `.fixedSeed` trait (one case).
///   - input: the generator of cases; `zip` several generators for several inputs.
///   - shrinkAttempts: the most runs of `body` spent shrinking; ``PropertyBudget/shrinkAttempts``
///     by default.
///   - body: the property, checked with `#expect` and `Issue.record`.
///   - isolation: the actor `body` is isolated to, if any.
///   - sourceLocation: where issues are recorded.
public func boundedPropertyCheck<InputValue, Value>(
    count: Int = 100, input: Generator<Value, some Sequence<InputValue>>,
    shrinkAttempts: Int = PropertyBudget.shrinkAttempts, perform body: (Value) async throws -> Void,
    isolation: isolated (any Actor)? = #isolation, sourceLocation: SourceLocation = #_sourceLocation
) async {
    func run(_ value: Value) async -> Bool? {
        await recordsFailure(isolation: isolation) {
            do {
                try await body(value)
            } catch is ExpectationFailedError {
                // `#require` recorded it already.
            } catch {
                Issue.record(error, "thrown by the property", sourceLocation: sourceLocation)
            }
        }
    }
    let budget = ShrinkBudget<Value>(count: count, shrinkAttempts: max(0, shrinkAttempts))
    await propertyCheck(
        count: count, input: input,
        perform: { value in
            guard budget.shouldRun() else { return }
            budget.ran(value, failed: await run(value))
        }, isolation: isolation, sourceLocation: sourceLocation)
    guard budget.isExhausted else { return }
    // `propertyCheck`'s own last run of the shrunk case was skipped: run it here, where its
    // issues are recorded.
    if let smallest = budget.lastFailure { _ = await run(smallest) }
    Issue.record(
        """
        Shrinking stopped after \(budget.shrinkAttempts) runs (LOCKSTEP_PROPERTY_SHRINK): the case reported \
        is the smallest failing one found by then, and its seed replays the original case.
        """, sourceLocation: sourceLocation)
}

/// ``boundedPropertyCheck(count:input:shrinkAttempts:perform:isolation:sourceLocation:)`` of two
/// generators' values.
public func boundedPropertyCheck<InputA, InputB, A, B>(
    count: Int = 100, input a: Generator<A, some Sequence<InputA>>, _ b: Generator<B, some Sequence<InputB>>,
    shrinkAttempts: Int = PropertyBudget.shrinkAttempts, perform body: (A, B) async throws -> Void,
    isolation: isolated (any Actor)? = #isolation, sourceLocation: SourceLocation = #_sourceLocation
) async {
    await boundedPropertyCheck(
        count: count, input: zip(a, b), shrinkAttempts: shrinkAttempts, perform: { try await body($0.0, $0.1) },
        isolation: isolation, sourceLocation: sourceLocation)
}

/// ``boundedPropertyCheck(count:input:shrinkAttempts:perform:isolation:sourceLocation:)`` of three
/// generators' values.
public func boundedPropertyCheck<InputA, InputB, InputC, A, B, C>(
    count: Int = 100, input a: Generator<A, some Sequence<InputA>>, _ b: Generator<B, some Sequence<InputB>>,
    _ c: Generator<C, some Sequence<InputC>>, shrinkAttempts: Int = PropertyBudget.shrinkAttempts,
    perform body: (A, B, C) async throws -> Void, isolation: isolated (any Actor)? = #isolation,
    sourceLocation: SourceLocation = #_sourceLocation
) async {
    await boundedPropertyCheck(
        count: count, input: zip(a, b, c), shrinkAttempts: shrinkAttempts, perform: { try await body($0.0, $0.1, $0.2) },
        isolation: isolation, sourceLocation: sourceLocation)
}

/// What one bounded property check has run: when shrinking began, how many runs it took, and
/// the last case that failed (the shrinker's current smallest: it moves to the first
/// candidate that fails).
private final class ShrinkBudget<Value>: @unchecked Sendable {
    let count: Int
    let shrinkAttempts: Int
    /// Runs of the body so far.
    private var runs = 0
    /// The run at which the first failure was seen; without a way to see failures
    /// (compilers before 6.2), shrinking is taken to begin after `count` runs.
    private var firstFailure: Int?
    private(set) var lastFailure: Value?
    private(set) var isExhausted = false

    init(count: Int, shrinkAttempts: Int) {
        self.count = count
        self.shrinkAttempts = shrinkAttempts
    }

    /// Whether the body should run on the next case: not once shrinking has had its budget.
    func shouldRun() -> Bool {
        runs += 1
        if runs - (firstFailure ?? count) <= shrinkAttempts { return true }
        isExhausted = true
        return false
    }

    /// The body ran on `value`; `failed`: whether it recorded an error (`nil`: unknown).
    func ran(_ value: Value, failed: Bool?) {
        guard failed == true else { return }
        if firstFailure == nil { firstFailure = runs }
        lastFailure = value
    }
}

/// Runs `body`, passing on every issue it records; whether one of them is an error (not a
/// warning), or `nil` where the compiler's Swift Testing cannot tell (before 6.2).
private func recordsFailure(
    isolation: isolated (any Actor)? = #isolation, _ body: () async -> Void
) async -> Bool? {
    #if compiler(>=6.2)
    let seen = FailureFlag()
    nonisolated(unsafe) let body = body
    let handler = IssueHandlingTrait.compactMapIssues { issue in
        // As `propertyCheck` counts them, known issues included: whether the shrinker takes
        // the case.
        #if compiler(>=6.3)
        if issue.severity >= .error { seen.set() }
        #else
        seen.set()
        #endif
        return issue
    }
    guard let test = Test.current else {
        await body()
        return nil
    }
    try? await handler.provideScope(for: test, testCase: Test.Case.current) { await run(body, isolation: isolation) }
    return seen.value
    #else
    await body()
    return nil
    #endif
}

private func run(_ body: () async -> Void, isolation: isolated (any Actor)?) async { await body() }

private final class FailureFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var seen = false
    func set() { lock.withLock { seen = true } }
    var value: Bool { lock.withLock { seen } }
}
