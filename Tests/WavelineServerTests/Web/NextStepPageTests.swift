import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
import WavelineAPI
import WavelineCore
import WavelineServer
import WavelineTesting

/// After a failure every page says what can be done next: the deployment page's "What next", the failed node's
/// log and the summary card. Those who may get the button; the others are told who may, and get no button that
/// would be refused.
@Suite struct NextStepPageTests {
    /// Fails on a node whose folder has a `bad` file.
    static let checked = PageWordsTests.checked

    @Test func aDeploymentThatFinishedWithAFailedNodeOffersItsRetryToThoseWhoMayAndNamesThemToOthers() async throws {
        let bench = try Workbench(inventory: oneZoneInventory(nodes: 2), operations: ["checked": Self.checked],
                                  strategies: ["lenient": singlePhaseStrategy("lenient", parallelism: 2, failureBudget: "1")])
        defer { bench.remove() }
        try bench.release("bad", on: ["n1"])
        try await bench.withInProcessServer { server in
            let id = try await server.deploy("checked", nodes: ["n1", "n2"], strategy: "lenient").deployment.id
            #expect(try await server.waitUntilFinal(id).deployment.status == .finishedWithFailures)

            let operator_ = try await WebSession.signIn(server, as: "otto", [GrantBody(role: .operator)])
            let page = try await operator_.get("/deployments/\(id)").text
            #expect(page.contains("id=\"next-step\""))
            #expect(page.contains("It finished with 1 node failed, within the failure budget"), "\(page)")
            #expect(page.contains("id=\"action-retry\""), "the operator gets the retry of all failed nodes")
            #expect(page.contains("id=\"action-retry-n1\""), "and the retry of the failed node in its failure point")
            #expect(!page.contains("Not yours to do here"))
            let log = try await operator_.get("/deployments/\(id)/nodes/n1").text
            #expect(log.contains("Fix what the log below shows, then run this node again."))
            #expect(log.contains("id=\"action-retry-n1\""))

            let viewer = try await WebSession.signIn(server, as: "vic", [GrantBody(role: .viewer)])
            let seen = try await viewer.get("/deployments/\(id)").text
            #expect(seen.contains("It finished with 1 node failed"))
            #expect(seen.contains("Retry failed nodes (1): people with the operator role"), "\(seen)")
            #expect(!seen.contains("id=\"action-retry"), "no button that would be refused")
            let seenLog = try await viewer.get("/deployments/\(id)/nodes/n1").text
            #expect(seenLog.contains("Retrying n1 is possible: people with the operator role"))
            #expect(!seenLog.contains("id=\"action-retry"))

            let summary = try await viewer.get("/").text
            #expect(summary.contains("Next: retry the failed nodes, or roll back"))

            // The retry from the page runs the node again; once fixed, the deployment succeeds and nothing is next.
            try FileManager.default.removeItem(atPath: bench.nodeDirectory("n1") + "/bad")
            let answer = try await operator_.post("/deployments/\(id)/actions/retry", [("return", "/deployments/\(id)")])
            #expect(answer.status == .seeOther)
            #expect(try await server.waitUntilFinal(id).deployment.status == .succeeded)
            let after = try await operator_.get("/deployments/\(id)").text
            #expect(!after.contains("id=\"next-step\""))
        }
    }

    @Test func aHaltedDeploymentSaysItsBudgetIsSpentAndOffersRetryAndAbort() async throws {
        let bench = try Workbench(inventory: oneZoneInventory(nodes: 2), operations: ["checked": Self.checked],
                                  strategies: ["strict": singlePhaseStrategy("strict", parallelism: 1)])
        defer { bench.remove() }
        try bench.release("bad", on: ["n1"])
        try await bench.withInProcessServer { server in
            let id = try await server.deploy("checked", nodes: ["n1", "n2"], strategy: "strict").deployment.id
            _ = try await server.waitFor(id, "the failure budget to halt it") { $0.deployment.status == .halted }
            let viewer = try await WebSession.signIn(server, as: "vic", [GrantBody(role: .viewer)])
            let page = try await viewer.get("/deployments/\(id)").text
            #expect(page.contains("It halted: its failure budget is spent."), "\(page)")
            #expect(page.contains("Retry failed nodes (1): people with the operator role"))
            #expect(page.contains("Abort: people with the"))
            #expect(!page.contains("id=\"action-abort\"") && !page.contains("id=\"action-retry"))
            _ = try await server.post("/api/v1/deployments/\(id)/actions/abort", ActionBody(reason: "enough"), as: DeploymentDetail.self)
            _ = try await server.waitUntilFinal(id)
        }
    }
}
