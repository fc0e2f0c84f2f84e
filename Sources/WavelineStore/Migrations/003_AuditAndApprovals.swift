extension Migration {
    /// The audit trail becomes tamper-evident and says from where and why; deployments record their approval.
    ///
    /// - `events.origin`: where the action came from (the client's address, or `engine` for the server's own
    ///   transitions); `events.reason` and `events.ticket`: why, when a person gave it.
    /// - `events.prev_hash`, `events.hash`: the hash chain (see `AuditChain`), written with the row by the
    ///   store's writer. Rows written before this migration are chained when the store first opens.
    /// - `audit_head`: the last event's id and hash, updated in the same transaction as every insert, so the
    ///   removal of the newest entries shows too.
    /// - `deployments.approved_by`, `approved_at`: the second person of a protected deployment, and when;
    ///   `protected_environments`: the protected environments it touches (comma-joined, empty when none).
    static let m003AuditAndApprovals = Migration(version: 3, name: "audit_and_approvals", statements: [
        "ALTER TABLE events ADD COLUMN origin TEXT",
        "ALTER TABLE events ADD COLUMN reason TEXT",
        "ALTER TABLE events ADD COLUMN ticket TEXT",
        "ALTER TABLE events ADD COLUMN prev_hash TEXT",
        "ALTER TABLE events ADD COLUMN hash TEXT",
        """
        CREATE TABLE audit_head (
            singleton INTEGER PRIMARY KEY,
            last_id BIGINT NOT NULL,
            last_hash TEXT NOT NULL
        )
        """,
        "ALTER TABLE deployments ADD COLUMN approved_by TEXT",
        "ALTER TABLE deployments ADD COLUMN approved_at DOUBLE PRECISION",
        "ALTER TABLE deployments ADD COLUMN protected_environments TEXT",
    ])
}
