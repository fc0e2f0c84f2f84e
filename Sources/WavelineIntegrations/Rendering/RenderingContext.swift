import Foundation
import WavelineAPI
import WavelineCore

/// What every rendering needs beside the deployment: where links point, and how secret values are masked.
///
/// `mask` is the engine's `SecretMasker.mask(_:)` in the server (so a value learnt from the inventory or the
/// integrations' credentials is `********` here too); every text taken from the deployment goes through it
/// before it is put in a payload. Rendering is pure: the same detail and context give the same bytes.
public struct RenderingContext: Sendable {
    /// Waveline's web UI, without a trailing slash (`IntegrationsSettings.publicURL`).
    public var publicURL: String
    /// Where tickets are opened (`JiraSettings.browseURL`); nil when Jira is not configured: tickets show as text.
    public var jiraBrowseURL: String?
    public var mask: @Sendable (String) -> String

    public init(publicURL: String, jiraBrowseURL: String? = nil, mask: @escaping @Sendable (String) -> String) {
        var base = publicURL
        while base.hasSuffix("/") { base.removeLast() }
        self.publicURL = base
        self.jiraBrowseURL = jiraBrowseURL
        self.mask = mask
    }

    public func deploymentURL(_ id: Int64) -> String { "\(publicURL)/deployments/\(id)" }

    public func nodeLogURL(_ id: Int64, node: String) -> String {
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        return "\(publicURL)/deployments/\(id)/nodes/\(node.addingPercentEncoding(withAllowedCharacters: allowed) ?? node)"
    }

    public func ticketURL(_ key: String) -> String? { jiraBrowseURL.map { "\($0)/browse/\(key)" } }
}

/// Words and numbers shared by the Slack and Jira renderings.
enum Wording {
    static func status(_ status: DeploymentStatus) -> String {
        switch status {
        case .pendingApproval: return "Waiting for approval"
        case .queued: return "Queued"
        case .running: return "Running"
        case .paused: return "Paused"
        case .halted: return "Halted (failure budget spent)"
        case .succeeded: return "Succeeded"
        case .finishedWithFailures: return "Finished with failed nodes"
        case .failed: return "Failed"
        case .cancelled: return "Aborted"
        case .rollingBack: return "Rolling back"
        case .rolledBack: return "Rolled back"
        }
    }

    static func emoji(_ status: DeploymentStatus) -> String {
        switch status {
        case .pendingApproval: return ":raised_hand:"
        case .queued: return ":hourglass_flowing_sand:"
        case .running: return ":arrow_forward:"
        case .paused: return ":double_vertical_bar:"
        case .halted: return ":octagonal_sign:"
        case .succeeded: return ":white_check_mark:"
        case .finishedWithFailures: return ":warning:"
        case .failed: return ":x:"
        case .cancelled: return ":no_entry_sign:"
        case .rollingBack: return ":rewind:"
        case .rolledBack: return ":leftwards_arrow_with_hook:"
        }
    }


    /// `4m 12s`, `2h 5m`, `12s`.
    static func duration(seconds: Double) -> String {
        let total = max(0, Int(seconds.rounded()))
        let hours = total / 3600, minutes = total % 3600 / 60, rest = total % 60
        if hours > 0 { return "\(hours)h \(minutes)m" }
        if minutes > 0 { return "\(minutes)m \(rest)s" }
        return "\(rest)s"
    }

    /// `2026-12-05 10:02 UTC`.
    static func time(_ seconds: Double) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        return formatter.string(from: Date(timeIntervalSince1970: seconds)) + " UTC"
    }

    /// How long the deployment ran: from its start (or its request) to its end, or to `now` while it runs.
    static func elapsed(_ deployment: DeploymentSummary, now: Double? = nil) -> Double? {
        let start = deployment.startedAt ?? deployment.createdAt
        guard let end = deployment.finishedAt ?? now else { return nil }
        return Double(end - start)
    }

    static func list(_ items: [String]) -> String { items.isEmpty ? "none" : items.joined(separator: ", ") }
}
