import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
import WavelineAPI
import WavelineCore
import WavelineServer
import WavelineTesting

/// The deployment routes in-process: create, list, show, act, events and logs, answered by the real router over
/// the real engine and store, with steps run as local processes.
@Suite struct DeploymentRoutesTests {
    @Test func aDeploymentIsCreatedRunsAndIsListedShownAndLogged() async throws {
        let bench = try Workbench(inventory: oneZoneInventory(nodes: 2), operations: ["quick": Operations.quick])
        defer { bench.remove() }
        try await bench.withInProcessServer { server in
            let response = try await server.request(.post, "/api/v1/deployments", body: try JSONEncoder().encode(CreateDeploymentBody(
                operation: "quick", selection: Selection(nodes: ["n1", "n2"]), parameters: ["mode": "full"],
                strategy: "all-at-once", reason: "in-process test", ticket: "TEST-2", queue: false
            )))
            #expect(response.status == .created)
            let created = try JSONDecoder().decode(DeploymentDetail.self, from: response.data)
            let id = created.deployment.id
            #expect(created.deployment.requestedBy == "admin")
            #expect(created.deployment.parameters["mode"] == "full")

            let done = try await server.waitUntilFinal(id)
            #expect(done.deployment.status == .succeeded)
            #expect(done.targets.map(\.node).sorted() == ["n1", "n2"])
            #expect(done.counts.succeeded == 2)
            #expect(bench.journal("n1") == ["full"])

            let list: DeploymentList = try await server.get("/api/v1/deployments?status=succeeded")
            #expect(list.deployments.map(\.id) == [id])
            let none: DeploymentList = try await server.get("/api/v1/deployments?status=running")
            #expect(none.deployments.isEmpty)

            let logs: LogPage = try await server.get("/api/v1/deployments/\(id)/logs?node=n2")
            #expect(logs.lines.contains { $0.node == "n2" && $0.text == "marked n2" })
            #expect(!logs.lines.contains { $0.node == "n1" })
            #expect(logs.deploymentStatus == .succeeded)

            let events: EventList = try await server.get("/api/v1/deployments/\(id)/events")
            #expect(events.events.first?.kind == "deployment.created")
            #expect(events.events.allSatisfy { $0.deploymentId == id })
        }
    }

    @Test func anAbortEndsARunningDeploymentAndAFinishedOneRefusesIt() async throws {
        let bench = try Workbench(inventory: oneZoneInventory(nodes: 1), operations: ["gated": Operations.gated])
        defer { bench.remove() }
        try await bench.withInProcessServer { server in
            let id = try await server.deploy("gated", nodes: ["n1"]).deployment.id
            try await server.waitFor(id, "n1 to run") { $0.target("n1")?.status == .running }

            let aborted: DeploymentDetail = try await server.post("/api/v1/deployments/\(id)/actions/abort", ActionBody(reason: "stop it"))
            #expect(aborted.deployment.id == id)
            let final = try await server.waitUntilFinal(id)
            #expect(final.deployment.status == .cancelled)
            #expect(bench.journal("n1") == ["work start"])

            let refused = try await server.failure(.post, "/api/v1/deployments/\(id)/actions/pause", body: try JSONEncoder().encode(ActionBody(reason: "late")))
            #expect(refused.status == 409)
            #expect(refused.message.contains("cancelled"))
        }
    }

    @Test func aPausedDeploymentWaitsUntilResumed() async throws {
        let bench = try Workbench(inventory: oneZoneInventory(nodes: 2), operations: ["gated": Operations.gated])
        defer { bench.remove() }
        try await bench.withInProcessServer { server in
            let id = try await server.deploy("gated", nodes: ["n1", "n2"], strategy: "one-by-one").deployment.id
            try await server.waitFor(id, "n1 to run") { $0.target("n1")?.status == .running }
            _ = try await server.post("/api/v1/deployments/\(id)/actions/pause", ActionBody(reason: "look first"), as: DeploymentDetail.self)
            try bench.release(on: ["n1", "n2"])
            let paused = try await server.waitFor(id, "the pause to take hold") { $0.deployment.status == .paused && $0.target("n1")?.status == .succeeded }
            #expect(paused.target("n2")?.status == .pending)

            _ = try await server.post("/api/v1/deployments/\(id)/actions/resume", ActionBody(reason: "looks fine"), as: DeploymentDetail.self)
            #expect(try await server.waitUntilFinal(id).deployment.status == .succeeded)
            #expect(bench.journal("n2") == ["work start", "work end"])
        }
    }
}
