import Foundation
import Synchronization
import WavelineCore
import WavelineStore

/// Replaces every secret value the server has read with `********`. Values are learnt when read (at start for
/// the whole inventory, and whenever a step's secrets are read), and never forgotten while the server runs.
public final class SecretMasker: Sendable {
    /// Longest first, so a value containing another is masked whole.
    private let values = Mutex<[String]>([])

    public init() {}

    public func learn(_ value: String) {
        guard value.count >= SecretReference.minimumLength else { return }
        values.withLock { values in
            guard !values.contains(value) else { return }
            values.append(value)
            values.sort { $0.count > $1.count }
        }
    }

    public func mask(_ text: String) -> String {
        let known = values.withLock { $0 }
        guard !known.isEmpty else { return text }
        var text = text
        for value in known where text.contains(value) {
            text = text.replacingOccurrences(of: value, with: SecretReference.mask)
        }
        return text
    }

    public var isEmpty: Bool { values.withLock { $0.isEmpty } }
}

/// Reads secret values from where the inventory says: the server's environment variables or files. A failure
/// names the secret and its source, never a value.
struct SecretVault: Sendable {
    let masker: SecretMasker

    func value(of reference: SecretReference, named name: String) throws(EngineError) -> String {
        let value: String
        switch reference.source {
        case .env:
            guard let found = ProcessInfo.processInfo.environment[reference.name] else {
                throw EngineError(.invalidRequest, "secret \(name): the server's environment variable \(reference.name) is not set")
            }
            value = found
        case .file:
            guard let data = FileManager.default.contents(atPath: reference.name) else {
                throw EngineError(.invalidRequest, "secret \(name): cannot read the file \(reference.name) on the server")
            }
            var text = String(decoding: data, as: UTF8.self)
            if text.hasSuffix("\n") { text.removeLast() }
            value = text
        }
        guard value.count >= SecretReference.minimumLength else {
            throw EngineError(.invalidRequest, "secret \(name) (\(reference)) is shorter than \(SecretReference.minimumLength) characters: too short to mask in logs")
        }
        masker.learn(value)
        return value
    }

    /// Every secret of a node, by variable name.
    func values(for node: Node) throws(EngineError) -> [String: String] {
        var values: [String: String] = [:]
        for (name, reference) in (node.secrets ?? [:]).sorted(by: { $0.key < $1.key }) {
            values[name] = try value(of: reference, named: name)
        }
        return values
    }

    /// Learns every value the inventory refers to, so they are masked before any step uses them; unreadable
    /// ones are skipped here (the node that needs one fails, saying which).
    func learn(_ workspace: Workspace) {
        for reference in workspace.allSecretReferences {
            _ = try? value(of: reference, named: reference.name)
        }
    }
}

/// The store as the engine and the API see it: what is written is masked first (events, log lines, failure
/// reasons, status reasons), so no secret value reaches the database or, through it, an API response.
final class MaskingStore: DeploymentStore {
    let base: any DeploymentStore
    let masker: SecretMasker

    init(base: any DeploymentStore, masker: SecretMasker) {
        self.base = base
        self.masker = masker
    }

    func write(_ changes: [StoreChange]) async throws {
        guard !masker.isEmpty else { return try await base.write(changes) }
        try await base.write(changes.map(mask))
    }

    private func mask(_ change: StoreChange) -> StoreChange {
        switch change {
        case .saveDeployment(var record):
            record.statusReason = record.statusReason.map(masker.mask)
            record.reason = masker.mask(record.reason)
            record.ticket = record.ticket.map(masker.mask)
            return .saveDeployment(record)
        case .saveTarget(var record):
            if var failure = record.failure {
                failure.reason = masker.mask(failure.reason)
                record.failure = failure
            }
            return .saveTarget(record)
        case .saveStepRun(var record):
            record.reason = record.reason.map(masker.mask)
            return .saveStepRun(record)
        case .appendEvent(var event):
            event.message = masker.mask(event.message)
            event.reason = event.reason.map(masker.mask)
            event.ticket = event.ticket.map(masker.mask)
            return .appendEvent(event)
        case .appendLogs, .savePhase, .saveNodeState, .saveUser, .saveToken, .saveSession, .remove:
            // Log lines are masked by the log pipeline, before live viewers see them too.
            return change
        }
    }

    func nextDeploymentID() async throws -> Int64 { try await base.nextDeploymentID() }
    func maxLogLineID() async throws -> Int64 { try await base.maxLogLineID() }
    func deployment(_ id: Int64) async throws -> DeploymentRecord? { try await base.deployment(id) }
    func deployments(_ query: DeploymentQuery) async throws -> [DeploymentRecord] { try await base.deployments(query) }
    func unfinishedDeployments() async throws -> [DeploymentRecord] { try await base.unfinishedDeployments() }
    func phases(of deploymentID: Int64) async throws -> [PhaseRecord] { try await base.phases(of: deploymentID) }
    func targets(of deploymentID: Int64) async throws -> [TargetRecord] { try await base.targets(of: deploymentID) }
    func stepRuns(of deploymentID: Int64, target: Int?) async throws -> [StepRunRecord] { try await base.stepRuns(of: deploymentID, target: target) }
    func logLines(of deploymentID: Int64, targets: [Int]?, afterID: Int64, limit: Int) async throws -> [LogLineRecord] {
        try await base.logLines(of: deploymentID, targets: targets, afterID: afterID, limit: limit)
    }
    func lastLogLines(of deploymentID: Int64, target: Int, count: Int) async throws -> [LogLineRecord] {
        try await base.lastLogLines(of: deploymentID, target: target, count: count)
    }
    func overviews(of deploymentIDs: [Int64], failureLimit: Int, lastLines: Int, window: Int) async throws -> [Int64: DeploymentOverview] {
        try await base.overviews(of: deploymentIDs, failureLimit: failureLimit, lastLines: lastLines, window: window)
    }
    func events(of deploymentID: Int64?, afterID: Int64, limit: Int) async throws -> [EventRecord] {
        try await base.events(of: deploymentID, afterID: afterID, limit: limit)
    }
    func events(_ query: EventQuery) async throws -> [EventRecord] { try await base.events(query) }
    func nodeStates() async throws -> [NodeStateRecord] { try await base.nodeStates() }
    func nodeState(named node: String) async throws -> NodeStateRecord? { try await base.nodeState(named: node) }
    func nodeHistory(node: String, limit: Int, before: NodeRunCursor?) async throws -> [NodeRunRecord] {
        try await base.nodeHistory(node: node, limit: limit, before: before)
    }
    func auditHead() async throws -> AuditHead? { try await base.auditHead() }
    func close() async throws { try await base.close() }
}
