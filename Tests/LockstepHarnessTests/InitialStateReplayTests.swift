import Foundation
import LockstepFormat
import LockstepHDF5
import LockstepTestSupport
import Testing

@testable import LockstepHarness

/// A recording that starts in the middle of training (format extension 13): the replay
/// loads the state recorded before its first step.
@Suite("Replay of a recording window")
struct InitialStateReplayTests {
    /// The steps after the first `skipped` of a bundled golden, as a recording that starts
    /// there would hold them: `initial` and `initial_state` are the rows of step `skipped`.
    func window<T: FixtureScalar>(
        of name: String, after skipped: Int, as _: T.Type, in directory: TemporaryDirectory, withInitialState: Bool = true
    ) throws -> String {
        let path = directory.path("window-\(UUID().uuidString).h5")
        try FileManager.default.copyItem(atPath: fixturePath(name), toPath: path)
        let root = try HDF5File.open(updatingAt: path).root
        let steps = Int(try root.integerAttribute("steps"))
        try root.setAttribute("steps", integer: Int64(steps - skipped))
        let byRow = HDF5DatasetLayout.chunked(byRow: true, compression: false, checksum: true)
        let whole = HDF5DatasetLayout.chunked(byRow: false, compression: false, checksum: true)
        /// Replaces `name` in `group` by its rows after `skipped`; returns row `skipped - 1`.
        @discardableResult
        func dropRows<S: HDF5Scalar>(_ name: String, in group: HDF5Group, as _: S.Type) throws -> (row: [S], shape: [Int]) {
            let dataset = try group.dataset(name)
            let rowShape = Array(dataset.shape.dropFirst())
            let width = rowShape.reduce(1, *)
            let values = try dataset.read(S.self)
            try group.removeChild(name)
            try group.createDataset(
                name, shape: [steps - skipped] + rowShape, values: Array(values[(skipped * width)...]),
                layout: width > 1 ? byRow : whole)
            return (Array(values[((skipped - 1) * width)..<(skipped * width)]), rowShape)
        }
        let params = try root.group("params")
        for name in try params.childNames() {
            let parameter = try params.group(name)
            let (initial, shape) = try dropRows("param", in: parameter, as: T.self)
            try parameter.removeChild("initial")
            try parameter.createDataset("initial", shape: shape, values: initial, layout: whole)
            try dropRows("grad", in: parameter, as: T.self)
            if try parameter.childKind("has_grad") != nil { try dropRows("has_grad", in: parameter, as: UInt8.self) }
            guard try parameter.childKind("state") != nil else { continue }
            let state = try parameter.group("state")
            let initialState = withInitialState ? try parameter.createGroup("initial_state") : nil
            for key in try state.childNames() {
                let (row, rowShape) = try dropRows(key, in: state, as: T.self)
                try initialState?.createDataset(key, shape: rowShape, values: row, layout: whole)
            }
        }
        if try root.childKind("steps") != nil { try dropRows("lr", in: try root.group("steps"), as: Double.self) }
        return path
    }

    @Test(arguments: [
        ("adam_forloop_f64.h5", 10), ("adamw_fused_f32.h5", 17),
        // `b` has no gradient at steps 1 and 2: no state before step 2.
        ("adamw_grad_gaps_forloop_f32.h5", 1),
    ])
    func aWindowReplaysFromTheStateBeforeItsFirstStep(_ fixture: String, _ skipped: Int) throws {
        let directory = try TemporaryDirectory()
        let float32 = fixture.hasSuffix("f32.h5")
        let path = float32
            ? try window(of: fixture, after: skipped, as: Float.self, in: directory)
            : try window(of: fixture, after: skipped, as: Double.self, in: directory)
        let reader = try FixtureReader(path: path)
        #expect(reader.parameters.allSatisfy { $0.initialStateKeys == $0.stateKeys })
        let tolerance = fixture.contains("fused") ? Tolerance.exact : .defaults(for: reader.header.dtype)
        for teacherForcing in [false, true] {
            let result = try Replay(tolerance: tolerance, teacherForcing: teacherForcing).run(reader)
            #expect(result.passed, "\(result.mode): \(result.firstFailureDescription ?? "")")
        }

        // Without it, the optimizer starts afresh and fails at once.
        let fresh = float32
            ? try window(of: fixture, after: skipped, as: Float.self, in: directory, withInitialState: false)
            : try window(of: fixture, after: skipped, as: Double.self, in: directory, withInitialState: false)
        let failure = try Replay(tolerance: tolerance).run(FixtureReader(path: fresh)).firstFailure
        #expect(failure?.step == 1)
    }

    @Test func aStateTheOptimizerRejectsIsInvalidInputNamingInitialState() throws {
        let directory = try TemporaryDirectory()
        let path = try window(of: "adam_forloop_f64.h5", after: 3, as: Double.self, in: directory)
        do {
            let w = try HDF5File.open(updatingAt: path).root.group("params").group("w").group("initial_state")
            try w.removeChild("exp_avg_sq")
        }
        let error = try #require(throws: ReplayError.self) {
            try Replay(tolerance: .defaults(for: .float64)).run(FixtureReader(path: path))
        }
        guard case .invalidInput(let object, let message) = error else { Issue.record("\(error)"); return }
        #expect(object == "/params/w/initial_state")
        #expect(message.hasPrefix("cannot load the state before step 1: "))
    }
}
