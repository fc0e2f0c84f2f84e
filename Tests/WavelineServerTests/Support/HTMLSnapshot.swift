import Foundation
import Testing

/// Compares a rendered page with the file committed under `Tests/WavelineServerTests/Snapshots/<name>.html`.
///
/// To record (after a deliberate change to a page): run the tests with `WAVELINE_RECORD_SNAPSHOTS=1`, e.g.
/// `WAVELINE_RECORD_SNAPSHOTS=1 swift test --filter PageSnapshotTests`, then review `git diff` of the snapshots
/// and commit them. A missing file fails (it is never recorded silently); recording writes and passes.
enum HTMLSnapshot {
    static var directory: URL {
        // Tests/WavelineServerTests/Support/HTMLSnapshot.swift → Tests/WavelineServerTests/Snapshots.
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Snapshots")
    }

    static var isRecording: Bool { ProcessInfo.processInfo.environment["WAVELINE_RECORD_SNAPSHOTS"] == "1" }

    /// The one place where what may differ between two renderings of the same data is made equal, each with why.
    static func normalize(_ html: String) -> String {
        // CSRF tokens are random per session. The snapshot session's token is seeded, so this changes nothing
        // today; it keeps snapshots comparable should a page be rendered for a session made by a real sign-in.
        html.replacingOccurrences(
            of: #"name="csrf" value="[^"]*""#, with: #"name="csrf" value="[csrf]""#, options: .regularExpression
        )
    }

    static func assertMatches(_ html: String, named name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let actual = normalize(html)
        let file = directory.appendingPathComponent(name + ".html")
        if isRecording {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try actual.write(to: file, atomically: true, encoding: .utf8)
            return
        }
        guard let expected = try? String(contentsOf: file, encoding: .utf8) else {
            Issue.record("no snapshot \(file.path); record it with WAVELINE_RECORD_SNAPSHOTS=1", sourceLocation: sourceLocation)
            return
        }
        guard expected != actual else { return }
        let rendered = FileManager.default.temporaryDirectory.appendingPathComponent("waveline-snapshot-\(name).html")
        try? actual.write(to: rendered, atomically: true, encoding: .utf8)
        Issue.record("""
            page '\(name)' differs from its snapshot \(file.path):
            \(firstDifference(expected: expected, actual: actual))
            whole rendering: \(rendered.path) (diff -u \(file.path) \(rendered.path));
            if the change is intended, re-record with WAVELINE_RECORD_SNAPSHOTS=1 and commit the file
            """, sourceLocation: sourceLocation)
    }

    /// The first line that differs, with two lines of context before it, numbered as in the snapshot file.
    static func firstDifference(expected: String, actual: String) -> String {
        let old = expected.components(separatedBy: "\n")
        let new = actual.components(separatedBy: "\n")
        let index = (0..<min(old.count, new.count)).first { old[$0] != new[$0] } ?? min(old.count, new.count)
        var lines: [String] = []
        for context in max(0, index - 2)..<index { lines.append("  \(context + 1)  \(old[context])") }
        lines.append("- \(index + 1)  \(index < old.count ? old[index] : "(end of snapshot)")")
        lines.append("+ \(index + 1)  \(index < new.count ? new[index] : "(end of page)")")
        return lines.joined(separator: "\n")
    }
}
