extension Migration {
    /// What Waveline last put on each node: written with the node's final target record, so it is never ahead
    /// of (or behind) the run it describes. History needs no table of its own: it is the node's rows of
    /// `targets`, which `targets_node` (migration 1) already indexes by node and deployment.
    static let m002NodeStates = Migration(version: 2, name: "node_states", statements: [
        """
        CREATE TABLE node_states (
            node TEXT PRIMARY KEY,
            cluster TEXT NOT NULL,
            environment TEXT NOT NULL,
            product TEXT NOT NULL,
            deployment_id BIGINT NOT NULL,
            operation TEXT NOT NULL,
            outcome TEXT NOT NULL,
            finished_at DOUBLE PRECISION NOT NULL,
            version TEXT,
            config_digest TEXT NOT NULL
        )
        """,
        "CREATE INDEX node_states_cluster ON node_states (cluster, node)",
    ])
}
