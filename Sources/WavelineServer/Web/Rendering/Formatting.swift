import Foundation
import WavelineCore

/// How states, times and durations read on the pages. A state is always shown as text plus a symbol, with
/// color only as a third cue (`state-<name>` classes in the style sheet), so it reads without color too. The
/// symbols are ones common text fonts have (DejaVu Sans, Segoe UI Symbol, Apple Symbols: arrows, math and
/// geometric shapes), never emoji, which show as empty boxes where no emoji font is installed; they are
/// decoration (`aria-hidden`), the word beside them says the state.
enum Formatting {
    static func symbol(_ status: TargetStatus) -> String {
        switch status {
        case .pending: return "○"
        case .running: return "◐"
        case .succeeded: return "✓"
        case .failed: return "✗"
        case .skipped: return "↷"
        case .cancelled: return "⊘"
        case .interrupted: return "⚠"
        }
    }

    static func symbol(_ status: DeploymentStatus) -> String {
        switch status {
        case .pendingApproval: return "◇"
        case .queued: return "…"
        case .running, .rollingBack: return "◐"
        case .paused: return "‖"
        case .halted: return "⚠"
        case .succeeded: return "✓"
        case .failed, .finishedWithFailures: return "✗"
        case .cancelled: return "⊘"
        case .rolledBack: return "↶"
        }
    }

    /// The symbol of something waiting for a person's approval (a deployment, a gate).
    static let awaitingApproval = "◇"

    static func label(_ status: DeploymentStatus) -> String { status.rawValue.replacingOccurrences(of: "_", with: " ") }

    static func badge(_ status: DeploymentStatus) -> HTML {
        "<span class=\"badge state-\(status.rawValue)\"><span aria-hidden=\"true\">\(symbol(status))</span> \(label(status))</span>"
    }

    static func badge(_ status: TargetStatus) -> HTML {
        "<span class=\"badge state-\(status.rawValue)\"><span aria-hidden=\"true\">\(symbol(status))</span> \(status.rawValue)</span>"
    }

    /// `2m 05s`, `1h 02m`, `4.2s`.
    static func duration(_ seconds: Double) -> String {
        let seconds = max(0, seconds)
        if seconds < 10 { return String(format: "%.1fs", seconds) }
        let whole = Int(seconds.rounded())
        if whole < 60 { return "\(whole)s" }
        if whole < 3600 { return "\(whole / 60)m \(String(format: "%02d", whole % 60))s" }
        return "\(whole / 3600)h \(String(format: "%02d", (whole % 3600) / 60))m"
    }

    /// UTC, to the second: `2026-05-04 13:02:11Z`.
    static func timestamp(_ time: Double) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss'Z'"
        return formatter.string(from: Date(timeIntervalSince1970: time))
    }

    /// Time of day with milliseconds, for log lines.
    static func clock(_ time: Double) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "HH:mm:ss.SSS"
        return formatter.string(from: Date(timeIntervalSince1970: time))
    }

    /// A `<time>` element; when `liveFrom` is set the script keeps it ticking as elapsed time.
    static func elapsed(from start: Double?, to end: Double?, now: Double) -> HTML {
        guard let start else { return "<span class=\"muted\">not started</span>" }
        let seconds = (end ?? now) - start
        if end == nil {
            return "<time class=\"elapsed\" data-since=\"\(String(start))\" datetime=\"PT\(Int(seconds))S\">\(duration(seconds))</time>"
        }
        return "<time datetime=\"PT\(Int(seconds))S\">\(duration(seconds))</time>"
    }

}
