import Foundation
import LockstepTestSupport
import LockstepFormat
import LockstepHDF5
import Testing

/// One way to break a well-formed fixture, and the error the reader must give.
struct Breakage: CustomTestStringConvertible, Sendable {
    let name: String
    let object: String
    let message: String
    /// The well-formed trajectory to break.
    var base: @Sendable () -> FixtureTrajectory<Float> = { sampleTrajectory() }
    /// Changes the trajectory before it is written.
    var trajectory: @Sendable (inout FixtureTrajectory<Float>) -> Void = { _ in }
    /// Edits the written file.
    var file: @Sendable (HDF5Group) throws -> Void = { _ in }

    var testDescription: String { name }

    /// Writes the broken file and expects the reader to reject it with this error.
    func expectRejected() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("broken.h5")
        var written = base()
        trajectory(&written)
        try FixtureWriter.write(written, to: path)
        do {
            let file = try HDF5File.open(updatingAt: path)
            try self.file(try file.root)
        }
        let error = try #require(throws: FixtureError.self) { try FixtureReader(path: path) }
        #expect(error.file == path)
        #expect(error.object == object)
        #expect(error.message == message)
    }
}

@Suite("Fixture validation")
struct FixtureValidationTests {
    static let breakages: [Breakage] = [
        Breakage(name: "missing optimizer", object: "/", message: "missing required attribute 'optimizer'",
                 file: { try $0.removeAttribute("optimizer") }),
        Breakage(name: "missing reference", object: "/", message: "missing required attribute 'reference'",
                 file: { try $0.removeAttribute("reference") }),
        Breakage(name: "wrong format name", object: "/", message: "attribute 'format' is 'hdf-golden', expected 'lockstep-golden'",
                 file: { try $0.setAttribute("format", string: "hdf-golden") }),
        Breakage(name: "future version", object: "/", message: "unsupported format_version 2; this reader knows 1",
                 trajectory: { $0.header.formatVersion = 2 }),
        Breakage(name: "unknown dtype", object: "/", message: "attribute 'dtype' is 'float16', expected 'float32' or 'float64'",
                 file: { try $0.setAttribute("dtype", string: "float16") }),
        Breakage(name: "no steps", object: "/", message: "attribute 'steps' is 0, expected a count of at least 1",
                 file: { try $0.setAttribute("steps", integer: 0) }),
        Breakage(name: "unknown mode", object: "/", message: "attribute 'mode' is 'online', expected 'replay' or 'closure'",
                 file: { try $0.setAttribute("mode", string: "online") }),
        Breakage(name: "steps as text", object: "/", message: "attribute 'steps' holds string, expected an integer",
                 file: { try $0.setAttribute("steps", string: "3") }),
        Breakage(name: "param_groups not JSON", object: "/", message: "attribute 'param_groups' is not valid JSON",
                 file: { try $0.setAttribute("param_groups", string: "[{") }),
        Breakage(name: "JSON nested too deep", object: "/",
                 message: "attribute 'reference' nests arrays and objects 600 levels deep, more than 512",
                 file: { try $0.setAttribute("reference", string: String(repeating: "[", count: 600) + String(repeating: "]", count: 600)) }),
        Breakage(name: "parameter in two groups", object: "/",
                 message: "attribute 'param_groups', group 1 lists parameter 'w', which is already in an earlier group (torch: some parameters appear in more than one parameter group)",
                 file: { try $0.setAttribute("param_groups", string: #"[{"params": ["w", "b"]}, {"params": ["w"]}]"#) }),
        Breakage(name: "added_at_step beyond the end", object: "/",
                 message: "attribute 'param_groups', group 1 has added_at_step 9, expected a step in 1...3",
                 file: { try $0.setAttribute("param_groups", string: #"[{"params": ["w"]}, {"params": ["b"], "added_at_step": 9}]"#) }),
        Breakage(name: "tensor_hyperparameters not an object", object: "/",
                 message: #"attribute 'param_groups', group 0: "tensor_hyperparameters" must be a non-empty JSON object from a hyperparameter to "float32" or "float64""#,
                 file: { try $0.setAttribute("param_groups", string: #"[{"params": ["w", "b"], "lr": 0.5, "tensor_hyperparameters": "lr"}]"#) }),
        Breakage(name: "tensor hyperparameter of another dtype", object: "/",
                 message: #"attribute 'param_groups', group 0: "tensor_hyperparameters" gives 'lr' the dtype "int64", expected "float32" or "float64""#,
                 file: { try $0.setAttribute("param_groups", string: #"[{"params": ["w", "b"], "lr": 0.5, "tensor_hyperparameters": {"lr": "int64"}}]"#) }),
        Breakage(name: "tensor hyperparameter the group lacks", object: "/",
                 message: #"attribute 'param_groups', group 0: "tensor_hyperparameters" names 'lr', which the group does not hold"#,
                 file: { try $0.setAttribute("param_groups", string: #"[{"params": ["w", "b"], "tensor_hyperparameters": {"lr": "float32"}}]"#) }),
        Breakage(name: "tensor hyperparameter not a number", object: "/",
                 message: "attribute 'param_groups', group 0: 'lr' is a 0-dim float32 tensor, but the group holds [0.1,0.2], not a number",
                 file: { try $0.setAttribute("param_groups", string: #"[{"params": ["w", "b"], "lr": [0.1, 0.2], "tensor_hyperparameters": {"lr": "float32"}}]"#) }),
        Breakage(name: "float32 tensor hyperparameter not a float32 value", object: "/",
                 message: "attribute 'param_groups', group 0: 'lr' is a 0-dim float32 tensor, but 0.001 is not a float32 value",
                 file: { try $0.setAttribute("param_groups", string: #"[{"params": ["w", "b"], "lr": 0.001, "tensor_hyperparameters": {"lr": "float32"}}]"#) }),
        Breakage(name: "negative tolerance", object: "/",
                 message: "attribute 'tolerance': \"rtol\" must be a non-negative number, not -1",
                 file: { try $0.setAttribute("tolerance", string: #"{"rtol": -1}"#) }),
        Breakage(name: "named parameter missing", object: "/params/b", message: "group not found (named in param_groups)",
                 file: { try $0.group("params").removeChild("b") }),
        Breakage(name: "extra parameter", object: "/params/z", message: "parameter is not named in param_groups",
                 file: { try $0.group("params").createGroup("z") }),
        Breakage(name: "index out of order", object: "/params/b",
                 message: "attribute 'index' is 0, but param_groups puts the parameter at position 1",
                 file: { try $0.group("params").group("b").setAttribute("index", integer: 0) }),
        Breakage(name: "param shape disagrees", object: "/params/w/param",
                 message: "shape [3, 3, 2] disagrees with initial [2, 3]; expected [3, 2, 3]",
                 file: { group in
                     let w = try group.group("params").group("w")
                     try w.removeChild("param")
                     try w.createDataset("param", shape: [3, 3, 2], values: [Float](repeating: 0, count: 18),
                                         layout: .chunked(byRow: true, compression: false, checksum: true))
                 }),
        Breakage(name: "state without step axis", object: "/params/w/state/exp_avg",
                 message: "shape [2, 2, 3] has no leading step axis of 3 (attribute 'steps')",
                 file: { group in
                     let state = try group.group("params").group("w").group("state")
                     try state.removeChild("exp_avg")
                     try state.createDataset("exp_avg", shape: [2, 2, 3], values: [Float](repeating: 0, count: 12),
                                             layout: .chunked(byRow: true, compression: false, checksum: true))
                 }),
        Breakage(name: "gradient missing in replay mode", object: "/params/w/grad", message: "dataset not found",
                 file: { try $0.group("params").group("w").removeChild("grad") }),
        Breakage(name: "gradient of the wrong dtype", object: "/params/b/grad",
                 message: "holds float64, but the file's dtype is float32",
                 file: { group in
                     let b = try group.group("params").group("b")
                     try b.removeChild("grad")
                     try b.createDataset("grad", shape: [3, 4], values: [Double](repeating: 0, count: 12),
                                         layout: .chunked(byRow: true, compression: false, checksum: true))
                 }),
        Breakage(name: "not chunked by step", object: "/params/w/grad",
                 message: "is not chunked one step per chunk, so it cannot be streamed",
                 file: { group in
                     let w = try group.group("params").group("w")
                     try w.removeChild("grad")
                     try w.createDataset("grad", shape: [3, 2, 3], values: [Float](repeating: 0, count: 18))
                 }),
        Breakage(name: "has_grad not a flag", object: "/params/b/has_grad", message: "row 1 is 2, expected 0 or 1",
                 file: { group in
                     let b = try group.group("params").group("b")
                     try b.removeChild("has_grad")
                     try b.createDataset("has_grad", shape: [3], values: [1, 2, 1] as [UInt8])
                 }),
        Breakage(name: "schedule without rates", object: "/steps/lr",
                 message: "dataset not found (the 'scheduler' attribute needs it)",
                 trajectory: { $0.header.scheduler = ["name": .string("StepLR")] }),
        Breakage(name: "rates of the wrong width", object: "/steps/lr", message: "shape [3, 2] disagrees with initial [1]; expected [3, 1]",
                 trajectory: { $0.learningRates = [[1, 1], [1, 1], [1, 1]] }),
        Breakage(name: "betas of the wrong shape", object: "/steps/betas",
                 message: "shape [3, 1] disagrees with initial [1, 2]; expected [3, 1, 2]",
                 trajectory: { $0.learningRates = [[1], [1], [1]] },
                 file: { root in
                     try root.group("steps").createDataset(
                         "betas", shape: [3, 1], values: [0.9, 0.9, 0.9] as [Double], layout: .chunked(byRow: false, compression: false, checksum: true))
                 }),
        Breakage(name: "momentum in float32", object: "/steps/momentum", message: "holds float32, expected float64",
                 trajectory: { $0.learningRates = [[1], [1], [1]] },
                 file: { root in
                     try root.group("steps").createDataset(
                         "momentum", shape: [3, 1], values: [0.9, 0.9, 0.9] as [Float], layout: .chunked(byRow: false, compression: false, checksum: true))
                 }),
        Breakage(name: "plateau schedule without metric", object: "/steps/metric",
                 message: "dataset not found (the 'ReduceLROnPlateau' scheduler needs it)",
                 trajectory: { trajectory in
                     trajectory.learningRates = [[1], [1], [1]]
                     trajectory.header.scheduler = ["name": .string("ReduceLROnPlateau")]
                 }),
        Breakage(name: "metric in float32", object: "/steps/metric", message: "must be [3] float64, is [3] float32",
                 trajectory: { $0.learningRates = [[1], [1], [1]] },
                 file: { root in
                     try root.group("steps").createDataset("metric", shape: [3], values: [0.5, 0.4, 0.4] as [Float])
                 }),
        Breakage(name: "metric per group", object: "/steps/metric", message: "must be [3] float64, is [3, 1] float64",
                 trajectory: { $0.learningRates = [[1], [1], [1]] },
                 file: { root in
                     try root.group("steps").createDataset("metric", shape: [3, 1], values: [0.5, 0.4, 0.4] as [Double])
                 }),
        Breakage(name: "closure mode without objective", object: "/steps", message: "group not found (required in closure mode)",
                 trajectory: { trajectory in
                     trajectory.header.mode = .closure
                     for index in trajectory.parameters.indices { trajectory.parameters[index].grad = nil }
                 }),
        Breakage(name: "objective in replay mode", object: "/objective", message: "is only allowed in closure mode",
                 trajectory: { $0.objective = .rosenbrock(a: 1, b: 100) }),
    ]

    @Test(arguments: breakages)
    func rejects(_ breakage: Breakage) throws {
        try breakage.expectRejected()
    }

    @Test func missingFileNamesIt() throws {
        let error = try #require(throws: FixtureError.self) { try FixtureReader(path: "/nowhere/adamw.h5") }
        #expect(error.description == "/nowhere/adamw.h5: /: no such file")
    }
}
