import ArgumentParser
import Foundation
import LockstepHDF5
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How `verify` keeps libhdf5's own bugs out of its process: each fixture's work runs in a
/// child process (this executable again, with the hidden subcommand ``IsolatedChild``), and a
/// crash, a hang or a runaway allocation there becomes one error line naming the file.
///
/// libhdf5 parses the file's metadata itself; some damage to it (a fractal heap without
/// checksum, a crafted object header) crashes or hangs inside the library before any check
/// of Lockstep's can run. A child that dies of a signal is reported as
/// `f.h5: /: the HDF5 library crashed reading this file (signal 11, SIGSEGV): the file is
/// damaged or crafted`; one that runs past ``timeout`` is killed and reported as such. The
/// child's address space is limited (``addressSpaceLimit``), so that a runaway allocation
/// fails there (as a read error or a crash) instead of exhausting the machine.
///
/// The child writes its result as JSON to a pipe (file descriptor 3) and nothing else: no
/// temporary file. Its standard output and error go to `/dev/null` (glibc's `free(): invalid
/// pointer`, the Swift runtime's backtrace). On Linux it dies with its parent
/// (`PR_SET_PDEATHSIG`), so a Ctrl-C (or any end of `verify`) ends every child.
struct Isolation: Sendable {
    /// The executable to run as the child: this one.
    var executable: String
    /// The longest a fixture's work may take, in seconds.
    var timeout: Double
    /// `RLIMIT_AS` of the child, in bytes.
    var addressSpaceLimit: Int

    /// The child's address-space limit for a memory budget: four times the budget (a replay
    /// holds a few copies of the largest row) plus 1 GiB for the program itself (its code,
    /// libraries, thread stacks and HDF5's caches; a debug `verify` replaying the largest
    /// fixture with two jobs runs within 200 MB).
    static func addressSpaceLimit(budget: Int) -> Int {
        let (scaled, overflow) = budget.multipliedReportingOverflow(by: 4)
        return overflow ? Int.max : scaled.addingReportingOverflow(1 << 30).overflow ? Int.max : scaled + (1 << 30)
    }

    /// Why a child gave no result.
    enum Failure: Error, Equatable {
        /// Killed by this signal (not ours).
        case signal(Int32)
        /// Killed after ``timeout`` seconds.
        case timedOut(Double)
        /// Exited with this status, or 0 without a result that decodes.
        case exited(Int32)
        /// The child could not be started (`posix_spawn`'s error).
        case spawn(Int32)

        /// The one line `verify` prints for a fixture whose child ended this way.
        func line(file: String) -> String {
            switch self {
            // A Swift trap (a failed precondition, an overflow) is Lockstep's own bug, not the file's.
            case .signal(let number) where number == SIGILL || number == SIGTRAP:
                "\(file): /: Lockstep trapped reading this file (signal \(number), \(Isolation.signalName(number))): a bug in Lockstep; please report it with this file"
            case .signal(let number):
                "\(file): /: the HDF5 library crashed reading this file (signal \(number), \(Isolation.signalName(number))): the file is damaged or crafted"
            case .timedOut(let seconds):
                "\(file): /: not finished after \(Isolation.describe(seconds: seconds)), the time limit (--timeout): the file may be damaged or crafted"
            case .exited(let status):
                "\(file): /: reading this file in a child process ended without a result (exit status \(status))"
            case .spawn(let error):
                "\(file): /: cannot start a child process to read this file: \(String(cString: strerror(error)))"
            }
        }
    }

    /// Runs `job` in a child process and decodes its result.
    func run<Result: Decodable>(_ job: IsolatedJob, as type: Result.Type) -> Swift.Result<Result, Failure> {
        let data: Data
        do {
            data = try spawnAndCollect(job)
        } catch let failure as Failure {
            return .failure(failure)
        } catch {
            return .failure(.exited(-1))
        }
        do {
            return .success(try IsolatedJob.decoder.decode(Result.self, from: data))
        } catch {
            return .failure(.exited(0))
        }
    }

