import ArgumentParser

extension VerifyCommand {
    /// Runs `verify` with `arguments` (without the program name) and returns the exit
    /// status: usage errors are 2 (not ArgumentParser's 64), help is 0.
    public static func run(arguments: [String]) -> Int32 {
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
