import Testing
import Foundation

/// A golden fixture file, as the argument of a parameterized test.
///
/// ```swift
/// @Test(arguments: Fixture.all(in: "../../fixtures"))
/// func lion(_ fixture: Fixture) {
///     expectVerifies(fixture, with: [Lion<Float>.self, Lion<Double>.self], bounds: .exact)
/// }
/// ```
public struct Fixture: CustomTestStringConvertible, Sendable, Hashable {
    /// The file's path.
    public let path: String
    /// Why there is no file to verify (an empty or missing folder), reported as an issue
    /// when the fixture is verified: a folder with nothing in it never passes silently.
    let problem: String?

    /// The fixture at `path`; a relative path is taken from the folder of `file`.
    public init(_ path: String, relativeTo file: StaticString = #filePath) {
        self.init(path: Self.resolve(path, relativeTo: file), problem: nil)
    }

    private init(path: String, problem: String?) {
        self.path = path
        self.problem = problem
    }

    /// The file name: how a parameterized test names the case.
    public var testDescription: String { URL(fileURLWithPath: path).lastPathComponent }

    /// Every `.h5` file in `folder`, sorted by name; a relative folder is taken from the
    /// folder of `file` (the test's source file). A missing or empty folder gives one
    /// fixture that fails with that reason.
    public static func all(in folder: String, relativeTo file: StaticString = #filePath) -> [Fixture] {
        let folder = resolve(folder, relativeTo: file)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else {
            return [Fixture(path: folder, problem: "\(folder): the folder does not exist or cannot be read")]
        }
        let files = names.filter { $0.hasSuffix(".h5") }.sorted()
        guard !files.isEmpty else { return [Fixture(path: folder, problem: "\(folder): no fixture (.h5) in the folder")] }
        return files.map { Fixture(path: URL(fileURLWithPath: folder).appendingPathComponent($0).path, problem: nil) }
    }

    private static func resolve(_ path: String, relativeTo file: StaticString) -> String {
        if path.hasPrefix("/") { return URL(fileURLWithPath: path).standardized.path }
        let base = URL(fileURLWithPath: "\(file)").deletingLastPathComponent()
        return base.appendingPathComponent(path).standardized.path
    }
}
