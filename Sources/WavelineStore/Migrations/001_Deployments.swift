extension Migration {
    static let m001Deployments = Migration(version: 1, name: "deployments", statements: [
        """
        CREATE TABLE deployments (
            id BIGINT PRIMARY KEY,
            operation TEXT NOT NULL,
            operation_json TEXT NOT NULL,
            strategy TEXT NOT NULL,
            parameters_json TEXT NOT NULL,
            selection_json TEXT NOT NULL,
            environments TEXT NOT NULL,
            products TEXT NOT NULL,
            requested_by TEXT NOT NULL,
            reason TEXT NOT NULL,
            ticket TEXT,
            status TEXT NOT NULL,
            status_reason TEXT,
            current_phase INTEGER NOT NULL,
            failure_budget INTEGER NOT NULL,
            target_count INTEGER NOT NULL,
            created_at DOUBLE PRECISION NOT NULL,
            started_at DOUBLE PRECISION,
            finished_at DOUBLE PRECISION,
            updated_at DOUBLE PRECISION NOT NULL
        )
        """,
        "CREATE INDEX deployments_status ON deployments (status, id)",
        """
        CREATE TABLE phases (
            deployment_id BIGINT NOT NULL REFERENCES deployments (id),
            phase_index INTEGER NOT NULL,
            name TEXT NOT NULL,
            kind TEXT NOT NULL,
            gate_json TEXT NOT NULL,
            parallelism INTEGER NOT NULL,
            failure_budget INTEGER,
            batches_json TEXT NOT NULL,
            status TEXT NOT NULL,
            gate_opens_at DOUBLE PRECISION,
            approved_by TEXT,
            started_at DOUBLE PRECISION,
            finished_at DOUBLE PRECISION,
            PRIMARY KEY (deployment_id, phase_index)
        )
        """,
        """
        CREATE TABLE targets (
            deployment_id BIGINT NOT NULL REFERENCES deployments (id),
            target_index INTEGER NOT NULL,
            node TEXT NOT NULL,
            cluster TEXT NOT NULL,
            zone TEXT NOT NULL,
            environment TEXT NOT NULL,
            product TEXT NOT NULL,
            node_json TEXT NOT NULL,
            kind TEXT NOT NULL,
            phase_index INTEGER NOT NULL,
            batch_index INTEGER NOT NULL,
            status TEXT NOT NULL,
            attempt INTEGER NOT NULL,
            current_step TEXT,
            failure_json TEXT,
            started_at DOUBLE PRECISION,
            finished_at DOUBLE PRECISION,
            PRIMARY KEY (deployment_id, target_index)
        )
        """,
        "CREATE INDEX targets_node ON targets (node, deployment_id)",
        """
        CREATE TABLE step_runs (
            deployment_id BIGINT NOT NULL,
            target_index INTEGER NOT NULL,
            stage TEXT NOT NULL,
            step_index INTEGER NOT NULL,
            attempt INTEGER NOT NULL,
            name TEXT NOT NULL,
            status TEXT NOT NULL,
            exit_code INTEGER,
            reason TEXT,
            started_at DOUBLE PRECISION NOT NULL,
            finished_at DOUBLE PRECISION,
            PRIMARY KEY (deployment_id, target_index, stage, step_index, attempt),
            FOREIGN KEY (deployment_id, target_index) REFERENCES targets (deployment_id, target_index)
        )
        """,
        """
        CREATE TABLE log_lines (
            id BIGINT PRIMARY KEY,
            deployment_id BIGINT NOT NULL,
            target_index INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            time DOUBLE PRECISION NOT NULL,
            stream TEXT NOT NULL,
            step TEXT,
            text TEXT NOT NULL
        )
        """,
        "CREATE INDEX log_lines_target ON log_lines (deployment_id, target_index, id)",
        """
        CREATE TABLE events (
            id BIGINT PRIMARY KEY,
            deployment_id BIGINT,
            time DOUBLE PRECISION NOT NULL,
            actor TEXT NOT NULL,
            kind TEXT NOT NULL,
            message TEXT NOT NULL
        )
        """,
        "CREATE INDEX events_deployment ON events (deployment_id, id)",
    ])
}
