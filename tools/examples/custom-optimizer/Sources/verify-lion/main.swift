import Foundation
import Lion
import LockstepCLI

exit(VerifyCommand.run(arguments: Array(CommandLine.arguments.dropFirst()), adding: [Lion<Float>.self, Lion<Double>.self]))
