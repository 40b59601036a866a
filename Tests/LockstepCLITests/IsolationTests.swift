import Foundation
import LockstepHarness
import LockstepTestSupport
import Testing

@testable import LockstepCLI

/// `verify` reads each fixture in a child process: a crash or hang inside libhdf5 is one
/// line naming the file and exit 2 (issue 15, part 1).
@Suite("verify isolates libhdf5")
struct IsolationTests {
    func verify(_ arguments: [String], environment extra: [String: String] = [:]) throws -> VerifyRun {
        try runVerify(arguments, environment: extra)
    }

    /// An LBFGS golden whose `state` group (11 members) keeps its links in a fractal heap
    /// without checksum, as HDF5 does by default (our writers keep them compact, in the
    /// checksummed object header), with one bit flipped in the signature of the heap's first
    /// direct block: libhdf5 1.10 frees a wild pointer under `H5Literate` reading it.
    static func craftedFile(in dir: TemporaryDirectory, name: String = "crafted.h5") throws -> String {
        let dense = dir.path("dense-" + name)
        try FileManager.default.copyItem(atPath: fixturePath("lbfgs_quadratic_f32.h5"), toPath: dense)
        try HostileFiles.storeLinksDensely(in: dense, group: "/params/x/state")
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: dense)))
        try FileManager.default.removeItem(atPath: dense)
        let signature = Array("FHDB".utf8)
        let offset = try #require(
            (0...(bytes.count - signature.count)).first { Array(bytes[$0..<($0 + signature.count)]) == signature })
        bytes[offset] ^= 1
        let path = dir.path(name)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    static func crashLine(_ path: String, signal: String = "signal 11, SIGSEGV") -> String {
        "error: \(path): /: the HDF5 library crashed reading this file (\(signal)): the file is damaged or crafted\n"
    }

    @Test func theCraftedFileCrashesLibhdf5InOneProcess() throws {
        try #require(FileManager.default.isExecutableFile(atPath: DamagedFixtureTests.verifyBinary.path))
        let dir = try TemporaryDirectory()
        let path = try Self.craftedFile(in: dir)
        let run = try verify(["--fixture", path, "--no-isolation"])
        #expect(run.reason == .uncaughtSignal, "\(run)")
        let variable = try verify(["--fixture", path], environment: ["LOCKSTEP_NO_ISOLATION": "1"])
        #expect(variable.reason == .uncaughtSignal, "\(variable)")
    }

    @Test(arguments: [
        ["check", "--fixture"], ["inspect"], ["explain", "--fixture"], ["table"], ["mutants", "--fixture"],
    ])
    func aCrashInLibhdf5IsOneLineAndExitTwo(_ subcommand: [String]) throws {
        try #require(FileManager.default.isExecutableFile(atPath: DamagedFixtureTests.verifyBinary.path))
        let dir = try TemporaryDirectory()
        let path = try Self.craftedFile(in: dir)
        let run = try verify(subcommand + [path])
        #expect(run.reason == .exit && run.status == 2, "\(run)")
        #expect(run.stderr == Self.crashLine(path))
    }

    @Test func withJobsTheOutputIsInInputOrder() throws {
        try #require(FileManager.default.isExecutableFile(atPath: DamagedFixtureTests.verifyBinary.path))
        let dir = try TemporaryDirectory()
        let crafted = try Self.craftedFile(in: dir)
        let fixtures = [fixturePath("adamw.h5"), crafted, fixturePath("sgd_forloop_f32.h5"), crafted]
        let arguments = fixtures.flatMap { ["--fixture", $0] }
        let serial = try verify(arguments + ["--json", dir.path("serial.json")])
        let parallel = try verify(arguments + ["--jobs", "3", "--json", dir.path("parallel.json")])
        #expect(serial.status == 2 && parallel.status == 2)
        #expect(parallel.stdout == serial.stdout)
        #expect(parallel.stderr == serial.stderr)
        #expect(serial.stderr == Self.crashLine(crafted) + Self.crashLine(crafted))
        #expect(serial.stdout.hasSuffix("2 passed, 0 failed, 2 invalid\n"))
        let json = try Data(contentsOf: URL(fileURLWithPath: dir.path("serial.json")))
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir.path("parallel.json"))) == json)
    }

    /// The in-process entry point isolates too when given the executable to start.
    @Test func runArgumentsIsolatesWithAChildExecutable() throws {
        try #require(FileManager.default.isExecutableFile(atPath: DamagedFixtureTests.verifyBinary.path))
        let dir = try TemporaryDirectory()
        let path = try Self.craftedFile(in: dir)
        let status = VerifyCommand.$childExecutable.withValue(DamagedFixtureTests.verifyBinary.path) {
            VerifyCommand.run(arguments: ["--fixture", path])
        }
        #expect(status == 2)
    }

    @Test(arguments: [("segv", "signal 11, SIGSEGV"), ("abort", "signal 6, SIGABRT")])
    func aSignalInTheChildIsOneLine(_ crash: String, _ signal: String) throws {
        try #require(FileManager.default.isExecutableFile(atPath: DamagedFixtureTests.verifyBinary.path))
        let path = fixturePath("adamw.h5")
        let run = try verify(["--fixture", path], environment: ["LOCKSTEP_TEST_CRASH": crash])
        #expect(run.reason == .exit && run.status == 2)
        #expect(run.stderr == Self.crashLine(path, signal: signal))
        #expect(run.stdout == "0 passed, 0 failed, 1 invalid\n")
    }

    /// A Swift trap in the child is Lockstep's bug, and the line says so.
    @Test func aTrapInTheChildIsNamedAsLockstepsBug() throws {
        try #require(FileManager.default.isExecutableFile(atPath: DamagedFixtureTests.verifyBinary.path))
        let path = fixturePath("adamw.h5")
        let run = try verify(["--fixture", path], environment: ["LOCKSTEP_TEST_CRASH": "trap"])
        #expect(run.reason == .exit && run.status == 2)
        #expect(run.stderr.hasPrefix("error: \(path): /: Lockstep trapped reading this file (signal "))
        #expect(run.stderr.hasSuffix("a bug in Lockstep; please report it with this file\n"))
    }

    @Test func aChildPastTheTimeLimitIsKilledAndNamed() throws {
        try #require(FileManager.default.isExecutableFile(atPath: DamagedFixtureTests.verifyBinary.path))
        let path = fixturePath("adamw.h5")
        let start = Date()
        let run = try verify(["--fixture", path, "--timeout", "1"], environment: ["LOCKSTEP_TEST_CRASH": "hang"])
        #expect(Date().timeIntervalSince(start) < 30)
        #expect(run.reason == .exit && run.status == 2)
        #expect(run.stderr == "error: \(path): /: not finished after 1 s, the time limit (--timeout): the file may be damaged or crafted\n")
    }

    @Test func aChildWithoutAResultIsOneLine() throws {
        try #require(FileManager.default.isExecutableFile(atPath: DamagedFixtureTests.verifyBinary.path))
        let path = fixturePath("adamw.h5")
        let run = try verify(["inspect", path], environment: ["LOCKSTEP_TEST_CRASH": "exit"])
        #expect(run.status == 2)
        #expect(run.stderr == "error: \(path): /: reading this file in a child process ended without a result (exit status 7)\n")
    }

    @Test(arguments: [["--timeout", "0"], ["--timeout", "-1"], ["--timeout", "nan"]])
    func aTimeLimitMustBePositive(_ arguments: [String]) {
        #expect(VerifyCommand.run(arguments: ["--fixture", fixturePath("adamw.h5")] + arguments) == 2)
    }

    /// A child writes nothing but its pipe: no temporary file, whether it finishes, crashes or is killed.
    @Test func childrenLeaveNoTemporaryFiles() throws {
        try #require(FileManager.default.isExecutableFile(atPath: DamagedFixtureTests.verifyBinary.path))
        let dir = try TemporaryDirectory()
        let crafted = try Self.craftedFile(in: dir)
        let temporary = dir.path("tmp")
        try FileManager.default.createDirectory(atPath: temporary, withIntermediateDirectories: false)
        _ = try verify(["--fixture", fixturePath("adamw.h5"), "--fixture", crafted], environment: ["TMPDIR": temporary])
        _ = try verify(
            ["--fixture", fixturePath("adamw.h5"), "--timeout", "0.5"],
            environment: ["TMPDIR": temporary, "LOCKSTEP_TEST_CRASH": "hang"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: temporary).isEmpty)
    }

    /// Whatever ends `verify` ends its children (`PR_SET_PDEATHSIG`): a kill, or a Ctrl-C that
    /// reaches it alone. (Only SIGKILL here: the test runner starts its processes with SIGINT
    /// and SIGTERM ignored, which they inherit.)
    @Test(arguments: [SIGKILL])
    func endingTheParentEndsItsChildren(_ signal: Int32) throws {
        try #require(FileManager.default.isExecutableFile(atPath: DamagedFixtureTests.verifyBinary.path))
        let process = Process()
        process.executableURL = DamagedFixtureTests.verifyBinary
        process.arguments = [
            "--jobs", "2", "--timeout", "60", "--fixture", fixturePath("adamw.h5"), "--fixture", fixturePath("sgd_forloop_f32.h5"),
        ]
        var environment = ProcessInfo.processInfo.environment
        environment["LOCKSTEP_TEST_CRASH"] = "hang"
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        var children: [Int32] = []
        for _ in 0..<400 where children.count < 2 {
            Thread.sleep(forTimeInterval: 0.025)
            children = Self.children(of: process.processIdentifier)
        }
        #expect(children.count == 2)
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
        var alive = children
        for _ in 0..<400 where !alive.isEmpty {
            Thread.sleep(forTimeInterval: 0.025)
            alive = alive.filter { Self.isRunning($0) }
        }
        #expect(alive.isEmpty, "children still running: \(alive)")
        for pid in alive { kill(pid, SIGKILL) }  // never leave a hanging child behind
    }

    /// The children of `pid`, from `/proc/<pid>/task/*/children`.
    static func children(of pid: Int32) -> [Int32] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        return tasks.flatMap { task -> [Int32] in
            let text = (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/children", encoding: .utf8)) ?? ""
            return text.split(separator: " ").compactMap { Int32($0) }
        }
    }

    /// Whether `pid` exists and is not a zombie.
    static func isRunning(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
        return !(stat.split(separator: ")").last?.trimmingCharacters(in: .whitespaces).hasPrefix("Z") ?? true)
    }

    /// A NaN's sign survives the way to the parent (a report prints `expected -nan`); the
    /// `--json` report keeps its form.
    @Test func aFailureKeepsTheBitsOfItsValues() throws {
        let negativeNaN = -Double.nan
        let failure = TensorComparison.Failure(
            step: 2, tensor: "/params/w/param", index: 0, multiIndex: [0], expected: negativeNaN, actual: -0.0, ulps: nil,
            evaluation: nil)
        let decoded = try IsolatedJob.decoder.decode(
            TensorComparison.Failure.self, from: try IsolatedJob.encoder.encode(failure))
        #expect(decoded.expected.bitPattern == negativeNaN.bitPattern)
        #expect(decoded.actual.bitPattern == (-0.0 as Double).bitPattern)
        let report = try VerifyCommand.Check.jsonData(Outcome())
        #expect(!String(decoding: report, as: UTF8.self).contains("Bits"))
        let plain = JSONEncoder()
        plain.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        #expect(!String(decoding: try plain.encode(failure), as: UTF8.self).contains("Bits"))
    }
}
