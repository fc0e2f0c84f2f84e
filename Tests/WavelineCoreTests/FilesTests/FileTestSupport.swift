import Foundation
import Testing
import WavelineCore

/// A fresh directory under the system's temporary directory, removed when the value goes away; tests write
/// their YAML into it from string literals.
final class FilesTestDirectory {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory
            .appendingPathComponent("waveline-files-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes `contents` to `name` (subdirectories are created) and returns the file's path.
    @discardableResult
    func write(_ name: String, _ contents: String) throws -> String {
        try write(name, Data(contents.utf8))
    }

    @discardableResult
    func write(_ name: String, _ data: Data) throws -> String {
        let file = path + "/" + name
        try FileManager.default.createDirectory(
            atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try data.write(to: URL(fileURLWithPath: file))
        return file
    }

    func subdirectory(_ name: String) throws -> String {
        let directory = path + "/" + name
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return directory
    }
}

/// The diagnostics `body` throws; records an issue when it throws something else or nothing.
func thrownDiagnostics<T>(sourceLocation: Testing.SourceLocation = #_sourceLocation, _ body: () throws -> T) -> [Diagnostic] {
    do {
        let value = try body()
        Issue.record("expected diagnostics, got \(value)", sourceLocation: sourceLocation)
        return []
    } catch let error as DiagnosticsError {
        #expect(!error.diagnostics.isEmpty, sourceLocation: sourceLocation)
        return error.diagnostics
    } catch {
        Issue.record("expected DiagnosticsError, got \(error)", sourceLocation: sourceLocation)
        return []
    }
}

/// Expects a diagnostic at exactly `file:line:column` whose message contains `fragment`.
func expectFileDiagnostic(
    _ diagnostics: [Diagnostic], _ file: String, _ line: Int, _ column: Int, _ fragment: String,
    sourceLocation: Testing.SourceLocation = #_sourceLocation
) {
    let location = WavelineCore.SourceLocation(file: file, line: line, column: column)
    let found = diagnostics.contains { $0.location == location && $0.message.contains(fragment) }
    #expect(found, "no diagnostic at \(location) containing \"\(fragment)\" in:\n\(renderDiagnostics(diagnostics))",
            sourceLocation: sourceLocation)
}

/// Expects a diagnostic at exactly `file:line:column` whose message is exactly `message`.
func expectFileDiagnostic(
    _ diagnostics: [Diagnostic], _ file: String, _ line: Int, _ column: Int, exactly message: String,
    sourceLocation: Testing.SourceLocation = #_sourceLocation
) {
    let location = WavelineCore.SourceLocation(file: file, line: line, column: column)
    let found = diagnostics.contains { $0.location == location && $0.message == message }
    #expect(found, "no diagnostic at \(location) saying \"\(message)\" in:\n\(renderDiagnostics(diagnostics))",
            sourceLocation: sourceLocation)
}

func renderDiagnostics(_ diagnostics: [Diagnostic]) -> String {
    diagnostics.map(\.description).joined(separator: "\n")
}

/// Diagnostics must come sorted by file, line and column, unlocated ones first.
func expectSortedDiagnostics(_ diagnostics: [Diagnostic], sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    let keys = diagnostics.map { d in d.location.map { ($0.file, $0.line, $0.column) } ?? ("", 0, 0) }
    let sorted = zip(keys, keys.dropFirst()).allSatisfy { a, b in
        a.0 != b.0 ? a.0 < b.0 : (a.1 != b.1 ? a.1 < b.1 : a.2 <= b.2)
    }
    #expect(sorted, "diagnostics are not sorted:\n\(renderDiagnostics(diagnostics))", sourceLocation: sourceLocation)
}
