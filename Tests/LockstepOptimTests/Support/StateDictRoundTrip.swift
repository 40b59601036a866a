import Testing

@testable import LockstepOptim

/// Runs one optimizer for `total` steps, and another saved after `split` steps, restored
/// into a fresh optimizer through `stateDict()` / `loadStateDict`, and run on: the
/// parameters must end bit for bit the same. Returns the restored optimizer and its
/// parameters for further checks.
@discardableResult
func expectStateDictRoundTrip<O: Optimizer>(
    split: Int = 3, total: Int = 8, _ make: () throws -> (O, [Parameter<O.Scalar>])
) throws -> (O, [Parameter<O.Scalar>]) {
    func run(_ optimizer: O, _ params: [Parameter<O.Scalar>], steps: ClosedRange<Int>) throws {
        for step in steps {
            for (index, p) in params.enumerated() { try p.setGrad(gradient(p.count, step: step, seed: index)) }
            try optimizer.step()
        }
    }
    let (reference, referenceParams) = try make()
    try run(reference, referenceParams, steps: 1...total)
    let (first, firstParams) = try make()
    try run(first, firstParams, steps: 1...split)
    let (second, secondParams) = try make()
    for (p, q) in zip(secondParams, firstParams) { try p.setValue(q.value) }
    try second.loadStateDict(first.stateDict())
    #expect(second.stateDict() == first.stateDict())
    try run(second, secondParams, steps: (split + 1)...total)
    for (p, q) in zip(secondParams, referenceParams) {
        #expect(p.value.count == q.value.count && zip(p.value, q.value).allSatisfy { $0 == $1 && $0.sign == $1.sign })
    }
    return (second, secondParams)
}
