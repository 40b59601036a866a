import Foundation
import Testing

@testable import LockstepOptim

@Suite("Rprop")
struct RpropTests {
    typealias Options = Rprop<Double>.Options

    @Test func hasTorchsDefaults() throws {
        let o = Rprop<Float>.standardDefaults
        #expect(o.lr == 1e-2 && o.etas == .init(0.5, 1.2) && o.stepSizes == .init(1e-6, 50) && !o.maximize)
        #expect(try Rprop([Parameter<Float>([1])]).defaults == o)
    }

    @Test func keepsTheOptimizerLaws() throws {
        try OptimizerLaws.all({ try Rprop($0, .init(stepSizes: .init(1e-3, 2e-2))) }, { try Rprop($0, .init(maximize: true)) })
    }

    @Test func tuplesCodeAsTorchsLists() throws {
        let json = #"{"etas": [0.3, 1.5], "step_sizes": [0.001, 1]}"#
        let options = try Options.fromTorchJSON(Data(json.utf8), defaults: Options(), optimizer: "Rprop")
        #expect(options.etas == .init(0.3, 1.5) && options.stepSizes == .init(1e-3, 1))
        #expect(throws: OptimizerError.self) {
            try Options.fromTorchJSON(Data(#"{"etas": [0.3, 1.5, 2]}"#.utf8), defaults: Options(), optimizer: "Rprop")
        }
    }

    /// Steps by hand: the first moves every element by `lr` against its gradient's sign; a
    /// sign change shrinks the step by η⁻ and skips the move; the same sign grows it by η⁺.
    @Test func stepsByHand() throws {
        let p = Parameter<Double>([1, -2, 0])
        let optimizer = try Rprop([p], .init(lr: 0.1))
        try p.setGrad([0.3, -4, 0])
        try optimizer.step()
        #expect(p.value == [0.9, -1.9, 0])
        try p.setGrad([-1, -1, 2])
        try optimizer.step()
        #expect(optimizer.state(of: p)?["step_size"] == .tensor(shape: [3], values: [0.05, 0.1 * 1.2, 0.1]))
        #expect(optimizer.state(of: p)?["prev"] == .tensor(shape: [3], values: [0, -1, 2]))
        #expect(p.value == [0.9, -1.9 + 0.1 * 1.2, -0.1])
    }

    static let rejected: [(Options, OptimizerError)] = [
        (Options(lr: -1), OptimizerError(.valueError, "Invalid learning rate: -1.0")),
        (Options(etas: .init(1.0, 1.2)), OptimizerError(.valueError, "Invalid eta values: 1.0, 1.2")),
        (Options(etas: .init(0.0, 1.2)), OptimizerError(.valueError, "Invalid eta values: 0.0, 1.2")),
        (Options(etas: .init(0.5, 1.0)), OptimizerError(.valueError, "Invalid eta values: 0.5, 1.0")),
    ]

    @Test(arguments: rejected)
    func rejectsWithTorchsMessage(_ options: Options, _ expected: OptimizerError) {
        #expect(throws: expected) { try Rprop<Double>.validate(options) }
    }
}
