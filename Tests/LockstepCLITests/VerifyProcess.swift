import Foundation

/// How a run of the real `verify` executable ended, and what it printed.
struct VerifyRun {
    var status: Int32
    var reason: Process.TerminationReason
    var stdout: String
    var stderr: String
}

/// Runs the built `verify` with `arguments` and `environment` added to this process's
/// (without Swift's crash backtraces), reading both pipes so that neither fills up.
func runVerify(_ arguments: [String], environment extra: [String: String] = [:]) throws -> VerifyRun {
    let process = Process()
    process.executableURL = DamagedFixtureTests.verifyBinary
    process.arguments = arguments
    var environment = ProcessInfo.processInfo.environment
    environment["SWIFT_BACKTRACE"] = "enable=no"
    environment.merge(extra) { _, new in new }
    process.environment = environment
    let (output, errors) = (Pipe(), Pipe())
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    let errorData = ErrorCollector()
    let reader = Thread { errorData.data = errors.fileHandleForReading.readDataToEndOfFile() }
    reader.start()
    let out = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    while !errorData.isDone { Thread.sleep(forTimeInterval: 0.005) }
    return VerifyRun(
        status: process.terminationStatus, reason: process.terminationReason,
        stdout: String(decoding: out, as: UTF8.self), stderr: String(decoding: errorData.data, as: UTF8.self))
}

/// Standard error read on another thread.
final class ErrorCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Data?
    var data: Data {
        get { lock.withLock { stored ?? Data() } }
        set { lock.withLock { stored = newValue } }
    }
    var isDone: Bool { lock.withLock { stored != nil } }
}
