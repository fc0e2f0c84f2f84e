import Crypto
import Foundation
import WavelineCore
import WavelineServer
import WavelineStore
import WavelineTesting

/// The installation the page snapshots render: a workbench whose store is seeded, through the store's own write
/// path, with fixed records at fixed times (a succeeded, a failed and a pending-approval deployment, their
/// phases, nodes, steps, logs, node states, audit events, the admin and a signed-in session), and a server
/// whose time stands still an hour after them. Every page rendered from it is the same on every run.
enum SnapshotInstallation {
    /// When the seeded story starts; the server's time is `now`.
    static let start: Double = 1_800_000_000
    static let now: Double = start + 3_600

    /// The browser session the pages are rendered for: its cookie value and CSRF token are fixed too.
    static let sessionID = "snapshot-session-0123456789abcdef0123456789abcdef"
    static let csrfToken = "snapshot-csrf-0123456789abcdef"
    static var cookie: String { "waveline_session=\(sessionID)" }

    static let operation = WavelineCore.Operation(
        name: "quick", description: "Marks the node", idempotent: true,
        parameters: [Parameter(name: "mode", kind: .oneOf(["fast", "full"]), required: false, defaultValue: "fast")],
        steps: [Step(name: "mark", command: .shell("echo \"$WAVELINE_PARAM_MODE\" >> journal"))]
    )

    static func workbench() throws -> Workbench {
        try Workbench(inventory: localInventory(nodes: 4, environment: "prod"), operations: ["quick": Operations.quick])
    }

    /// Writes the records into the workbench's data folder, where the server opens its store.
    static func seed(_ bench: Workbench) async throws {
        try await SQLiteStoreFactory(directory: bench.data).seed(changes)
    }

    static var changes: [StoreChange] {
        var changes: [StoreChange] = []
        changes.append(.saveUser(UserRecord(name: "admin", passwordHash: nil, grants: [Grant(role: .admin)], createdAt: start - 86_400, createdBy: "waveline")))
        changes.append(.appendEvent(EventRecord(deploymentId: nil, time: start - 86_400, actor: "waveline", kind: "user.created", message: "created user admin (admin)")))
        changes.append(.saveSession(SessionRecord(
            idHash: SHA256.hash(data: Data(sessionID.utf8)).map { String(format: "%02x", $0) }.joined(),
            userName: "admin", csrfToken: csrfToken, createdAt: start - 60,
            // Sessions are checked against the machine's clock, not the server's fixed time: far enough ahead.
            expiresAt: 4_000_000_000, origin: "127.0.0.1"
        )))
        changes += succeeded(id: 1, at: start)
        changes += failed(id: 2, at: start + 600)
        changes += pendingApproval(id: 3, at: start + 1_200)
        return changes
    }

    static func node(_ index: Int) -> Node {
        Node(name: "n\(index)", cluster: "app-test", zone: index % 2 == 1 ? "a" : "b",
             connection: .local(LocalConnection(directory: "")))
    }

    static func deployment(_ id: Int64, nodes: [Int], status: DeploymentStatus, at time: Double, by person: String = "admin") -> DeploymentRecord {
        DeploymentRecord(
            id: id, operation: operation, strategy: "all-at-once", parameters: ["mode": "full"],
            selection: Selection(nodes: nodes.map { "n\($0)" }), environments: ["prod"], products: ["app"],
            requestedBy: person, reason: "snapshot #\(id)", ticket: "OPS-\(id)", status: status, failureBudget: 0,
            targetCount: nodes.count, createdAt: time
        )
    }

    static func phase(_ id: Int64, nodes: Int, status: PhaseStatus, at time: Double?, finished: Double?) -> PhaseRecord {
        var record = PhaseRecord(deploymentId: id, index: 0, state: PhaseState(
            name: "all", gate: .automatic, parallelism: 50, failureBudget: 0, batches: [Array(0..<nodes)], status: status
        ))
        record.startedAt = time
        record.finishedAt = finished
        return record
    }

    static func target(_ id: Int64, _ index: Int, node number: Int, status: TargetStatus, from: Double?, to: Double?) -> TargetRecord {
        var record = TargetRecord(deploymentId: id, index: index, target: PlannedTarget(node: node(number), environment: "prod", product: "app", phase: 0, batch: 0))
        record.status = status
        record.attempt = from == nil ? 0 : 1
        record.startedAt = from
        record.finishedAt = to
        return record
    }

    static func stepRun(_ id: Int64, _ index: Int, status: StepRunStatus, exitCode: Int32, from: Double, to: Double, reason: String? = nil) -> StepRunRecord {
        var record = StepRunRecord(deploymentId: id, targetIndex: index, stage: .step, stepIndex: 0, attempt: 1, name: "mark", startedAt: from)
        record.status = status
        record.exitCode = exitCode
        record.reason = reason
        record.finishedAt = to
        return record
    }

    static func event(_ id: Int64?, _ time: Double, _ kind: String, _ message: String, by actor: String = "admin") -> StoreChange {
        // The engine's own entries come from no address; a person's from the browser's.
        .appendEvent(EventRecord(deploymentId: id, time: time, actor: actor, kind: kind, message: message,
                                 origin: actor == "waveline" ? AuditChain.engineOrigin : "127.0.0.1"))
    }

