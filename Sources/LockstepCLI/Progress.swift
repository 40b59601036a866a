import Foundation

/// The progress line of a long run, `[12/264] adam_forloop_f32.h5` on standard error,
/// overwritten in place and cleared at the end.
///
/// Shown only to a person watching: when standard error is a terminal, outside CI, and not
/// when a JSON report is asked for. Anything else `verify` writes clears it first and
/// draws it again after, so the line never mixes with the report.
final class ProgressLine {
    /// Whether the line is drawn at all.
    let isEnabled: Bool
    private let write: (String) -> Void
    private var current: String?

    /// - Parameters:
    ///   - isEnabled: from ``shouldShow(isTerminal:environment:json:)``.
    ///   - write: where the bytes go (standard error).
    init(isEnabled: Bool, write: @escaping (String) -> Void = ProgressLine.writeToStandardError) {
        self.isEnabled = isEnabled
        self.write = write
    }

    /// Whether a run shows progress: standard error is a terminal, `CI` is unset, and
    /// no JSON report was asked for.
    static func shouldShow(isTerminal: Bool, environment: [String: String], json: Bool) -> Bool {
        isTerminal && !json && (environment["CI"] ?? "").isEmpty
    }

    /// Whether standard error is a terminal; tests put their own answer here.
    @TaskLocal static var standardErrorIsTerminal: Bool = isatty(2) == 1

    /// The line for this process: shown by ``shouldShow(isTerminal:environment:json:)``.
    static func forStandardError(json: Bool) -> ProgressLine {
        ProgressLine(
            isEnabled: shouldShow(
                isTerminal: standardErrorIsTerminal, environment: ProcessInfo.processInfo.environment, json: json))
    }

    /// Shows `[finished/total] name` (the file name of `item`) in place of the last line.
    func update(finished: Int, total: Int, item: String) {
        guard isEnabled else { return }
        current = "[\(finished)/\(total)] \((item as NSString).lastPathComponent)"
        redraw()
    }

    /// Draws the line again after other output.
    func redraw() {
        guard isEnabled, let current else { return }
        write("\r" + current + "\u{1B}[K")
    }

    /// Erases the line, leaving the cursor at the start of the empty line.
    func clear() {
        guard isEnabled, current != nil else { return }
        write("\r\u{1B}[K")
    }

    /// Erases the line for good, at the end of the run.
    func finish() {
        clear()
        current = nil
    }

    static func writeToStandardError(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
