import Foundation
import Testing
import WavelineAPI
import WavelineCore
import WavelineServer
import WavelineStore
import WavelineTesting

/// A node is in at most one unfinished deployment: a second one is refused with the node's name, or queued.
@Suite(.serialized) struct BusyNodeTests {
    /// Each run records its deployment id at start and end in the node's journal; it ends once the test puts
    /// `go` in the node's folder (a sleep was too short on a loaded machine).
    static let marked = """
        name: marked
        steps:
          - {name: work, shell: 'echo "$WAVELINE_DEPLOYMENT start" >> journal; while [ ! -f go ]; do sleep 0.05; done; echo "$WAVELINE_DEPLOYMENT end" >> journal'}
        """

    static let hang = """
        name: hang
        steps:
          - {name: wait, shell: 'echo "$WAVELINE_DEPLOYMENT start" >> journal; sleep 60'}
        """

    @Test func aSecondDeploymentOnABusyNodeIsRefusedOrQueuedThenStartsByItself() async throws {
        let bench = try Workbench(inventory: oneZoneInventory(nodes: 3), operations: ["marked": Self.marked])
        defer { bench.remove() }
        try await bench.withServer { server in
            let first = try await server.deploy("marked", selection: Selection(nodes: ["n1", "n2"])).deployment.id
            try await server.waitFor(first, "running") { $0.targets.contains { $0.status == .running } }

            // Refused, naming the busy node and the deployment holding it; nothing is created.
            let body = try JSONEncoder().encode(CreateDeploymentBody(
                operation: "marked", selection: Selection(nodes: ["n2", "n3"]), parameters: [:], strategy: "all-at-once",
                reason: "second", ticket: nil, queue: false
            ))
            let refused = try await server.failure("POST", "/api/v1/deployments", body: body)
            #expect(refused.status == 409)
            #expect(refused.message.contains("n2"), "\(refused.message)")
            #expect(refused.message.contains("#\(first)"), "\(refused.message)")
            #expect(!refused.message.contains("n3"), "n3 is free: \(refused.message)")
            let list: DeploymentList = try await server.get("/api/v1/deployments")
            #expect(list.deployments.map(\.id) == [first])

            // The CLI says the same in one line.
            let cli = try await server.cli(["deploy", "marked", "--node", "n2", "--strategy", "all-at-once", "--reason", "r"])
            #expect(cli.exitCode == 1, "\(cli)")
            #expect(cli.stderr.contains("n2") && cli.stderr.contains("#\(first)"), "\(cli)")

            // Queued: it waits, then starts by itself once the first one is done.
            let queued = try await server.deploy("marked", selection: Selection(nodes: ["n2", "n3"]), queue: true)
            let second = queued.deployment.id
            #expect(queued.deployment.status == .queued)
            #expect(queued.deployment.statusReason?.contains("#\(first)") == true, "\(queued.deployment.statusReason ?? "")")
            #expect(queued.targets.allSatisfy { $0.status == .pending })
            let nodes: NodeList = try await server.get("/api/v1/nodes")
            #expect(nodes.nodes.first { $0.name == "n2" }?.busyWith == first)

            try bench.release(on: ["n1", "n2", "n3"])
            let firstFinal = try await server.waitUntilFinal(first)
            #expect(firstFinal.deployment.status == .succeeded)
            let secondFinal = try await server.waitUntilFinal(second)
            #expect(secondFinal.deployment.status == .succeeded, "\(secondFinal.deployment.statusReason ?? "")")
            #expect(secondFinal.deployment.startedAt ?? 0 >= firstFinal.deployment.finishedAt ?? .infinity)
            // On the shared node the runs did not overlap.
            #expect(bench.journal("n2") == ["\(first) start", "\(first) end", "\(second) start", "\(second) end"], "\(bench.journal("n2"))")
            #expect(bench.journal("n3") == ["\(second) start", "\(second) end"])
            let events: EventList = try await server.get("/api/v1/deployments/\(second)/events")
            #expect(events.events.contains { $0.kind == "deployment.dequeued" })
        }
    }

    @Test func abortingAQueuedDeploymentCancelsItAndItNeverRuns() async throws {
        let bench = try Workbench(inventory: oneZoneInventory(nodes: 2), operations: ["hang": Self.hang])
        defer { bench.remove() }
        try await bench.withServer { server in
            let first = try await server.deploy("hang", selection: Selection(nodes: ["n1"])).deployment.id
            try await server.waitFor(first, "running") { $0.target("n1")?.status == .running }
            let second = try await server.deploy("hang", selection: Selection(nodes: ["n1", "n2"]), queue: true).deployment.id
            #expect(try await server.detail(second).deployment.status == .queued)

            // Only an abort applies to a queued deployment.
            let pause = try await server.refusedAction("pause", second)
            #expect(pause.status == 409)
            #expect(pause.message.contains("queued"), "\(pause.message)")

            let aborted = try await server.act("abort", second)
            #expect(aborted.deployment.status == .cancelled)
            #expect(aborted.deployment.statusReason?.contains("queued") == true)

            // Releasing the node does not bring it back.
            _ = try await server.act("abort", first)
            #expect(try await server.waitUntilFinal(first, timeout: .seconds(10)).deployment.status == .cancelled)
            try await Task.sleep(for: .milliseconds(800))
            let final = try await server.detail(second)
            #expect(final.deployment.status == .cancelled)
            #expect(final.deployment.startedAt == nil)
            #expect(final.targets.allSatisfy { $0.attempt == 0 })
            #expect(bench.journal("n1") == ["\(first) start"])
            #expect(bench.journal("n2").isEmpty)

            // The nodes are free again.
            let third = try await server.deploy("hang", selection: Selection(nodes: ["n2"])).deployment
            #expect(third.status == .running)
            _ = try await server.act("abort", third.id)
            _ = try await server.waitUntilFinal(third.id, timeout: .seconds(10))
        }
    }

    @Test
    func abortingAQueuedDeploymentCancelsItsNodes() async throws {
        let bench = try Workbench(inventory: oneZoneInventory(nodes: 2), operations: ["hang": Self.hang])
        defer { bench.remove() }
        try await bench.withServer { server in
            let first = try await server.deploy("hang", selection: Selection(nodes: ["n1"])).deployment.id
            let second = try await server.deploy("hang", selection: Selection(nodes: ["n1", "n2"]), queue: true).deployment.id
            let aborted = try await server.act("abort", second)
            #expect(aborted.deployment.status == .cancelled)
            #expect(aborted.targets.allSatisfy { $0.status == .cancelled }, "\(aborted.targets.map { "\($0.node): \($0.status.rawValue)" })")
            #expect(aborted.counts.pending == 0)
            _ = try await server.act("abort", first)
            _ = try await server.waitUntilFinal(first, timeout: .seconds(10))
        }
    }
}
