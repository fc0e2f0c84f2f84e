extension Migration {
    /// The notifications outbox: one row per notice an event gives rise to (`NotificationRules`), inserted in the
    /// transaction that inserts the event; the delivery of each row to each destination, with its state; and each
    /// deployment's Slack thread (its parent message, posted once, then updated).
    static let m009Notifications = Migration(version: 9, name: "notifications outbox", statements: [
        """
        CREATE TABLE outbox (
            event_id BIGINT NOT NULL,
            seq INTEGER NOT NULL,
            deployment_id BIGINT NOT NULL,
            kind TEXT NOT NULL,
            subject INTEGER,
            action TEXT,
            actor TEXT NOT NULL,
            reason TEXT,
            created_at DOUBLE PRECISION NOT NULL,
            settled INTEGER NOT NULL,
            PRIMARY KEY (event_id, seq)
        )
        """,
        "CREATE INDEX outbox_deployment ON outbox (deployment_id, event_id, seq)",
        // The dispatcher's work list: rows not yet settled at every destination.
        "CREATE INDEX outbox_open ON outbox (settled, event_id, seq)",
        """
        CREATE TABLE deliveries (
            event_id BIGINT NOT NULL,
            seq INTEGER NOT NULL,
            destination TEXT NOT NULL,
            deployment_id BIGINT NOT NULL,
            state TEXT NOT NULL,
            attempts INTEGER NOT NULL,
            last_error TEXT,
            next_attempt_at DOUBLE PRECISION,
            external_ref TEXT,
            updated_at DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (event_id, seq, destination)
        )
        """,
        "CREATE INDEX deliveries_deployment ON deliveries (deployment_id, event_id, seq)",
        """
        CREATE TABLE notification_threads (
            deployment_id BIGINT PRIMARY KEY,
            channel TEXT NOT NULL,
            parent_ts TEXT,
            state TEXT NOT NULL,
            attempts INTEGER NOT NULL,
            last_error TEXT,
            next_attempt_at DOUBLE PRECISION,
            last_rendered_at DOUBLE PRECISION,
            rendered_digest TEXT,
            closed INTEGER NOT NULL,
            created_at DOUBLE PRECISION NOT NULL,
            updated_at DOUBLE PRECISION NOT NULL
        )
        """,
        "CREATE INDEX notification_threads_open ON notification_threads (closed, deployment_id)",
    ])
}