    /// Starts the child, reads its pipe to the end (or until the time limit, then kills it)
    /// and reaps it.
    private func spawnAndCollect(_ job: IsolatedJob) throws -> Data {
        #if !os(Linux)
        throw Failure.spawn(ENOSYS)  // never reached: ``VerifyCommand/ownExecutable`` is nil there
        #else
        let encodedJob = String(decoding: try IsolatedJob.encoder.encode(job), as: UTF8.self)
        let arguments = [
            executable, VerifyCommand.IsolatedChild.commandName, "--parent", "\(getpid())", "--address-space", "\(addressSpaceLimit)",
            encodedJob,
        ]
        // The pipe is made and the child started under one lock, the pipe close-on-exec
        // before any other child starts: else a sibling started by another job's thread would
        // inherit this write end and hold the pipe open (no end of file) until it exits.
        Self.spawning.lock()
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else {
            Self.spawning.unlock()
            throw Failure.spawn(errno)
        }
        let (readEnd, writeEnd) = (fds[0], fds[1])
        _ = fcntl(readEnd, F_SETFD, FD_CLOEXEC)
        _ = fcntl(writeEnd, F_SETFD, FD_CLOEXEC)
        defer { close(readEnd) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, writeEnd, 3)

        // The child's environment: ours, without the Swift runtime's backtracer (a crash is
        // expected there, and reported in one line here).
        var environment = ProcessInfo.processInfo.environment
        environment["SWIFT_BACKTRACE"] = "enable=no"
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        close(writeEnd)
        Self.spawning.unlock()
        guard status == 0 else { throw Failure.spawn(status) }

        var data = Data()
        var timedOut = false
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        reading: while true {
            let remaining = deadline.timeIntervalSinceNow
            if remaining <= 0 {
                timedOut = true
                break
            }
            var poller = pollfd(fd: readEnd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(min(remaining * 1000, 60_000).rounded(.up)))
            if ready < 0 && errno == EINTR { continue }
            if ready <= 0 { continue }
            let count = read(readEnd, &buffer, buffer.count)
            switch count {
            case 0: break reading
            case ..<0: if errno == EINTR || errno == EAGAIN { continue } else { break reading }
            default: data.append(buffer, count: count)
            }
        }
        if timedOut { kill(pid, SIGKILL) }
        var waitStatus: Int32 = 0
        while waitpid(pid, &waitStatus, 0) < 0 && errno == EINTR {}
        if timedOut { throw Failure.timedOut(timeout) }
        let signal = waitStatus & 0x7F
        if signal != 0 { throw Failure.signal(signal) }
        let exitStatus = (waitStatus >> 8) & 0xFF
        if exitStatus != 0 { throw Failure.exited(exitStatus) }
        return data
        #endif
    }

    /// Held while a pipe is made and its child started (``spawnAndCollect(_:)``).
    private static let spawning = NSLock()

    /// `SIGSEGV`, `SIGABRT`, ...; `SIG<n>` for a number without a name here.
    static func signalName(_ number: Int32) -> String {
        let names: [Int32: String] = [
            SIGHUP: "SIGHUP", SIGINT: "SIGINT", SIGQUIT: "SIGQUIT", SIGILL: "SIGILL", SIGTRAP: "SIGTRAP",
            SIGABRT: "SIGABRT", SIGBUS: "SIGBUS", SIGFPE: "SIGFPE", SIGKILL: "SIGKILL", SIGSEGV: "SIGSEGV",
            SIGPIPE: "SIGPIPE", SIGALRM: "SIGALRM", SIGTERM: "SIGTERM", SIGXCPU: "SIGXCPU", SIGXFSZ: "SIGXFSZ",
            SIGSYS: "SIGSYS",
        ]
        return names[number] ?? "SIG\(number)"
    }

    /// `600 s`, `0.5 s`.
    static func describe(seconds: Double) -> String {
        seconds.rounded() == seconds && seconds < 1e15 ? "\(Int(seconds)) s" : "\(seconds) s"
    }
}

/// `--timeout` and `--no-isolation`, shared by every subcommand that opens fixtures.
struct IsolationOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "The longest one fixture's work may take, in seconds, before its child process is killed and the fixture reported invalid.",
        valueName: "seconds"))
    var timeout: Double = 600

    @Flag(help: "Read fixtures in this process instead of one child process each (for debugging; a crash in libhdf5 then ends verify). Also LOCKSTEP_NO_ISOLATION=1.")
    var noIsolation = false

    func validate() throws {
        if !(timeout > 0 && timeout.isFinite) {
            throw ValidationError("--timeout must be a number of seconds > 0, not \(timeout)")
        }
    }

    /// The isolation in force: `nil` with `--no-isolation`, with `LOCKSTEP_NO_ISOLATION` set
    /// to anything but `0` or empty, or when this process cannot start itself as the child
    /// (``VerifyCommand/childExecutable`` is `nil`: `verify` runs inside another program).
    var isolation: Isolation? {
        let variable = ProcessInfo.processInfo.environment["LOCKSTEP_NO_ISOLATION"] ?? ""
        guard !noIsolation, variable.isEmpty || variable == "0", let executable = VerifyCommand.childExecutable else {
            return nil
        }
        return Isolation(
            executable: executable, timeout: timeout,
            addressSpaceLimit: Isolation.addressSpaceLimit(budget: HDF5Dataset.memoryBudget))
    }
}

/// One fixture's work, as the parent hands it to a child.
enum IsolatedJob: Codable {
    /// `check` (and `inspect`'s check, and `mutants`' reading of each fixture first).
    case check(FixtureVerifier, path: String)
    case explain(ExplainSettings, path: String)
    case inspect(path: String)
    case table(teacherForcing: Bool, counts: Bool, path: String)

