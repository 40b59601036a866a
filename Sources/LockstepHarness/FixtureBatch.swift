import Foundation

/// Runs `body` on every item on up to `jobs` threads and returns the results in input
/// order, handing each to `emit` as soon as it and every earlier one are done, so output
/// written from `emit` streams in input order whatever the threads' speed.
///
/// `progress` and `emit` run on the calling thread, one at a time: `progress` once per
/// finished item in finishing order, with the number finished so far, then `emit` for each
/// result now in order. With `jobs == 1` everything runs on the calling thread.
///
/// Task-local values are not seen by `body` on the worker threads: read them before the
/// call and capture them.
///
/// - Parameters:
///   - items: what to work on (fixture paths, for `verify`).
///   - jobs: the most items worked on at once, at least 1.
///   - progress: told `(finished, total, item)` after each item finishes.
///   - emit: told `(index, result)` in input order.
///   - body: the work for one item; called concurrently from several threads when `jobs > 1`.
public func orderedMap<T: Sendable>(
    _ items: [String], jobs: Int,
    progress: (_ finished: Int, _ total: Int, _ item: String) -> Void = { _, _, _ in },
    emit: (_ index: Int, _ result: T) -> Void = { _, _ in },
    _ body: @escaping @Sendable (String) -> T
) -> [T] {
    let workers = max(1, min(jobs, items.count))
    guard workers > 1 else {
        return items.enumerated().map { index, item in
            let result = body(item)
            progress(index + 1, items.count, item)
            emit(index, result)
            return result
        }
    }
    let board = ResultBoard<T>(count: items.count)
    for _ in 0..<workers {
        let thread = Thread {
            while let index = board.claim() {
                board.post(body(items[index]), at: index)
            }
        }
        // Replays may recurse through closures and schedulers: the main thread's stack size.
        thread.stackSize = 8 << 20
        thread.start()
    }
    var finished = 0
    var next = 0
    var results: [T] = []
    results.reserveCapacity(items.count)
    while next < items.count {
        let (done, ready) = board.wait(after: finished, from: next)
        for index in done {
            finished += 1
            progress(finished, items.count, items[index])
        }
        for result in ready {
            emit(next, result)
            results.append(result)
            next += 1
        }
    }
    return results
}

/// Where the worker threads of ``orderedMap(_:jobs:progress:emit:_:)`` take work and leave
/// results, behind one condition lock.
private final class ResultBoard<T: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var slots: [T?]
    private var claimed = 0
    /// Indices in the order they finished.
    private var finishOrder: [Int] = []

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    /// The next unclaimed index, or `nil` when every item is taken.
    func claim() -> Int? {
        condition.lock()
        defer { condition.unlock() }
        guard claimed < slots.count else { return nil }
        claimed += 1
        return claimed - 1
    }

    func post(_ result: T, at index: Int) {
        condition.lock()
        slots[index] = result
        finishOrder.append(index)
        condition.signal()
        condition.unlock()
    }

    /// Waits until an item beyond the first `finished` has finished; returns those that
    /// have, in finishing order, and the results ready in input order from `next` on
    /// (their slots emptied).
    func wait(after finished: Int, from next: Int) -> (done: [Int], ready: [T]) {
        condition.lock()
        defer { condition.unlock() }
        while finishOrder.count == finished { condition.wait() }
        var ready: [T] = []
        var index = next
        while index < slots.count, let result = slots[index] {
            ready.append(result)
            slots[index] = nil
            index += 1
        }
        return (Array(finishOrder[finished...]), ready)
    }
}
