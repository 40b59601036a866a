import Foundation
import LockstepHDF5
import LockstepTestSupport
import LockstepTesting
import Testing

/// SGD with momentum written from scratch on the open API, as a user would port it: a
/// type the harness has never heard of, named `HeavyBall`.
final class HeavyBall<Scalar: TensorScalar>: PerParameterOptimizer {
    struct Options: OptimizerOptions {
        var lr = 1e-3, momentum = 0.0, dampening = 0.0, weightDecay = 0.0, nesterov = false, maximize = false
        typealias TorchKey = CodingKeys
        enum CodingKeys: String, CodingKey, CaseIterable {
            case lr, momentum, dampening, nesterov, maximize, weightDecay = "weight_decay"
        }
    }
    struct State: TorchState {
        var momentumBuffer: [Scalar] = []
        static var layout: [StateEntry<Self, Scalar>] { [.tensor("momentum_buffer", \.momentumBuffer)] }
    }
    static var torchName: String { "HeavyBall" }
    static var standardDefaults: Options { Options() }
    var storage: OptimizerStorage<Options, State>
    init(storage: OptimizerStorage<Options, State>) { self.storage = storage }

    static func validate(_ options: Options) throws {
        try TorchCheck.nonNegative(options.lr, "learning rate")
        guard !options.nesterov, !options.maximize else { throw OptimizerError(.valueError, "HeavyBall has no Nesterov or maximize") }
    }

    func apply(_ p: inout ParameterStep<Scalar, State>, options o: Options) {
        let (momentum, dampened, negativeLR, decay) = (Scalar(o.momentum), Scalar(1 - o.dampening), Scalar(-o.lr), Scalar(o.weightDecay))
        for i in p.indices {
            let (previous, g) = (p.state.momentumBuffer[i], TorchOps.fusedMultiplyAdd(p.value[i], decay, p.grad[i], p.fma))
            let buffer = p.isFirstStep ? g : TorchOps.fusedMultiplyAdd(g, dampened, previous * momentum, p.fma)
            p.state.momentumBuffer[i] = buffer
            p.value[i] = TorchOps.fusedMultiplyAdd(heavyBallMutant ? previous : buffer, negativeLR, p.value[i], p.fma)
        }
    }
}

/// Set by a test to make the port wrong: the step takes the momentum buffer from before its update.
nonisolated(unsafe) var heavyBallMutant = false

/// A copy of a bundled SGD golden whose `optimizer` attribute names `HeavyBall`.
func heavyBallCopy(of name: String, in directory: TemporaryDirectory) throws -> Fixture {
    let path = directory.path(name.replacingOccurrences(of: "sgd", with: "heavyball"))
    try FileManager.default.copyItem(atPath: fixturePath(name), toPath: path)
    let file = try HDF5File.open(updatingAt: path)
    try file.root.setAttribute("optimizer", string: "HeavyBall")
    return Fixture(path)
}

@Suite("Fixture expectations", .serialized)
struct FixtureExpectationsTests {
    @Test func aCallersOwnOptimizerReplaysBitExact() throws {
        let directory = try TemporaryDirectory()
        for name in ["sgd_momentum_forloop_f32.h5", "sgd_momentum_foreach_f64.h5", "sgd_dampening_forloop_f64.h5"] {
            let fixture = try heavyBallCopy(of: name, in: directory)
            let results = expectVerifies(fixture, with: [HeavyBall<Float>.self, HeavyBall<Double>.self], bounds: .exact)
            #expect(results.map(\.mode) == [.freeRunning, .teacherForced])
            #expect(results.allSatisfy { $0.passed })
        }
    }

    @Test func aWrongPortRecordsTheFirstFailure() throws {
        let directory = try TemporaryDirectory()
        let fixture = try heavyBallCopy(of: "sgd_momentum_forloop_f32.h5", in: directory)
        heavyBallMutant = true
        defer { heavyBallMutant = false }
        withKnownIssue {
            expectVerifies(fixture, with: [HeavyBall<Float>.self], bounds: .exact, modes: [.freeRunning])
        } matching: { issue in
            "\(issue)".contains("heavyball_momentum_forloop_f32.h5 free-running")
                && "\(issue)".contains("first failure: step 1, /params/")
        }
    }

    @Test func aTypeMissingForTheDtypeIsNamed() throws {
        let directory = try TemporaryDirectory()
        let fixture = try heavyBallCopy(of: "sgd_momentum_foreach_f64.h5", in: directory)
        withKnownIssue {
            expectVerifies(fixture, with: [HeavyBall<Float>.self])
        } matching: { issue in
            "\(issue)".contains("optimizer 'HeavyBall' is not given for Double (add HeavyBall<Double>.self to the catalog)")
        }
    }

    @Test func anEmptyFolderIsAnIssueNotASilentPass() throws {
        let directory = try TemporaryDirectory()
        let fixtures = Fixture.all(in: directory.url.path)
        #expect(fixtures.count == 1)
        withKnownIssue {
            expectVerifies(fixtures[0])
        } matching: { issue in
            "\(issue)".contains("no fixture (.h5) in the folder")
        }
    }

    @Test func aFolderIsVerifiedFileByFile() throws {
        let directory = try TemporaryDirectory()
        for name in ["sgd_momentum_forloop_f32.h5", "sgd_dampening_forloop_f64.h5"] { _ = try heavyBallCopy(of: name, in: directory) }
        let results = expectVerifiesAll(
            in: directory.url.path, with: [HeavyBall<Float>.self, HeavyBall<Double>.self], bounds: .exact, modes: [.freeRunning])
        #expect(results.map { URL(fileURLWithPath: $0.fixture).lastPathComponent }
            == ["heavyball_dampening_forloop_f64.h5", "heavyball_momentum_forloop_f32.h5"])
    }
}
