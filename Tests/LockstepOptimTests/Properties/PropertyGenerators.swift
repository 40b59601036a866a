import Foundation
import PropertyBased

@testable import LockstepOptim

// Generated inputs of the property tests that are not optimizer laws; the laws' own
// (training cases, poison) live in LockstepTesting with the laws.

/// One parameter vector and a gradient of the same length with no zero element; with
/// `lr`, `weight_decay` and a power-of-two exponent for the laws that need them.
struct VectorCase: Sendable, CustomStringConvertible {
    var theta: [Double]
    var gradient: [Double]
    var lr: Double
    var weightDecay: Double
    var exponent: Int

    var description: String {
        "VectorCase(theta: \(theta), gradient: \(gradient), lr: \(lr), weightDecay: \(weightDecay), exponent: \(exponent))"
    }

    static var generator: Generator<VectorCase, some SendableSequenceType> {
        let element = zip(Gen.double(in: -3...3), Gen.double(in: -8...2), Gen.bool).map { theta, magnitude, negative in
            (theta, (negative ? -1.0 : 1.0) * Foundation.pow(10, magnitude))
        }
        return zip(element.array(of: 1...12), Gen.double(in: 1e-4...0.1), Gen.double(in: 0...0.5), Gen.int(in: -20...20))
            .map { pairs, lr, wd, exponent in
                VectorCase(
                    theta: pairs.map(\.0), gradient: pairs.map(\.1), lr: Double(Float(lr)), weightDecay: Double(Float(wd)),
                    exponent: exponent)
            }
    }
}

/// `max |a − b| / (ε·max(|b|, floor))`: the worst difference in units of the dtype's epsilon.
func epsilons<S: TensorScalar>(_ a: [S], _ b: [S], floor: Double = 0) -> Double {
    zip(a, b).map { abs(Double($0) - Double($1)) / (Double(S.ulpOfOne) * max(abs(Double($1)), floor)) }.max() ?? 0
}
