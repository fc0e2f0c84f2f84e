// What a check of the audit trail's hash chain found: a plain value, produced by the store's verifier and sent
// as is by the API (`GET /api/v1/audit/verify`) and the CLI (`waveline audit verify --json`).

/// One thing wrong with the audit trail, at one entry.
public struct AuditProblem: Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable, Codable {
        /// The entry's contents no longer match its hash.
        case edited
        /// Entries are missing (before this id, or at the end).
        case removed
        /// The entry is intact but stored in another place than it was written in.
        case reordered
        /// The entry has no hash, or links to no entry: it was added outside Waveline.
        case inserted
    }

    public var kind: Kind
    /// The entry where the problem shows.
    public var eventId: Int64
    public var message: String

    public init(kind: Kind, eventId: Int64, message: String) {
        self.kind = kind
        self.eventId = eventId
        self.message = message
    }

    public var description: String { message }
}

/// What `waveline audit verify` answers.
public struct AuditReport: Sendable, Hashable, Codable {
    /// Entries read.
    public var count: Int
    public var firstId: Int64?
    public var lastId: Int64?
    /// The newest entry's hash: keep it, and a later verification can show nothing was rewritten since.
    public var lastHash: String?
    /// At most `AuditVerifier.problemLimit`, in id order.
    public var problems: [AuditProblem]
    /// More problems than listed.
    public var moreProblems: Int

    public init(count: Int, firstId: Int64?, lastId: Int64?, lastHash: String?, problems: [AuditProblem], moreProblems: Int) {
        self.count = count
        self.firstId = firstId
        self.lastId = lastId
        self.lastHash = lastHash
        self.problems = problems
        self.moreProblems = moreProblems
    }

    public var isIntact: Bool { problems.isEmpty }

    /// One paragraph for a person.
    public var summary: String {
        guard !problems.isEmpty else {
            guard let firstId, let lastId, let lastHash else { return "audit trail intact: no entries" }
            return "audit trail intact: \(count) entries, #\(firstId)–#\(lastId), last hash \(lastHash)"
        }
        var lines = ["audit trail TAMPERED: \(counted(problems.count + moreProblems, "problem")) in \(counted(count, "entry", plural: "entries"))"]
        lines += problems.map { "  #\($0.eventId) \($0.kind.rawValue): \($0.message)" }
        if moreProblems > 0 { lines.append("  … and \(moreProblems) more") }
        return lines.joined(separator: "\n")
    }
}
