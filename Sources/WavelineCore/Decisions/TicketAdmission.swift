import Foundation

/// Which Jira ticket a requested deployment needs, and whether the one Jira shows will do: the pure half of the
/// ticket check. The server asks Jira (through a `TicketDirectory`) between `plan` and `judge`; nothing here waits.
///
/// Only environments with a ticket policy in `integrations.yaml` take part: a deployment that touches none is
/// admitted as before, whatever ticket it carries.
public enum TicketAdmission {
    /// What to do with Jira before the deployment is admitted.
    public enum Plan: Sendable, Hashable {
        /// No touched environment has a policy: Jira is not asked, the ticket (if any) is kept as typed.
        case none
        /// Look `key` up and judge what Jira answers against the policies of `environments`.
        case check(key: String, environments: [String])
        /// No ticket was given, and the policy of `environment` says Waveline makes one for ad-hoc work.
        case create(TicketCreation, environment: String)
    }

    /// The plan for a request naming `ticket` (nil or blank: none) and touching `environments` (in the
    /// deployment's order), under `policies` (by environment name).
    ///
    /// Refused (`.invalid`) when the ticket is not shaped like a Jira key, or when none is given and an environment
    /// requires one that Waveline does not make itself. Waveline makes one only when no touched environment that
    /// requires a ticket lacks a `create` setting.
    public static func plan(ticket: String?, environments: [String], policies: [String: TicketPolicy]) -> Result<Plan, Refusal> {
        let governed = environments.filter { policies[$0] != nil }
        guard !governed.isEmpty else { return .success(.none) }
        let given = (ticket ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        if !given.isEmpty {
            guard isIssueKey(given) else {
                return .failure(Refusal(.invalid, "ticket \(given.callerQuoted) is not a Jira issue key: expected a project key, '-' and a number (e.g. CHG-123)"))
            }
            return .success(.check(key: given.uppercased(), environments: governed))
        }
        let requiring = governed.filter { policies[$0]?.required == true && policies[$0]?.create == nil }
        guard requiring.isEmpty else {
            return .failure(Refusal(.invalid, "a Jira ticket is required: \(environmentPhrase(requiring)) \(requiring.count == 1 ? "requires" : "require") one (give its key with --ticket, e.g. CHG-123)"))
        }
        if let environment = governed.first(where: { policies[$0]?.create != nil }), let creation = policies[environment]?.create {
            return .success(.create(creation, environment: environment))
        }
        return .success(.none)
    }

    /// Whether the ticket Jira answered with (`found`; nil: Jira has none by that key) may carry a deployment of
    /// `environments`: nil when it may, else the refusal naming the key, the environment and what it accepts.
    /// `asked` is the key as requested; a moved ticket is judged, and named, by the key Jira answered with.
    public static func judge(_ found: TicketFacts?, asked: String, environments: [String], policies: [String: TicketPolicy]) -> Refusal? {
        guard let found else {
            return Refusal(.invalid, "Jira has no ticket \(asked) (or Waveline's Jira user may not see it): \(environmentPhrase(environments)) \(environments.count == 1 ? "needs" : "need") an existing ticket; check the key")
        }
        let named = found.key == asked ? "ticket \(found.key)" : "ticket \(asked) (now \(found.key) in Jira)"
        var problems: [String] = []
        for environment in environments {
            guard let policy = policies[environment] else { continue }
            if !policy.projects.isEmpty, !policy.projects.contains(found.project) {
                let accepted = policy.projects.joined(separator: ", ")
                problems.append("\(named) is in project \(found.project); environment \(environment) accepts tickets of \(policy.projects.count == 1 ? "project" : "projects") \(accepted) only")
            }
            if !policy.statuses.isEmpty {
                let status = found.status ?? ""
                if !policy.statuses.contains(where: { $0.lowercased() == status.lowercased() }) {
                    let accepted = policy.statuses.map { "'\($0)'" }.joined(separator: ", ")
                    problems.append("\(named) is in status '\(status)'; environment \(environment) needs \(policy.statuses.count == 1 ? "status" : "one of the statuses") \(accepted)")
                }
            }
        }
        return problems.isEmpty ? nil : Refusal(.invalid, problems.joined(separator: "; "))
    }

    /// The summary of the ticket Waveline makes for ad-hoc work: what, where, and why, within Jira's 255.
    public static func createdSummary(operation: String, selection: String, reason: String) -> String {
        let firstLine = reason.split(whereSeparator: \.isNewline).first.map(String.init) ?? reason
        return String("\(operation) on \(selection): \(firstLine.trimmingCharacters(in: .whitespaces))".prefix(255))
    }

    /// `CHG-123`: a project key (a letter, then letters, digits or `_`), `-`, a number. Case does not matter:
    /// Jira finds `chg-123` too. Nothing else reaches Jira's URL.
    public static func isIssueKey(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let project = parts.first, let number = parts.last,
              project.count <= 255, number.count <= 18,
              let first = project.unicodeScalars.first, isLetter(first),
              project.unicodeScalars.allSatisfy({ isLetter($0) || ("0"..."9").contains($0) || $0 == "_" }),
              !number.isEmpty, number.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) })
        else { return false }
        return true
    }

    private static func isLetter(_ scalar: Unicode.Scalar) -> Bool {
        ("A"..."Z").contains(scalar) || ("a"..."z").contains(scalar)
    }

    /// "environment prod" or "environments prod, dr".
    static func environmentPhrase(_ environments: [String]) -> String {
        (environments.count == 1 ? "environment " : "environments ") + environments.joined(separator: ", ")
    }
}

