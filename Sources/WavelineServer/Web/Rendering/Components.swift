import Foundation
import WavelineAPI
import WavelineCore

/// Pieces shared by several pages: progress bars, failure points, log lines.
enum Components {
    /// A stacked bar of a phase's nodes (done, running, failed, pending) with the same counts as text, so it
    /// reads without color and without the picture.
    /// `key` names the row among its siblings, for the live update to match it (`data-key`).
    static func progress(_ counts: StatusCounts, label: String, key: String? = nil) -> HTML {
        let done = counts.succeeded + counts.skipped
        let failed = counts.failed + counts.interrupted + counts.cancelled
        let total = done + counts.running + failed + counts.pending
        let widths = wholePercents([done, counts.running, failed, counts.pending])
        func segment(_ index: Int, _ kind: String) -> HTML {
            guard widths[index] > 0 else { return .empty }
            return "<span class=\"seg seg-\(kind) w\(widths[index])\"></span>"
        }
        var parts = ["\(done) done"]
        if counts.running > 0 { parts.append("\(counts.running) running") }
        if failed > 0 { parts.append("\(failed) failed") }
        if counts.pending > 0 { parts.append("\(counts.pending) pending") }
        if counts.skipped > 0 { parts[0] += " (\(counts.skipped) skipped)" }
        let text = parts.joined(separator: " · ") + " of \(total)"
        return """
            <div class="progress"\(key.map { key -> HTML in " data-key=\"\(key)\"" })>\
            <span class="progress-label">\(label)</span>\
            <span class="bar" aria-hidden="true">\(segment(0, "done"))\(segment(1, "running"))\(segment(2, "failed"))\(segment(3, "pending"))</span>\
            <span class="progress-text">\(text)</span>\
            </div>
            """
    }

    /// Whole percents of `values` summing to 100 (largest remainders get the spare points); a value above zero
    /// gets at least 1, so a lone failure still shows.
    static func wholePercents(_ values: [Int]) -> [Int] {
        let total = values.reduce(0, +)
        guard total > 0 else { return values.map { _ in 0 } }
        var percents = values.map { $0 * 100 / total }
        let remainders = values.indices.sorted { (values[$0] * 100 % total) > (values[$1] * 100 % total) }
        var spare = 100 - percents.reduce(0, +)
        for index in remainders where spare > 0 && values[index] > 0 {
            percents[index] += 1
            spare -= 1
        }
        for index in values.indices where values[index] > 0 && percents[index] == 0 {
            guard let largest = percents.indices.max(by: { percents[$0] < percents[$1] }), percents[largest] > 1 else { break }
            percents[largest] -= 1
            percents[index] = 1
        }
        return percents
    }

    /// Why a step failed, without saying the exit code twice when the reason is only the exit code.
    static func cause(exitCode: Int32?, reason: String) -> HTML {
        guard let code = exitCode else { return "\(reason)" }
        if reason == "exited with code \(code)" { return "exit code <strong>\(code)</strong>" }
        return "exit code <strong>\(code)</strong>; \(reason)"
    }

    /// The failure point of a node: where it stopped, why, the last lines (all of `lines`), and `actions` (its
    /// buttons), all inside its list item.
    static func failure(_ failure: FailureView, deployment: Int64, lines: Int, actions: HTML = .empty) -> HTML {
        let exit = cause(exitCode: failure.exitCode, reason: failure.reason)
        let shown = Array(failure.lastLines.filter { $0.stream != "system" }.suffix(lines))
        let lastLines: [HTML] = shown.map { line in
            "<li class=\"line stream-\(line.stream)\"><span class=\"tag\">\(streamTag(line.stream))</span> <span class=\"text\">\(line.text)</span></li>"
        }
        return """
            <li class="failure" data-key="failure-\(failure.node)">
            <p><a href="/deployments/\(deployment)/nodes/\(urlComponent(failure.node))"><strong>\(failure.node)</strong></a>
            failed at \(failure.stage.word) <strong>\(failure.step)</strong>: \(exit)</p>
            \(lastLines.isEmpty ? HTML.empty : "<ol class=\"last-lines\" aria-label=\"Last log lines of \(failure.node)\">\(lastLines)</ol>")
            \(actions)
            </li>
            """
    }

    /// Content wider than a phone's screen (a table) in a box that scrolls sideways on its own, so the page does
    /// not. Keyboard users reach it with Tab and scroll it with the arrow keys; `label` names it for screen readers.
    static func scrollBox(label: String, _ content: HTML) -> HTML {
        "<div class=\"scroll-box\" tabindex=\"0\" role=\"region\" aria-label=\"\(label)\">\(content)</div>"
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
