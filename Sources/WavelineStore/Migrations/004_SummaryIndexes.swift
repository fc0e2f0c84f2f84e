extension Migration {
    /// The summary page's reads of many deployments at once: target counts per phase, kind and status
    /// (`GROUP BY` answered from this index alone, without reading the targets' rows and their node JSON), and
    /// the failed targets of the listed deployments (found by `deployment_id, status`).
    static let m004SummaryIndexes = Migration(version: 4, name: "summary_indexes", statements: [
        "CREATE INDEX targets_progress ON targets (deployment_id, status, phase_index, kind)",
    ])
}
