extension Migration {
    /// `finished_with_failures`: a deployment whose nodes were all tried and some failed within the failure
    /// budget was stored as `failed` before this status existed. Such a row is told by the reason the scheduler
    /// gave it ("… failed within the failure budget: …"); a failed rollback or a deployment that could not run
    /// stays `failed`.
    static let m011FinishedWithFailures = Migration(version: 11, name: "finished with failures", statements: [
        "UPDATE deployments SET status = 'finished_with_failures' WHERE status = 'failed' AND status_reason LIKE '%failed within the failure budget%'",
    ])
}
