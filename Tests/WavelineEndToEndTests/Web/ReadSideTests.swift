import Foundation
import Synchronization
import Testing
import WavelineAPI
import WavelineCore
import WavelineStore
@testable import WavelineServer

/// The server's read side on a real SQLite store: one counting for a deployment's detail and its summary card,
/// and the deployment page's latest events read as such.
@Suite(.timeLimit(.minutes(1)))
struct ReadSideTests {
    /// A store on a fresh SQLite file, removed after `body`.
    static func withStore(_ body: (SQLDeploymentStore) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("waveline-reads-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try await SQLDeploymentStore.sqlite(path: directory + "/waveline.sqlite")
        do {
            try await body(store)
        } catch {
            try await store.close()
            throw error
        }
        try await store.close()
    }

    /// A deployment of two deploy phases rolled back in a third (rollback) phase, its nodes in every status,
    /// some failed with logs: what a page and a card both count.
    static func rolledBackDeployment(_ id: Int64, seed: Int) -> [StoreChange] {
        var deployment = DeploymentRecord(
            id: id, operation: Operation(name: "op", steps: [Step(name: "s", command: .argv(["/bin/true"]))]), strategy: "s",
            parameters: [:], selection: Selection(clusters: ["c"]), environments: ["test"], products: ["app"], requestedBy: "alice",
            reason: "r", ticket: nil, status: .rolledBack, failureBudget: 1, targetCount: 0, createdAt: 1
        )
        var changes: [StoreChange] = []
        let statuses = TargetStatus.allCases
        var index = 0
        var lineID = Int64(id) * 1000
        for phase in 0..<3 {
            let kind: TargetKind = phase == 2 ? .rollback : .deploy
            var members: [Int] = []
            for node in 0..<(5 + (seed + phase) % 4) {
                var target = TargetRecord(
                    deploymentId: id, index: index,
                    target: PlannedTarget(node: Node(name: "n\(node)", cluster: "c", zone: "a"), environment: "test", product: "app", phase: phase, batch: 0),
                    kind: kind
                )
                target.status = statuses[(node * 3 + seed + phase) % statuses.count]
                if target.status == .failed || target.status == .interrupted {
                    target.failure = FailurePoint(stage: .step, step: "s", exitCode: 2, reason: "exited 2")
                    for line in 0..<10 {
                        lineID += 1
                        changes.append(.appendLogs([LogLineRecord(
                            id: lineID, deploymentId: id, targetIndex: index, seq: line + 1, time: 1,
                            stream: line % 3 == 0 ? .system : .stdout, step: "s", text: "line \(line)"
                        )]))
                    }
                }
                changes.append(.saveTarget(target))
                members.append(index)
                index += 1
            }
            changes.append(.savePhase(PhaseRecord(deploymentId: id, index: phase, state: PhaseState(
                name: "p\(phase)", kind: kind, gate: phase == 0 ? .manual : .automatic, parallelism: 2, failureBudget: nil,
                batches: [members], status: .completed
            ))))
        }
        deployment.targetCount = index
        return [.saveDeployment(deployment)] + changes
    }

    @Test(arguments: 0..<6)
    func aCardCountsADeploymentAsItsDetailDoes(seed: Int) async throws {
        try await Self.withStore { store in
            try await store.write(Self.rolledBackDeployment(1, seed: seed))
            let reads = ReadSide(reader: store)
            let detail = try await reads.deploymentDetail.detail(1)
            let overview = try #require(try await store.overviews(
                of: [1], failureLimit: SummaryCardsRead.failureLimit, lastLines: 1, window: DeploymentDetailRead.failureLines
            )[1])
            let card = SummaryCardsRead.card(try #require(try await store.deployment(1)), overview)
            #expect(card.counts == detail.counts)
            #expect(card.phases.map(\.counts) == detail.phases.map(\.counts))
            #expect(card.phases.map(\.gate) == detail.phases.map(\.gate))
            #expect(card.failures.map(\.node) == detail.failures.map(\.node))
            // The card shows each failed node's last line that is not a system line: the detail's last such line.
            #expect(card.failures.map { $0.lastLines.map(\.id) } == detail.failures.map { Array($0.lastLines.filter { $0.stream != "system" }.suffix(1).map(\.id)) })
            // Counted over the rollback phase's nodes, the last phase's kind.
            let rollbackTargets = detail.targets.filter { $0.kind == .rollback }
            #expect(detail.counts.failed == rollbackTargets.filter { $0.status == .failed }.count)
        }
    }

    /// Reads of events, recorded with their query.
    final class EventQueryRecorder: DeploymentStoreDecorator {
        let base: any DeploymentStore
        let queries = Mutex<[EventQuery]>([])
        init(_ base: any DeploymentStore) { self.base = base }
        func write(_ changes: [StoreChange]) async throws { try await base.write(changes) }
        func events(_ query: EventQuery) async throws -> [EventRecord] {
            queries.withLock { $0.append(query) }
            return try await base.events(query)
        }
        func events(of deploymentID: Int64?, afterID: Int64, limit: Int) async throws -> [EventRecord] {
            queries.withLock { $0.append(EventQuery(deploymentID: deploymentID, afterID: afterID, limit: limit)) }
            return try await base.events(of: deploymentID, afterID: afterID, limit: limit)
        }
    }

    @Test func theDeploymentPageReadsOnlyTheLatestEvents() async throws {
        try await Self.withStore { store in
            try await store.write(Self.rolledBackDeployment(1, seed: 0))
            for index in 1...45 {
                try await store.write([.appendEvent(EventRecord(deploymentId: index % 5 == 0 ? nil : 1, time: Double(index), actor: "a", kind: "k", message: "event \(index)"))])
            }
            let recorder = EventQueryRecorder(store)
            let latest = try await ReadSide(reader: recorder).events.latest(of: 1, count: DeploymentPage.eventCount)
            let all = try await store.events(EventQuery(deploymentID: 1, limit: 1000))
            #expect(latest.map(\.id) == all.suffix(15).reversed().map(\.id))
            #expect(recorder.queries.withLock { $0 } == [EventQuery(deploymentID: 1, newestFirst: true, limit: 15)])
        }
    }
}
