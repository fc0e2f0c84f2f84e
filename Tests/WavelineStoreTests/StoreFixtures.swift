import WavelineCore
import WavelineStore

/// Records for the store tests, with every optional field filled unless a test clears it.
enum Fixture {
    static let operation = WavelineCore.Operation(
        name: "kafka-restart", description: "Rolling restart", idempotent: true,
        parameters: [Parameter(name: "version", kind: .oneOf(["3.7", "3.8"]), required: true)],
        preChecks: [Check(name: "healthy", command: .shell("kafka-health \"$NODE\""), retries: 3)],
        steps: [Step(name: "restart", command: .argv(["systemctl", "restart", "kafka"]), timeout: .seconds(90))]
    )

    static func deployment(
        _ id: Int64, status: DeploymentStatus = .running, environments: [String] = ["prod"],
        products: [String] = ["kafka"], requestedBy: String = "alice", createdAt: Double = 1_700_000_000.125
    ) -> DeploymentRecord {
        DeploymentRecord(
            id: id, operation: operation, strategy: "lightning-thunder",
            parameters: ["version": "3.8", "note": "it's \"quoted\" — ✓"],
            selection: Selection(environments: environments, products: products, labels: ["role": "broker"]),
            environments: environments, products: products, requestedBy: requestedBy,
            reason: "CVE-2024-0001: patch brokers", ticket: "OPS-\(id)", status: status, failureBudget: 1,
            targetCount: 9, createdAt: createdAt
        )
    }

    /// A deployment with every optional column set.
    static func fullDeployment(_ id: Int64) -> DeploymentRecord {
        var record = deployment(id)
        record.statusReason = "failure budget spent: 2 nodes failed"
        record.currentPhase = 1
        record.startedAt = 1_700_000_001.5
        record.finishedAt = 1_700_000_099.75
        record.updatedAt = 1_700_000_099.875
        // The ticket as Jira answered (moved from OLD-3), migration 010's columns.
        record.checkedTicket = CheckedTicket(
            facts: TicketFacts(key: "CHG-7", issueID: "10007", project: "CHG", status: "Approved", url: "https://jira.example/browse/CHG-7"),
            requestedKey: "OLD-3", checkedAt: 1_700_000_000.25)
        return record
    }

    static func phase(_ deploymentID: Int64, _ index: Int) -> PhaseRecord {
        var record = PhaseRecord(deploymentId: deploymentID, index: index, state: PhaseState(
            name: "lightning", gate: .bake(.seconds(300)), parallelism: 4, failureBudget: 0,
            batches: [[0, 1], [2]], status: .gate, gateOpensAt: 1_700_000_300.25, approvedBy: "bob"
        ))
        record.startedAt = 1_700_000_010
        record.finishedAt = 1_700_000_020.5
        return record
    }

    static func target(_ deploymentID: Int64, _ index: Int) -> TargetRecord {
        let node = Node(
            name: "kafka-prod-\(index)", cluster: "kafka-prod", zone: "az\(index % 2 + 1)",
            labels: ["role": "broker"], variables: ["BROKER_ID": "\(index)"],
            connection: .local(LocalConnection(directory: "/srv/kafka-\(index)"))
        )
        var record = TargetRecord(
            deploymentId: deploymentID, index: index,
            target: PlannedTarget(node: node, environment: "prod", product: "kafka", phase: 1, batch: index / 2)
        )
        record.status = .failed
        record.attempt = 2
        record.currentStep = "restart"
        record.failure = FailurePoint(stage: .postCheck, step: "healthy", exitCode: 3, reason: "exited 3 after 4 tries")
        record.startedAt = 1_700_000_030.5
        record.finishedAt = 1_700_000_040.5
        return record
    }

    static func stepRun(_ deploymentID: Int64, _ target: Int, attempt: Int = 1, startedAt: Double = 1_700_000_031) -> StepRunRecord {
        var record = StepRunRecord(
            deploymentId: deploymentID, targetIndex: target, stage: .postCheck, stepIndex: 0, attempt: attempt,
            name: "healthy", startedAt: startedAt
        )
        record.status = .timedOut
        record.exitCode = -9
        record.reason = "timed out after 30s"
        record.finishedAt = startedAt + 30.25
        return record
    }

    static func event(_ deploymentID: Int64?, _ message: String, time: Double = 1_700_000_000) -> EventRecord {
        EventRecord(deploymentId: deploymentID, time: time, actor: "alice", kind: "deployment.started", message: message)
    }

    static func logLine(_ id: Int64, deployment: Int64, target: Int, seq: Int) -> LogLineRecord {
        LogLineRecord(
            id: id, deploymentId: deployment, targetIndex: target, seq: seq, time: 1_700_000_000 + Double(id) / 8,
            stream: id % 5 == 0 ? .stderr : .stdout, step: id % 7 == 0 ? nil : "restart",
            text: "line \(id) of target \(target): ünïcödé, 'quotes', \"double\", tab\there"
        )
    }
}
