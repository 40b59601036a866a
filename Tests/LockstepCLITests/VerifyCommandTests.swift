import Foundation
import LockstepTestSupport
import LockstepCLI
import LockstepHDF5
import Testing


@Suite("verify exit codes")
struct VerifyCommandTests {
    @Test func passingFixturesExitZero() {
        #expect(VerifyCommand.run(arguments: ["--fixture", fixturePath("adamw.h5")]) == 0)
        #expect(VerifyCommand.run(arguments: ["check", "--fixture", fixturePath("adamw.h5"), "--fixture", fixturePath("hfadamw_correct_bias_f64.h5")]) == 0)
        #expect(VerifyCommand.run(arguments: ["--teacher-forcing", "--fixture", fixturePath("adamw_grad_gaps_forloop_f32.h5")]) == 0)
    }

    @Test func aMismatchExitsOne() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("changed.h5")
        try FileManager.default.copyItem(atPath: fixturePath("adamw.h5"), toPath: path)
        do {
            let b = try HDF5File.open(updatingAt: path).root.group("params").group("b")
            var rows = try b.dataset("param").read(Float.self)
            rows[37 * 9 + 3] += 0.01
            try b.removeChild("param")
            try b.createDataset("param", shape: [30, 37], values: rows, layout: .chunked(byRow: true, compression: false, checksum: true))
        }
        #expect(VerifyCommand.run(arguments: ["--fixture", path]) == 1)
        // A loose enough bound accepts the change.
        #expect(VerifyCommand.run(arguments: ["--fixture", path, "--atol", "0.1"]) == 0)
    }

    @Test(arguments: [
        [String](),                                              // no fixture
        ["--fixture"],                                           // no value
        ["--fixture", "x.h5", "--rtol", "-1"],
        ["--fixture", "x.h5", "--exact", "--max-ulp", "3"],
        ["--fixture", "x.h5", "--max-ulp", "many"],
        ["--frobnicate"],
    ])
    func usageErrorsExitTwo(_ arguments: [String]) {
        #expect(VerifyCommand.run(arguments: arguments) == 2)
    }

    @Test func helpNamesTheSubcommandsAndExitCodes() {
        // Help is wrapped to the terminal width: compare with whitespace collapsed.
        let help = VerifyCommand.helpMessage().split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(help.contains("check"))
        #expect(help.contains("inspect"))
        #expect(help.contains("table"))
        #expect(help.contains("Exit status: 0 when every fixture passes, 1 when a value is out of tolerance, 2 when a fixture or an argument is invalid."))
        let check = VerifyCommand.helpMessage(for: VerifyCommand.Check.self)
        for flag in ["--fixture", "--rtol", "--atol", "--max-ulp", "--exact", "--teacher-forcing", "--json"] {
            #expect(check.contains(flag), "\(flag) missing from help")
        }
    }

    @Test func fixturesTheOptimizerCannotReplayExitTwo() throws {
        let dir = try TemporaryDirectory()
        let edits: [(String, (HDF5Group) throws -> Void)] = [
            ("unknown optimizer", { try $0.setAttribute("optimizer", string: "Lion") }),
            ("rejected hyperparameter", { try $0.setAttribute("param_groups", string: #"[{"params": ["w", "b"], "betas": [1.0, 0.999]}]"#) }),
            ("shape disagrees", { root in
                let w = try root.group("params").group("w")
                try w.removeChild("initial")
                try w.createDataset("initial", shape: [7, 5], values: [Float](repeating: 0, count: 35))
            }),
        ]
        for (name, edit) in edits {
            let path = dir.path("\(name).h5")
            try FileManager.default.copyItem(atPath: fixturePath("adamw.h5"), toPath: path)
            do { try edit(try HDF5File.open(updatingAt: path).root) }
            #expect(VerifyCommand.run(arguments: ["--fixture", path]) == 2, "\(name)")
        }
    }

    @Test func helpExitsZero() {
        #expect(VerifyCommand.run(arguments: ["--help"]) == 0)
        #expect(VerifyCommand.run(arguments: ["inspect", fixturePath("adamw_added_group_fused_f32.h5")]) == 0)
    }

    @Test func invalidFilesExitTwo() throws {
        let dir = try TemporaryDirectory()
        let text = dir.path("text.h5")
        try Data("hello".utf8).write(to: URL(fileURLWithPath: text))
        let truncated = dir.path("truncated.h5")
        try Data(contentsOf: URL(fileURLWithPath: fixturePath("adamw.h5"))).prefix(10_000).write(to: URL(fileURLWithPath: truncated))
        for path in [dir.path("missing.h5"), text, truncated] {
            #expect(VerifyCommand.run(arguments: ["--fixture", path]) == 2, "\(path)")
        }
        // An invalid fixture beside a passing one still makes the run invalid.
        #expect(VerifyCommand.run(arguments: ["--fixture", fixturePath("adamw.h5"), "--fixture", text]) == 2)
        #expect(VerifyCommand.run(arguments: ["inspect", text]) == 2)
    }

    @Test func writesAJSONReport() throws {
        let dir = try TemporaryDirectory()
        let report = dir.path("report.json")
        #expect(VerifyCommand.run(arguments: ["--fixture", fixturePath("adamw_fused_f32.h5"), "--json", report]) == 0)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: report))) as? [String: Any]
        #expect(json?["passed"] as? Int == 1)
        let results = json?["results"] as? [[String: Any]]
        let tensors = results?.first?["tensors"] as? [[String: Any]]
        #expect(tensors?.first?["tensor"] as? String == "/params/w/param")
        #expect(VerifyCommand.run(arguments: ["--fixture", fixturePath("adamw.h5"), "--json", "/nonexistent/dir/r.json"]) == 2)
    }
}

/// The real executable, run as a child process, so that a crash would show as a signal
/// instead of taking the test runner down.
@Suite("verify on damaged files")
struct DamagedFixtureTests {
    static var verifyBinary: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("verify")
    }

    func run(_ path: String) throws -> (status: Int32, reason: Process.TerminationReason, stderr: String) {
        let process = Process()
        process.executableURL = Self.verifyBinary
        process.arguments = ["--fixture", path]
        let errors = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        let data = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, process.terminationReason, String(decoding: data, as: UTF8.self))
    }

    @Test func truncatedCopiesExitTwoWithOneLine() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.verifyBinary.path))
        let dir = try TemporaryDirectory()
        let original = try Data(contentsOf: URL(fileURLWithPath: fixturePath("adamw_fused_f64.h5")))
        for fraction in [0.0, 0.001, 0.1, 0.25, 0.5, 0.75, 0.9, 0.999] {
            let path = dir.path("t.h5")
            try original.prefix(Int(Double(original.count) * fraction)).write(to: URL(fileURLWithPath: path))
            let result = try run(path)
            #expect(result.reason == .exit && result.status == 2, "truncated to \(fraction): \(result)")
            #expect(result.stderr.hasPrefix("error: \(path): "))
            #expect(result.stderr.split(separator: "\n").count == 1)
        }
    }

    /// Bytes flipped at random (a fixed seed): the checksummed format turns every change
    /// the reader sees into exit 2. A flip in bytes HDF5 never reads (padding, free space)
    /// changes nothing and the copy still passes.
    @Test func flippedBytesExitTwoAndNeverCrash() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.verifyBinary.path))
        let dir = try TemporaryDirectory()
        let original = try Data(contentsOf: URL(fileURLWithPath: fixturePath("adamw.h5")))
        var generator = SplitMix64(seed: 2026)
        var invalid = 0
        let trials = 60
        for trial in 0..<trials {
            var bytes = [UInt8](original)
            for _ in 0..<(1 + trial % 3) {
                let index = Int(generator.next() % UInt64(bytes.count))
                bytes[index] ^= UInt8(1 << (generator.next() % 8))
            }
            let path = dir.path("flipped.h5")
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let result = try run(path)
            #expect(result.reason == .exit, "trial \(trial) crashed: \(result)")
            #expect(result.status == 2 || result.status == 0, "trial \(trial) exited \(result.status): \(result.stderr)")
            if result.status == 2 { invalid += 1 }
        }
        #expect(invalid >= trials * 9 / 10)
    }
}

/// A small deterministic random number generator (SplitMix64).
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
