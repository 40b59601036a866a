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

        @Flag(help: "Print one Markdown table: each entry once, with the optimizers it stands in for.")
        var markdown = false

        func run() throws {
            let catalog = VerifyCommand.optimizers
            let names = optimizer.isEmpty ? catalog.names : optimizer
            for name in names where !catalog.names.contains(name) {
                throw ValidationError("unknown optimizer '\(name)'; known: \(catalog.names.joined(separator: ", "))")
            }
            if markdown {
                // One row per entry, with the optimizers it stands in for.
                var order: [String] = []
                var rows: [String: (entry: CatalogueEntry, optimizers: [String])] = [:]
                for name in names {
                    for entry in Catalogue.entries(for: name, in: catalog) {
                        if rows[entry.id] == nil { order.append(entry.id) }
                        rows[entry.id, default: (entry, [])].optimizers.append(name)
                    }
                }
                print("| entry | kind | what it computes | source | stands in for |\n|---|---|---|---|---|")
                for id in order {
                    let (e, optimizers) = rows[id]!
                    let stands = optimizers.count == names.count ? "every optimizer" : optimizers.joined(separator: ", ")
                    print("| `\(e.id)` | \(e.kind.rawValue) | \(e.title): \(e.summary) | \(e.source ?? "—") | \(stands) |")
                }
                return
            }
            for name in names {
                let entries = Catalogue.entries(for: name, in: catalog)
                print("\(name): \(entries.count) entries")
                for e in entries {
                    print("  \(e.id) (\(e.kind.rawValue)): \(e.title)" + (e.source.map { " [\($0)]" } ?? ""))
                }
            }
        }
    }
}
