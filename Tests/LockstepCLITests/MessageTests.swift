import Foundation
import LockstepHDF5
import LockstepTestSupport
import Testing

@testable import LockstepCLI

/// Every error is one line, whatever the file is called; `inspect` and `check` agree on what
/// is invalid.
@Suite("Messages")
struct MessageTests {
    @Test func aFileNameWithANewlineStaysOnOneLine() {
        var lines: [String] = []
        let report = TextReport(standardOutput: { lines.append($0) }, standardError: { lines.append($0) })
        report.error("a\nb.h5: /: no such file")
        report.error("x\u{1B}[31m.h5\t: /: no such file")
        #expect(lines == [#"error: a\nb.h5: /: no such file"#, #"error: x\u{1B}[31m.h5\t: /: no such file"#])
    }

    @Test func inspectRejectsWhatCheckRejects() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("adamw.h5")
        try FileManager.default.copyItem(atPath: fixturePath("adamw.h5"), toPath: path)
        #expect(VerifyCommand.run(arguments: ["inspect", path]) == 0)
        // Well-formed as a file; only the replay finds that AdamW keeps a state it lacks,
        // or that the optimizer rejects a hyperparameter.
        try HDF5File.open(updatingAt: path).root.group("params").group("w").group("state").removeChild("exp_avg_sq")
        #expect(VerifyCommand.run(arguments: ["--fixture", path]) == 2)
        #expect(VerifyCommand.run(arguments: ["inspect", path]) == 2)
        try FileManager.default.removeItem(atPath: path)
        try FileManager.default.copyItem(atPath: fixturePath("adamw.h5"), toPath: path)
        let root = try HDF5File.open(updatingAt: path).root
        let groups = try root.stringAttribute("param_groups").replacingOccurrences(of: #""lr": 0.01"#, with: #""lr": -1"#)
        try root.setAttribute("param_groups", string: groups)
        #expect(VerifyCommand.run(arguments: ["inspect", path]) == 2)
        // A fixture that fails on its values is valid: inspect shows it.
        #expect(VerifyCommand.run(arguments: ["inspect", fixturePath("optim_db/optimdb_lbfgs_maximize_strong_wolfe_forloop_f32.h5")]) == 0)
    }
}
