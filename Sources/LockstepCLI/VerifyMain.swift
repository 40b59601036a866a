import ArgumentParser
import LockstepHarness
import LockstepOptim

extension VerifyCommand {
    /// The optimizers fixtures may name: Lockstep's, plus those a package's own `verify`
    /// adds (``run(arguments:adding:)``).
    @TaskLocal static var optimizers = OptimizerCatalog.builtIn

    /// Runs `verify` with `arguments` (without the program name) and returns the exit
    /// status: usage errors are 2 (not ArgumentParser's 64), help is 0.
    ///
    /// A package builds its own `verify`, with the same flags, output and exit codes, by
    /// adding its optimizer types (float32 and float64) in its executable's `main.swift`:
    ///
    /// ```swift
    /// import Foundation
    /// import LockstepCLI
    /// import Lion
    ///
    /// exit(VerifyCommand.run(arguments: Array(CommandLine.arguments.dropFirst()), adding: [Lion<Float>.self, Lion<Double>.self]))
    /// ```
    ///
    /// Called with the process's own command line (as above), `verify` reads each fixture in
    /// a child process, this executable started again (``Isolation``); called with other
    /// arguments from inside another program, it reads them in its own process.
    public static func run(arguments: [String], adding types: [any Optimizer.Type] = []) -> Int32 {
        let isMain = arguments == Array(CommandLine.arguments.dropFirst())
        return $optimizers.withValue(OptimizerCatalog.builtIn.adding(types)) {
            $childExecutable.withValue(childExecutable ?? (isMain ? ownExecutable : nil)) { run(arguments) }
        }
    }

    private static func run(_ arguments: [String]) -> Int32 {
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
            return 0
        } catch let exit as ExitCode {
            return exit.rawValue
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                return 0
            }
            TextReport().error(fullMessage(for: error).replacingOccurrences(of: "Error: ", with: ""))
            return 2
        }
    }
}