    static func nodeState(_ number: Int, deployment: Int64, outcome: TargetStatus, at time: Double) -> StoreChange {
        .saveNodeState(NodeStateRecord(
            node: "n\(number)", cluster: "app-test", environment: "prod", product: "app", deploymentId: deployment,
            operation: "quick", outcome: outcome, finishedAt: time, version: nil,
            configDigest: String(repeating: "\(number)", count: 64)
        ))
    }

    /// #1: n1 and n2 marked, both succeeded.
    static func succeeded(id: Int64, at time: Double) -> [StoreChange] {
        var record = deployment(id, nodes: [1, 2], status: .succeeded, at: time)
        record.startedAt = time + 1
        record.finishedAt = time + 13.5
        record.updatedAt = time + 13.5
        var changes: [StoreChange] = [.saveDeployment(record), .savePhase(phase(id, nodes: 2, status: .completed, at: time + 1, finished: time + 13.5))]
        for (index, number) in [1, 2].enumerated() {
            changes.append(.saveTarget(target(id, index, node: number, status: .succeeded, from: time + 1, to: time + 12 + Double(index))))
            changes.append(.saveStepRun(stepRun(id, index, status: .succeeded, exitCode: 0, from: time + 1.5, to: time + 11.25 + Double(index))))
            changes.append(nodeState(number, deployment: id, outcome: .succeeded, at: time + 12 + Double(index)))
        }
        changes.append(.appendLogs([
            LogLineRecord(id: 1, deploymentId: id, targetIndex: 0, seq: 1, time: time + 2, stream: .stdout, step: "mark", text: "marked n1"),
            LogLineRecord(id: 2, deploymentId: id, targetIndex: 1, seq: 1, time: time + 2.5, stream: .stdout, step: "mark", text: "marked n2"),
        ]))
        changes.append(event(id, time, "deployment.created", "quick on 2 nodes with all-at-once"))
        changes.append(event(id, time + 1, "deployment.started", "started", by: "waveline"))
        changes.append(event(id, time + 13.5, "deployment.succeeded", "every node succeeded", by: "waveline"))
        return changes
    }

    /// #2: n3 failed in its step (exit 3, with stderr lines), n4 succeeded; the budget of 0 is spent.
    static func failed(id: Int64, at time: Double) -> [StoreChange] {
        var record = deployment(id, nodes: [3, 4], status: .failed, at: time, by: "dora")
        record.statusReason = "failure budget spent: 1 node failed"
        record.startedAt = time + 1
        record.finishedAt = time + 95
        record.updatedAt = time + 95
        var failedTarget = target(id, 0, node: 3, status: .failed, from: time + 1, to: time + 94)
        failedTarget.failure = FailurePoint(stage: .step, step: "mark", exitCode: 3, reason: "exited 3")
        var changes: [StoreChange] = [
            .saveDeployment(record), .savePhase(phase(id, nodes: 2, status: .completed, at: time + 1, finished: time + 95)),
            .saveTarget(failedTarget),
            .saveTarget(target(id, 1, node: 4, status: .succeeded, from: time + 1, to: time + 20)),
            .saveStepRun(stepRun(id, 0, status: .failed, exitCode: 3, from: time + 2, to: time + 93.75, reason: "exited 3")),
            .saveStepRun(stepRun(id, 1, status: .succeeded, exitCode: 0, from: time + 2, to: time + 19)),
            nodeState(3, deployment: id, outcome: .failed, at: time + 94),
            nodeState(4, deployment: id, outcome: .succeeded, at: time + 20),
        ]
        changes.append(.appendLogs([
            LogLineRecord(id: 3, deploymentId: id, targetIndex: 0, seq: 1, time: time + 3, stream: .stdout, step: "mark", text: "checking <disk> & \"quota\""),
            LogLineRecord(id: 4, deploymentId: id, targetIndex: 1, seq: 1, time: time + 3.5, stream: .stdout, step: "mark", text: "marked n4"),
            LogLineRecord(id: 5, deploymentId: id, targetIndex: 0, seq: 2, time: time + 90, stream: .stderr, step: "mark", text: "disk full: /var/lib/app"),
            LogLineRecord(id: 6, deploymentId: id, targetIndex: 0, seq: 3, time: time + 93.75, stream: .system, step: "mark", text: "■ step 'mark' failed: exited 3"),
        ]))
        changes.append(event(id, time, "deployment.created", "quick on 2 nodes with all-at-once", by: "dora"))
        changes.append(event(id, time + 1, "deployment.started", "started", by: "waveline"))
        changes.append(event(id, time + 95, "deployment.failed", "failure budget spent: 1 node failed", by: "waveline"))
        return changes
    }

    /// #3: asked for on n1 in the protected environment by dora, waiting for a second person's approval.
    static func pendingApproval(id: Int64, at time: Double) -> [StoreChange] {
        var record = deployment(id, nodes: [1], status: .pendingApproval, at: time, by: "dora")
        record.protectedEnvironments = "prod"
        record.statusReason = "waiting for approval by someone other than dora: prod is protected"
        return [
            .saveDeployment(record), .savePhase(phase(id, nodes: 1, status: .pending, at: nil, finished: nil)),
            .saveTarget(target(id, 0, node: 1, status: .pending, from: nil, to: nil)),
            event(id, time, "deployment.created", "quick on 1 node with all-at-once; needs approval", by: "dora"),
        ]
    }
}
