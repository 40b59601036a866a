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

        @Flag(help: ArgumentHelp(
            "Count per row how many fixtures pass within their bounds, how many bit for bit, and how many are refused (exit 2), instead of stopping at the first refusal (the optim_db table)."))
        var counts = false

        func validate() throws {
            if fixtures.isEmpty { throw ValidationError("give at least one fixture") }
        }

        struct Row: Hashable, Comparable, Codable {
            var optimizer: String
            var dtype: String
            var path: String
            static func < (a: Row, b: Row) -> Bool { (a.optimizer, a.dtype, a.path) < (b.optimizer, b.dtype, b.path) }
        }

        struct Measure {
            var fixtures = 0
            var passed = 0
            var exact = 0
            var refused = 0
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

        @OptionGroup var isolation: IsolationOptions

        /// What one fixture adds to the table: its row and its free-running result (judged
        /// bit for bit), with `counts` whether it passes within its own bounds; or why it was
        /// refused, with its row when the header could be read.
        struct Measured: Sendable, Codable {
            var row: Row?
            var exact: VerificationResult?
            var passed: Bool?
            var error: String?
        }

        /// Measures one fixture, as the table counts it.
        static func measure(_ path: String, teacherForcing: Bool, counts: Bool, optimizers: OptimizerCatalog) -> Measured {
            var measured = Measured()
            do {
                let reader = try FixtureReader(path: path)
                let header = reader.header
                let reference = header.reference
                var torchPath = [reference.implementation ?? "?", reference.cpuCapability ?? ""]
                    .filter { !$0.isEmpty }.joined(separator: " ")
                if header.paramGroups.contains(where: { $0.hyperparameters["differentiable"]?.boolValue == true }) {
                    torchPath = "differentiable " + torchPath
                }
                measured.row = Row(optimizer: header.optimizer, dtype: header.dtype.rawValue, path: torchPath)
                let result = try Replay(tolerance: .exact, teacherForcing: teacherForcing, optimizers: optimizers).run(reader)
                if counts {
                    let bounds = Tolerance.resolve(rtol: nil, atol: nil, maxULP: nil, file: header.tolerance, dtype: header.dtype)
                    measured.passed = try Replay(tolerance: bounds, teacherForcing: teacherForcing, optimizers: optimizers).run(reader).passed
                }
                measured.exact = result
            } catch {
                measured.error = "\(error)"
            }
            return measured
        }

        func run() throws {
            var rows: [Row: Measure] = [:]
            let isolation = isolation.isolation
            for path in fixtures {
                var measured: Measured
                if let isolation {
                    switch isolation.run(.table(teacherForcing: teacherForcing, counts: counts, path: path), as: Measured.self) {
                    case .success(let result): measured = result
                    case .failure(let failure): measured = Measured(error: failure.line(file: path))
                    }
                } else {
                    measured = Self.measure(path, teacherForcing: teacherForcing, counts: counts, optimizers: VerifyCommand.optimizers)
                }
                if let error = measured.error {
                    guard counts, let row = measured.row else {
                        TextReport().error(error)
                        throw ExitCode(2)
                    }
                    rows[row, default: Measure()].fixtures += 1
                    rows[row]!.refused += 1
                } else if let row = measured.row, let result = measured.exact {
                    rows[row, default: Measure()].add(result)
                    if counts {
                        rows[row]!.passed += measured.passed == true ? 1 : 0
                        rows[row]!.exact += result.passed ? 1 : 0
                    }
                }
            }
            if counts {
                print("| optimizer | dtype | torch path | configurations | pass | bit-exact | refused | max ULP |")
                print("|---|---|---|---:|---:|---:|---:|---:|")
                for row in rows.keys.sorted() {
                    guard let m = rows[row] else { continue }
                    let ulp = m.fixtures == m.refused ? "—" : Measure.larger(m.parameterULP, m.stateULP).map { "\($0)" } ?? "NaN"
                    print("| \(row.optimizer) | \(row.dtype) | \(row.path) | \(m.fixtures) | \(m.passed) | \(m.exact) | \(m.refused) | \(ulp) |")
                }
                return
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
