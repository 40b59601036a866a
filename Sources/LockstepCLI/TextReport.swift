import Foundation
import LockstepHarness
import LockstepOptim

/// The human-readable report of `verify`: one block per fixture on standard output, one
/// line per invalid fixture on standard error.
struct TextReport {
    var standardOutput: (String) -> Void = { print($0) }
    var standardError: (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }

    func result(_ result: VerificationResult) {
        let sqrt = result.tensorSqrt.flatMap { $0 == TorchSqrt.correctlyRounded.rawValue ? nil : "\($0) sqrt" }
        let path = [result.implementation, result.cpuCapability, sqrt].compactMap { $0 }.joined(separator: " ")
        standardOutput(
            "\(result.passed ? "PASS" : "FAIL") \(Self.escaped(result.fixture)): \(result.optimizer) \(result.dtype)"
                + (path.isEmpty ? "" : " (\(path))")
                + ", \(result.steps) steps, \(result.mode.rawValue); \(result.tolerance)")
        let width = max(28, result.tensors.map(\.tensor.count).max() ?? 0)
        standardOutput("  " + pad("tensor", width) + "  " + pad("max abs err", 12) + "  " + pad("max rel err", 12) + "  max ulp")
        for tensor in result.tensors {
            standardOutput(
                "  " + pad(tensor.tensor, width) + "  " + pad(format(tensor.maxAbsoluteError), 12) + "  "
                    + pad(format(tensor.maxRelativeError), 12) + "  " + (tensor.maxULPError.map { "\($0)" } ?? "NaN")
                    + (tensor.passed ? "" : "  FAIL (\(tensor.failedElements) of \(tensor.comparedElements) elements)"))
        }
        if let failure = result.firstFailureDescription { standardOutput("  " + failure) }
        // Why a tensor sqrt may not be bit for bit, where it matters: a result that is not exact.
        if let note = result.sqrtNote, !result.isExact { standardOutput("  note: " + note) }
    }

    func error(_ line: String) { standardError("error: " + Self.escaped(line)) }

    /// `line` with control characters escaped (`\n`, `\t`, `\u{1B}`, ...), so that a file
    /// name or a string from a file cannot split the one line an error is, nor drive the
    /// terminal.
    static func escaped(_ line: String) -> String {
        guard line.unicodeScalars.contains(where: isControl) else { return line }
        var text = ""
        for scalar in line.unicodeScalars {
            switch scalar {
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case _ where isControl(scalar): text += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
            default: text.unicodeScalars.append(scalar)
            }
        }
        return text
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }

    func summary(_ outcome: Outcome) {
        standardOutput(
            "\(outcome.passedCount) passed, \(outcome.failedCount) failed"
                + (outcome.errors.isEmpty ? "" : ", \(outcome.errors.count) invalid"))
    }

    private func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }

    private func format(_ value: Double) -> String {
        value == 0 ? "0" : String(format: "%.3e", value)
    }
}
