import ArgumentParser
import LockstepDiagnosis
import LockstepHarness

extension VerifyCommand {
    /// `verify catalogue`: the conventions, porting bugs and mutants `explain` and `mutants`
    /// replay, per optimizer.
    struct CatalogueCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "catalogue",
            abstract: "List the catalogue entries (conventions, porting bugs, generic mutants) that stand in for each optimizer.")

        @Option(help: ArgumentHelp("Only this optimizer (default: every one the verifier knows).", valueName: "name"))
        var optimizer: [String] = []

        @Flag(help: "Print Markdown tables.")
        var markdown = false

        func run() throws {
            let catalog = VerifyCommand.optimizers
            let names = optimizer.isEmpty ? catalog.names : optimizer
            for name in names where !catalog.names.contains(name) {
                throw ValidationError("unknown optimizer '\(name)'; known: \(catalog.names.joined(separator: ", "))")
            }
            for name in names {
                let entries = Catalogue.entries(for: name, in: catalog)
                if markdown {
                    print("\n### \(name)\n\n| id | kind | entry | source |\n|---|---|---|---|")
                    for e in entries {
                        print("| `\(e.id)` | \(e.kind.rawValue) | \(e.title): \(e.summary) | \(e.source ?? "—") |")
                    }
                } else {
                    print("\(name): \(entries.count) entries")
                    for e in entries {
                        print("  \(e.id) (\(e.kind.rawValue)): \(e.title)" + (e.source.map { " [\($0)]" } ?? ""))
                    }
                }
            }
        }
    }
}
