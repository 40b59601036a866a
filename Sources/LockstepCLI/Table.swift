import ArgumentParser
import LockstepFormat
import LockstepHarness

extension VerifyCommand {
    /// Measures every fixture free-running and prints, per optimizer × dtype × torch path,
    /// the largest ULP error over all its fixtures, as a Markdown table.
    struct Table: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a Markdown table: optimizer × dtype × torch path → max ULP error over the fixtures given.")

        @Argument(help: ArgumentHelp("Fixtures (.h5) to measure.", valueName: "file"))
        var fixtures: [String]

        @Flag(help: "Measure each step alone (teacher-forced) instead of free-running.")
        var teacherForcing = false

        func validate() throws {
            if fixtures.isEmpty { throw ValidationError("give at least one fixture") }
        }

        struct Row: Hashable, Comparable {
            var optimizer: String
            var dtype: String
            var path: String
            static func < (a: Row, b: Row) -> Bool { (a.optimizer, a.dtype, a.path) < (b.optimizer, b.dtype, b.path) }
        }

        struct Measure {
            var fixtures = 0
            var parameterULP: UInt64? = 0
            var stateULP: UInt64? = 0
            var maxRelative = 0.0

            mutating func add(_ result: VerificationResult) {
                fixtures += 1
                for tensor in result.tensors {
                    maxRelative = max(maxRelative, tensor.maxRelativeError)
                    if tensor.tensor.hasSuffix("/param") {
                        parameterULP = Self.larger(parameterULP, tensor.maxULPError)
                    } else {
                        stateULP = Self.larger(stateULP, tensor.maxULPError)
                    }
                }
            }

            static func larger(_ a: UInt64?, _ b: UInt64?) -> UInt64? {
                guard let a, let b else { return nil }
                return max(a, b)
            }
        }

        func run() throws {
            var rows: [Row: Measure] = [:]
            for path in fixtures {
                do {
                    let reader = try FixtureReader(path: path)
                    let result = try Replay(tolerance: .exact, teacherForcing: teacherForcing, optimizers: VerifyCommand.optimizers).run(reader)
                    let reference = reader.header.reference
                    let torchPath = [reference.implementation ?? "?", reference.cpuCapability ?? ""]
                        .filter { !$0.isEmpty }.joined(separator: " ")
                    rows[Row(optimizer: result.optimizer, dtype: result.dtype, path: torchPath), default: Measure()].add(result)
                } catch {
                    TextReport().error("\(error)")
                    throw ExitCode(2)
                }
            }
            print("| optimizer | dtype | torch path | fixtures | max ULP, parameters | max ULP, state | max rel. error | bit-exact |")
            print("|---|---|---|---:|---:|---:|---:|---|")
            func show(_ ulp: UInt64?) -> String { ulp.map { "\($0)" } ?? "NaN" }
            for row in rows.keys.sorted() {
                guard let measure = rows[row] else { continue }
                let exact = measure.parameterULP == 0 && measure.stateULP == 0
                print(
                    "| \(row.optimizer) | \(row.dtype) | \(row.path) | \(measure.fixtures) | \(show(measure.parameterULP)) | "
                        + "\(show(measure.stateULP)) | \(measure.maxRelative == 0 ? "0" : String(format: "%.1e", measure.maxRelative)) | "
                        + "\(exact ? "yes" : "no") |")
            }
        }
    }
}

import Foundation
