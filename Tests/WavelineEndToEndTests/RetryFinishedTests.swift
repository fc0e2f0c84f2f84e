import Foundation
import Testing
import WavelineAPI
import WavelineCore
import WavelineTesting

/// A deployment whose failures stayed within its budget finishes `finished_with_failures`, and a retry, from the
/// API or the CLI, runs its failed nodes again (only them) until it ends succeeded: against the real server.
@Suite(.serialized) struct RetryFinishedTests {
    /// Fails on a node whose folder holds `bad`; each run is in the node's journal.
    static let upgrade = """
        name: upgrade
        steps:
          - {name: install, shell: 'echo install >> journal; test ! -f bad'}
        rollback:
          - {name: restore, shell: 'echo restore >> journal'}
        """

    static let gated = """
        name: gated
        steps:
          - {name: work, shell: 'while [ ! -f go ]; do sleep 0.05; done'}
        """

    @Test func aRetryRunsTheFailedNodesOfAFinishedDeploymentAgainUntilItSucceeds() async throws {
        let bench = try Workbench(inventory: oneZoneInventory(nodes: 3), operations: ["upgrade": Self.upgrade, "gated": Self.gated],
                                  strategies: ["tolerant": singlePhaseStrategy("tolerant", parallelism: 3, failureBudget: "1")])
        defer { bench.remove() }
        try bench.write("n2", "bad", "")
        try await bench.withServer { server in
            let id = try await server.deploy("upgrade", selection: Selection(clusters: ["app-test"]), strategy: "tolerant").deployment.id
            let finished = try await server.waitUntilFinal(id)
            #expect(finished.deployment.status == .finishedWithFailures, "\(finished.deployment.statusReason ?? "")")
            #expect(finished.deployment.statusReason == "1 node failed within the failure budget: n2; retry it or roll back")
            #expect(finished.deployment.finishedAt != nil)
            let list: DeploymentList = try await server.get("/api/v1/deployments?status=finished_with_failures")
            #expect(list.deployments.map(\.id) == [id])

            // The CLI's watch ends non-zero on it, and says what can be done.
            let watched = try await server.cli(["status", "\(id)", "--watch"])
            #expect(watched.exitCode == 1, "\(watched)")
            #expect(watched.stdout.contains("FINISHED_WITH_FAILURES") && watched.stdout.contains("Next: ") && watched.stdout.contains("waveline retry \(id)"), "\(watched)")

            // Refused as the rules say: a node that did not fail, a node not in it, someone without the grant.
            let succeededNode = try await server.refusedAction("retry", id, nodes: ["n1"])
            #expect(succeededNode.status == 409 && succeededNode.message == "node 'n1' is succeeded in deployment #\(id); only failed nodes qualify", "\(succeededNode)")
            let stranger = try await server.refusedAction("retry", id, nodes: ["n9"])
            #expect(stranger.status == 404 && stranger.message.contains("node 'n9' is not part of deployment #\(id)"), "\(stranger)")
            let viewer = try await server.as("vera", [GrantBody(role: .viewer)])
            let forbidden = try await viewer.refusedAction("retry", id)
            #expect(forbidden.status == 403, "\(forbidden)")

            // While another deployment holds one of its nodes, it is not reopened: a clear refusal, nothing changed.
            let holder = try await server.deploy("gated", selection: Selection(nodes: ["n1"])).deployment.id
            try await server.waitFor(holder, "n1 running") { $0.target("n1")?.status == .running }
            let busy = try await server.refusedAction("retry", id)
            #expect(busy.status == 409 && busy.message == "cannot retry deployment #\(id): node n1 is busy in deployment #\(holder)", "\(busy)")
            #expect(try await server.detail(id).deployment.status == .finishedWithFailures)
            try bench.release(on: ["n1"])
            #expect(try await server.waitUntilFinal(holder).deployment.status == .succeeded)

            // From the CLI, before the fault is fixed: n2 runs again, fails again, the deployment finishes as before.
            let retried = try await server.cli(["retry", "\(id)", "--reason", "disk cleaned"])
            #expect(retried.exitCode == 0, "\(retried)")
            let again = try await server.waitFor(id, "n2's second run to end") { $0.target("n2")?.attempt == 2 && $0.deployment.status.isFinal }
            #expect(again.deployment.status == .finishedWithFailures, "\(again.deployment.statusReason ?? "")")
            #expect(bench.journal("n2") == ["install", "install"])

            // From the API, naming the node, after the fix: it ends succeeded; the others never ran again.
            try FileManager.default.removeItem(atPath: bench.nodeDirectory("n2") + "/bad")
            let reopened = try await server.as("olga", [GrantBody(role: .operator)]).post(
                "/api/v1/deployments/\(id)/actions/retry", json: ActionBody(nodes: ["n2"], reason: "fixed the disk"), as: DeploymentDetail.self)
            #expect(reopened.deployment.status == .running || reopened.deployment.status.isFinal, "\(reopened.deployment.status)")
            let final = try await server.waitUntilFinal(id)
            #expect(final.deployment.status == .succeeded, "\(final.deployment.statusReason ?? "")")
            #expect(final.target("n2")?.attempt == 3)
            #expect(bench.journal("n1") == ["install"] && bench.journal("n3") == ["install"])
            #expect(bench.journal("n2") == ["install", "install", "install"])

            // The audit trail says who retried, with their reason.
            let events: EventList = try await server.get("/api/v1/deployments/\(id)/events?limit=100")
            let retries = events.events.filter { $0.kind == "action.retry" }
            #expect(retries.map(\.actor) == ["admin", "olga"], "\(retries)")
            #expect(retries.last?.message == "olga retried n2: fixed the disk", "\(retries)")
        }
    }
}
