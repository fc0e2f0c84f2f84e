import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
import WavelineAPI
import WavelineCore
import WavelineServer
import WavelineStore
import WavelineTesting

/// The inventory, catalog, events and audit routes in-process.
@Suite struct InventoryAndAuditRoutesTests {
    @Test func theInventoryShowsClustersNodesAndWhatWasLastPutOnANode() async throws {
        let bench = try Workbench(inventory: localInventory(nodes: 3), operations: ["quick": Operations.quick])
        defer { bench.remove() }
        try await bench.withInProcessServer { server in
            let clusters: ClusterList = try await server.get("/api/v1/clusters")
            #expect(clusters.clusters.map(\.name) == ["app-test"])
            #expect(clusters.clusters.first?.nodes.map(\.name) == ["n1", "n2", "n3"])

            let inCluster: NodeList = try await server.get("/api/v1/nodes?cluster=app-test")
            #expect(inCluster.nodes.map(\.zone) == ["a", "b", "a"])

            let id = try await server.deploy("quick", nodes: ["n2"]).deployment.id
            #expect(try await server.waitUntilFinal(id).deployment.status == .succeeded)
            let node: NodeDetail = try await server.get("/api/v1/nodes/n2")
            #expect(node.node.state?.deploymentId == id)
            #expect(node.node.state?.outcome == .succeeded)
            #expect(node.history.map(\.deploymentId) == [id])
            let untouched: NodeDetail = try await server.get("/api/v1/nodes/n1")
            #expect(untouched.node.state == nil && untouched.history.isEmpty)

            let operations: OperationList = try await server.get("/api/v1/operations")
            #expect(operations.operations.map(\.name) == ["quick"])
        }
    }

    @Test func theAuditTrailRecordsWhatWasDoneVerifiesAndExports() async throws {
        let bench = try Workbench(inventory: oneZoneInventory(nodes: 1), operations: ["quick": Operations.quick])
        defer { bench.remove() }
        try await bench.withInProcessServer { server in
            let id = try await server.deploy("quick", nodes: ["n1"]).deployment.id
            #expect(try await server.waitUntilFinal(id).deployment.status == .succeeded)

            let events: EventList = try await server.get("/api/v1/events?kind=deployment.created")
            #expect(events.events.map(\.deploymentId) == [id])
            #expect(events.events.first?.actor == "admin")

            let report: AuditReport = try await server.get("/api/v1/audit/verify")
            #expect(report.problems.isEmpty)
            #expect(report.count > 0)

            let export = try await server.request(.get, "/api/v1/audit/export")
            #expect(export.status == .ok)
            #expect(export.headers[.contentType] == "application/x-ndjson; charset=utf-8")
            let lines = export.text.split(separator: "\n")
            #expect(lines.count == report.count)
            #expect(lines.contains { $0.contains("\"deployment.created\"") })
        }
    }
}
