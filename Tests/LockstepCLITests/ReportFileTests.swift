import Foundation
import LockstepTestSupport
import Testing

@testable import LockstepCLI

/// `--json` and `--report` write only a regular file or a new path, never over a file being
/// read, through a temporary file renamed into place; a failed write is one line and exit 2.
@Suite("Report files", .timeLimit(.minutes(1)))
struct ReportFileTests {
    let dir: TemporaryDirectory
    init() throws { dir = try TemporaryDirectory() }

    private func contents(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

    private func refusal(_ path: String, inputs: [String] = []) throws -> String {
        try #require(throws: ReportError.self) { try ReportFile(path: path, inputs: inputs).write(Data("new".utf8)) }.message
    }

    @Test func writesANewPathAndReplacesARegularFile() throws {
        let path = dir.path("r.json")
        try ReportFile(path: path, inputs: []).write(Data("one".utf8))
        #expect(try contents(path) == "one")
        chmod(path, 0o640)
        try ReportFile(path: path, inputs: []).write(Data("two".utf8))
        #expect(try contents(path) == "two")
        #expect((try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) == 0o640)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path) == ["r.json"])
    }

    @Test func aSymbolicLinkToARegularFileReplacesItsTarget() throws {
        let target = dir.path("target.json")
        let link = dir.path("link.json")
        try Data("old".utf8).write(to: URL(fileURLWithPath: target))
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        try ReportFile(path: link, inputs: []).write(Data("new".utf8))
        #expect(try contents(target) == "new")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == target)
    }

    @Test func aFIFOADirectoryOrALinkToOneIsRefused() throws {
        let fifo = dir.path("fifo")
        #expect(mkfifo(fifo, 0o600) == 0)
        #expect(try refusal(fifo) == "it is a FIFO, not a regular file")
        let link = dir.path("link")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: fifo)
        #expect(try refusal(link) == "it is a symbolic link to a FIFO, not to a regular file")
        #expect(try refusal(dir.url.path) == "it is a directory, not a regular file")
        #expect(try refusal("/dev/null") == "it is a character device, not a regular file")
    }

    @Test func theFixtureBeingReadIsNeverOverwritten() throws {
        let fixture = dir.path("adamw.h5")
        try FileManager.default.copyItem(atPath: fixturePath("adamw.h5"), toPath: fixture)
        let before = try Data(contentsOf: URL(fileURLWithPath: fixture))
        let alias = dir.path("alias.h5")
        try FileManager.default.linkItem(atPath: fixture, toPath: alias)
        #expect(try refusal(alias, inputs: [fixture]) == "it is the same file as the fixture \(fixture)")
        #expect(VerifyCommand.run(arguments: ["--fixture", fixture, "--json", fixture]) == 2)
        #expect(VerifyCommand.run(arguments: ["--fixture", fixture, "--report", alias]) == 2)
        #expect(try Data(contentsOf: URL(fileURLWithPath: fixture)) == before)
    }

    @Test func aFailedWriteExitsTwo() throws {
        // A folder where no file can be created, even by root: /proc/self.
        #expect(throws: ReportError.self) { try ReportFile(path: "/proc/self/r.json", inputs: []).write(Data("x".utf8)) }
        #expect(VerifyCommand.run(arguments: ["--fixture", fixturePath("adamw.h5"), "--json", "/proc/self/r.json"]) == 2)
    }
}
