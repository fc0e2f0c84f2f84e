import NIOCore
import WavelineAPI
import WavelineCore
import WavelineStore

/// The audit trail for auditors: its hash chain's verdict, the export, and the audit page's entries.
struct AuditRead: Sendable {
    let reader: any DeploymentReader

    func verify(context: WavelineRequestContext) async throws -> AuditReport {
        try context.authorize(.readAudit)
        return try await reader.verifyAuditTrail()
    }

    /// Every event, oldest first, as JSON lines with their chain fields, page by page to `write`.
    func export(context: WavelineRequestContext) throws -> @Sendable (_ write: (ByteBuffer) async throws -> Void) async throws -> Void {
        try context.authorize(.exportAudit)
        let reader = reader
        return { write in
            var after: Int64 = 0
            while true {
                let page = try await reader.events(of: nil, afterID: after, limit: 2000)
                guard let last = page.last else { return }
                var buffer = ByteBuffer()
                for event in page { buffer.writeString(AuditTrail.jsonLine(event) + "\n") }
                try await write(buffer)
                after = last.id
            }
        }
    }

    /// Kinds of entry the audit page filters by, by the prefix of their `kind`.
    static let kinds: [(prefix: String, label: String)] = [
        ("deployment.", "Deployments"), ("action.", "Operator actions"), ("target.", "Nodes"), ("phase.", "Phases"),
        ("auth.", "Sign-ins"), ("user.", "Users"), ("token.", "API tokens"),
    ]

    struct Entries: Sendable {
        var events: [EventView]
        var report: AuditReport?
        /// Filters that could not be applied, said plainly.
        var problem: String?
    }

    /// The audit page's entries, newest first, filtered by person, kind and deployment (for a caller allowed to
    /// read the audit trail), with the chain's verdict when asked (it reads every entry).
    func entries(actor: String?, kind: String?, deployment: String?, before: String?, verify: Bool, pageSize: Int, context: WavelineRequestContext) async throws -> Entries {
        try context.authorize(.readAudit)
        var query = EventQuery(newestFirst: true, limit: pageSize)
        var problems: [String] = []
        query.actor = actor.flatMap { $0.isEmpty ? nil : $0 }
        if let kind, !kind.isEmpty {
            if Self.kinds.contains(where: { $0.prefix == kind }) { query.kindPrefix = kind } else { problems.append("Unknown kind '\(kind)': showing every kind.") }
        }
        if let raw = deployment, !raw.isEmpty {
            if let id = Int64(raw.hasPrefix("#") ? String(raw.dropFirst()) : raw), id > 0 { query.deploymentID = id } else { problems.append("'\(raw)' is not a deployment number: showing every deployment.") }
        }
        if let raw = before, !raw.isEmpty {
            if let id = Int64(raw), id > 0 { query.beforeID = id } else { problems.append("'\(raw)' is not an entry number: showing the newest.") }
        }
        let events = try await reader.events(query).map { EventView(auditEntry: $0) }
        return Entries(events: events, report: verify ? try await reader.verifyAuditTrail() : nil,
                       problem: problems.isEmpty ? nil : problems.joined(separator: " "))
    }
}