    /// The work done here; the result encoded as the parent decodes it.
    func perform() throws -> Data {
        switch self {
        case .check(var verifier, let path):
            verifier.optimizers = VerifyCommand.optimizers
            return try Self.encoder.encode(verifier.run(path))
        case .explain(let settings, let path):
            return try Self.encoder.encode(settings.explain(path, optimizers: VerifyCommand.optimizers))
        case .inspect(let path):
            return try Self.encoder.encode(VerifyCommand.Inspect.describe(path, optimizers: VerifyCommand.optimizers))
        case .table(let teacherForcing, let counts, let path):
            return try Self.encoder.encode(
                VerifyCommand.Table.measure(path, teacherForcing: teacherForcing, counts: counts, optimizers: VerifyCommand.optimizers))
        }
    }

    /// JSON between parent and child: every `Double` exactly (`JSONEncoder` writes the
    /// shortest text that reads back to the same bits), non-finite values as marker strings,
    /// and the sign of a NaN a report prints kept (``CodingUserInfoKey/lockstepBitExact``).
    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: infinityMarker, negativeInfinity: "-" + infinityMarker, nan: nanMarker)
        encoder.userInfo[.lockstepBitExact] = true
        return encoder
    }

    static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: infinityMarker, negativeInfinity: "-" + infinityMarker, nan: nanMarker)
        decoder.userInfo[.lockstepBitExact] = true
        return decoder
    }

    private static let infinityMarker = "\u{1}inf"
    private static let nanMarker = "\u{1}nan"
}

extension VerifyCommand {
    /// The executable that ``Isolation`` starts as the child: this process's own, when it was
    /// started as `verify` (``run(arguments:adding:)`` given the process's own command line).
    /// `nil` inside another program (a test runner calling ``run(arguments:adding:)``), which
    /// then reads fixtures in its own process; a test may set the `verify` binary here.
    @TaskLocal static var childExecutable: String? = nil

    /// This process's executable, for ``childExecutable``; `nil` (no isolation) but on Linux,
    /// where the child's death with its parent and its descriptors are handled.
    static var ownExecutable: String? {
        #if os(Linux)
        return FileManager.default.fileExists(atPath: "/proc/self/exe") ? "/proc/self/exe" : nil
        #else
        return nil
        #endif
    }

    /// The hidden subcommand a child runs: `verify isolated-child --parent PID
    /// --address-space BYTES JOB`. Not for people: its interface may change at any time.
    struct IsolatedChild: ParsableCommand {
        static let commandName = "isolated-child"
        static let configuration = CommandConfiguration(commandName: commandName, shouldDisplay: false)

        @Option var parent: Int32
        @Option var addressSpace: Int
        @Argument var job: String

        func run() throws {
            #if os(Linux)
            // Die with the parent (a Ctrl-C, a kill); if it is gone already, stop now.
            // prctl(PR_SET_PDEATHSIG, SIGKILL): Glibc's module does not export prctl.
            typealias Prctl = @convention(c) (Int32, UInt, UInt, UInt, UInt) -> Int32
            if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "prctl") {
                _ = unsafeBitCast(symbol, to: Prctl.self)(1, UInt(SIGKILL), 0, 0, 0)
            }
            #endif
            guard getppid() == parent else { throw ExitCode(3) }
            Self.closeInheritedDescriptors()
            var limit = rlimit(rlim_cur: rlim_t(addressSpace), rlim_max: rlim_t(addressSpace))
            _ = setrlimit(RLIMIT_AS_VALUE, &limit)
            Self.testHook()
            let job = try IsolatedJob.decoder.decode(IsolatedJob.self, from: Data(self.job.utf8))
            let result = try job.perform()
            let output = FileHandle(fileDescriptor: 3, closeOnDealloc: true)
            try output.write(contentsOf: result)
            try output.close()
        }

        /// Closes every file descriptor but 0 to 3 that `verify` inherited and did not mark
        /// close-on-exec: a child that held one (a pipe the program that started `verify`
        /// waits on) would keep it open after `verify` ended.
        private static func closeInheritedDescriptors() {
            #if os(Linux)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
            for descriptor in names.compactMap({ Int32($0) }) where descriptor > 3 { close(descriptor) }
            #endif
        }

        /// `LOCKSTEP_TEST_CRASH`, for the tests of the parent's side only: `segv`, `abort`
        /// (crash as libhdf5 would), `trap` (a Swift trap, as a bug of ours would), `hang`
        /// (never finish), `exit` (exit 7 without a result).
        private static func testHook() {
            switch ProcessInfo.processInfo.environment["LOCKSTEP_TEST_CRASH"] {
            case "segv": raise(SIGSEGV)
            case "abort": abort()
            case "trap": fatalError("LOCKSTEP_TEST_CRASH=trap")
            case "hang": while true { sleep(3600) }
            case "exit": Foundation.exit(7)
            default: break
            }
        }
    }
}

#if os(Linux)
private let RLIMIT_AS_VALUE = __rlimit_resource_t(RLIMIT_AS.rawValue)
#else
private let RLIMIT_AS_VALUE = RLIMIT_AS
#endif
