import Foundation
import Testing

@testable import LockstepOptim

/// Laws every optimizer keeps, checked on the one `make` builds over the given parameters.
enum OptimizerLaws {
    static func parameters<Scalar: TensorScalar>() -> [Parameter<Scalar>] {
        [Parameter<Scalar>([0.5, -1, 2, 0.25, 0]), Parameter<Scalar>([3, -3])]
    }

    static func run<O: Optimizer>(_ optimizer: O, _ params: [Parameter<O.Scalar>], steps: ClosedRange<Int>) throws {
        for step in steps {
            for (index, p) in params.enumerated() { try p.setGrad(gradient(p.count, step: step, seed: index)) }
            try optimizer.step()
        }
    }

    /// After its first step every parameter has exactly the keys `stateKeys(for:)` names,
    /// and `step` 1.
    static func stateKeysAfterFirstStep<O: Optimizer>(_ make: ([Parameter<O.Scalar>]) throws -> O) throws {
        let params: [Parameter<O.Scalar>] = parameters()
        let optimizer = try make(params)
        try run(optimizer, params, steps: 1...1)
        for p in params {
            let state = try #require(optimizer.state(of: p))
            #expect(state.keys.sorted() == O.stateKeys(for: optimizer.paramGroups[0].options).sorted())
            #expect(state["step"] == .scalar(1))
        }
    }

    /// A state dict saved after 4 steps and loaded into a fresh optimizer continues
    /// bit-identically with one that never stopped.
    static func stateDictRoundTrip<O: Optimizer>(_ make: ([Parameter<O.Scalar>]) throws -> O) throws {
        let referenceParams: [Parameter<O.Scalar>] = parameters()
        let reference = try make(referenceParams)
        try run(reference, referenceParams, steps: 1...10)

        let firstParams: [Parameter<O.Scalar>] = parameters()
        let first = try make(firstParams)
        try run(first, firstParams, steps: 1...4)
        let saved = first.stateDict()
        #expect(saved.state.keys.sorted() == [0, 1])
        let secondParams: [Parameter<O.Scalar>] = parameters()
        let second = try make(secondParams)
        for (p, q) in zip(secondParams, firstParams) { try p.setValue(q.value) }
        try second.loadStateDict(saved)
        #expect(second.stateDict() == saved)
        try run(second, secondParams, steps: 5...10)
        for (p, q) in zip(secondParams, referenceParams) {
            #expect(zip(p.value, q.value).allSatisfy { $0 == $1 && $0.sign == $1.sign })
        }
    }

    /// A state entry the optimizer does not keep is torch's `KeyError`, naming it.
    static func rejectsUnknownStateKey<O: Optimizer>(_ make: ([Parameter<O.Scalar>]) throws -> O) throws {
        let params: [Parameter<O.Scalar>] = parameters()
        let optimizer = try make(params)
        try run(optimizer, params, steps: 1...1)
        var entries = try #require(optimizer.state(of: params[0]))
        entries["exp_avg_sqq"] = .scalar(0)
        #expect(throws: OptimizerError(.keyError, "\(O.torchName) keeps no state 'exp_avg_sqq'")) {
            try optimizer.setState(entries, of: params[0])
        }
    }

    /// Every law, for float32 and float64.
    static func all<F: Optimizer, D: Optimizer>(
        _ makeFloat: ([Parameter<Float>]) throws -> F, _ makeDouble: ([Parameter<Double>]) throws -> D
    ) throws where F.Scalar == Float, D.Scalar == Double {
        try stateKeysAfterFirstStep(makeFloat)
        try stateKeysAfterFirstStep(makeDouble)
        try stateDictRoundTrip(makeFloat)
        try stateDictRoundTrip(makeDouble)
        try rejectsUnknownStateKey(makeFloat)
        try rejectsUnknownStateKey(makeDouble)
    }

    /// `a` within `relative` of `b`, elementwise.
    static func close(_ a: [Double], _ b: [Double], relative: Double = 1e-12) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= relative * Swift.max(abs($1), 1e-300) }
    }
}
