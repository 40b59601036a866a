import Foundation
import LockstepCLI

exit(VerifyCommand.run(arguments: Array(CommandLine.arguments.dropFirst())))
