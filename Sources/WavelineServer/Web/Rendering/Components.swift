import Foundation
import WavelineCore
import WavelineStore

/// Pieces shared by several pages: progress bars, failure points, log lines.
enum Components {
    /// A stacked bar of a phase's nodes (done, running, failed, pending) with the same counts as text, so it
    /// reads without color and without the picture.
    static func progress(_ counts: StatusCounts, label: String) -> HTML {
        let done = counts.succeeded + counts.skipped
        let failed = counts.failed + counts.interrupted + counts.cancelled
        let total = done + counts.running + failed + counts.pending
        func segment(_ value: Int, _ kind: String) -> HTML {
            guard value > 0, total > 0 else { return .empty }
            let percent = Double(value) * 100 / Double(total)
            return "<span class=\"seg seg-\(kind)\" style=\"width:\(String(format: "%.3f", percent))%\"></span>"
        }
        var parts = ["\(done) done"]
        if counts.running > 0 { parts.append("\(counts.running) running") }
        if failed > 0 { parts.append("\(failed) failed") }
        if counts.pending > 0 { parts.append("\(counts.pending) pending") }
        if counts.skipped > 0 { parts[0] += " (\(counts.skipped) skipped)" }
        let text = parts.joined(separator: " · ") + " of \(total)"
        return """
            <div class="progress">\
            <span class="progress-label">\(label)</span>\
            <span class="bar" aria-hidden="true">\(segment(done, "done"))\(segment(counts.running, "running"))\(segment(failed, "failed"))\(segment(counts.pending, "pending"))</span>\
            <span class="progress-text">\(text)</span>\
            </div>
            """
    }

    /// Why a step failed, without saying the exit code twice when the reason is only the exit code.
    static func cause(exitCode: Int32?, reason: String) -> HTML {
        guard let code = exitCode else { return "\(reason)" }
        if reason == "exited with code \(code)" { return "exit code <strong>\(code)</strong>" }
        return "exit code <strong>\(code)</strong>; \(reason)"
    }

    /// The failure point of a node: where it stopped, why, and the last lines (all of `lines`).
    static func failure(_ failure: FailureView, deployment: Int64, lines: Int) -> HTML {
        let exit = cause(exitCode: failure.exitCode, reason: failure.reason)
        let shown = Array(failure.lastLines.filter { $0.stream != "system" }.suffix(lines))
        let lastLines: [HTML] = shown.map { line in
            "<li class=\"line stream-\(line.stream)\"><span class=\"tag\">\(streamTag(line.stream))</span> <span class=\"text\">\(line.text)</span></li>"
        }
        return """
            <li class="failure">
            <p><a href="/deployments/\(deployment)/nodes/\(urlComponent(failure.node))"><strong>\(failure.node)</strong></a>
            failed at \(Formatting.stage(failure.stage)) <strong>\(failure.step)</strong>: \(exit)</p>
            \(lastLines.isEmpty ? HTML.empty : "<ol class=\"last-lines\" aria-label=\"Last log lines of \(failure.node)\">\(lastLines)</ol>")
            </li>
            """
    }

    static func streamTag(_ stream: String) -> String {
        switch stream {
        case "stdout": return "out"
        case "stderr": return "err"
        case "system": return "sys"
        default: return stream
        }
    }

    /// Key facts as a description list; empty values are left out.
    static func facts(_ pairs: [(String, HTML?)]) -> HTML {
        let items: [HTML] = pairs.compactMap { name, value in
            guard let value, !value.description.isEmpty else { return nil }
            return "<div><dt>\(name)</dt><dd>\(value)</dd></div>"
        }
        return "<dl class=\"facts\">\(items)</dl>"
    }
}