/// A Jira ticket as Jira answered: the key to store (it may differ from the key asked for, as tickets move
/// between projects), its id, project and status, and where people open it.
public struct TicketFacts: Sendable, Hashable, Codable {
    public var key: String
    public var issueID: String
    public var project: String
    /// Nil when Jira did not say (a ticket just made, whose read-back failed).
    public var status: String?
    /// `<browse URL>/browse/<key>`.
    public var url: String

    public init(key: String, issueID: String, project: String, status: String?, url: String) {
        self.key = key
        self.issueID = issueID
        self.project = project
        self.status = status
        self.url = url
    }
}

/// The ticket a deployment was admitted with, as stored with it.
public struct CheckedTicket: Sendable, Hashable, Codable {
    public var facts: TicketFacts
    /// The key the requester gave; nil when Waveline made the ticket (ad-hoc work).
    public var requestedKey: String?
    /// When Jira was asked (seconds since 1970).
    public var checkedAt: Double

    public init(facts: TicketFacts, requestedKey: String?, checkedAt: Double) {
        self.facts = facts
        self.requestedKey = requestedKey
        self.checkedAt = checkedAt
    }

    public var createdByWaveline: Bool { requestedKey == nil }
}

/// A ticket Waveline makes for ad-hoc work.
public struct TicketDraft: Sendable, Hashable {
    public var project: String
    public var issueType: String
    public var summary: String
    /// Plain paragraphs.
    public var description: [String]

    public init(project: String, issueType: String, summary: String, description: [String]) {
        self.project = project
        self.issueType = issueType
        self.summary = summary
        self.description = description
    }
}

/// Where tickets are looked up and made (Jira, through WavelineIntegrations' `JiraTicketDirectory`). Each call
/// is bounded by a short timeout: a request waits for it.
public protocol TicketDirectory: Sendable {
    /// The ticket `key` names, as Jira answers (following a moved ticket); nil when there is none.
    func ticket(_ key: String) async throws(TicketDirectoryError) -> TicketFacts?
    /// Makes the ticket; what Jira then shows of it.
    func createTicket(_ draft: TicketDraft) async throws(TicketDirectoryError) -> TicketFacts
}

/// Why the directory could not answer.
public struct TicketDirectoryError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// Unreachable, too slow, overloaded or rate limiting: asking again later may work.
        case unavailable(retryAfter: Duration?)
        /// Jira refused Waveline's request (credentials, permissions, a field it wants): needs an administrator.
        case refused
    }

    public var kind: Kind
    /// The service's words, never a credential.
    public var detail: String

    public init(_ kind: Kind, _ detail: String) {
        self.kind = kind
        self.detail = detail
    }

    public var description: String { detail }
}
