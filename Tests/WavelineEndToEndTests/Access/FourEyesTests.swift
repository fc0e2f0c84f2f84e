import Foundation
import Testing
import WavelineAPI
import WavelineCore
import WavelineServer
import WavelineStore
import WavelineTesting

/// Protected environments: a ticket, and a second person's approval before the deployment starts and at every
/// manual gate; approvals expire while a deployment waits for busy nodes.
@Suite(.serialized) struct FourEyesTests {
    static let inventory = """
        environments:
          - {name: test}
          - {name: prod, protected: true}
        products:
          - {name: app, owner: team}
        clusters:
          - name: app-test
            product: app
            environment: test
            zones: [a]
            nodes:
              - {name: t1, zone: a}
              - {name: t2, zone: a}
          - name: app-prod
            product: app
            environment: prod
            zones: [a]
            nodes:
              - {name: p1, zone: a}
              - {name: p2, zone: a}
        """

    static let marked = """
        name: marked
        role: operator
        steps:
          - {name: work, shell: 'echo "$WAVELINE_DEPLOYMENT" >> journal; sleep "${WAVELINE_PARAM_SECONDS:-0}"'}
        parameters:
          - {name: seconds, type: string, default: "0"}
        """

    static let careful = """
        name: careful
        failure_budget: 0
        phases:
          - {name: canary, size: 1, parallelism: 1, gate: manual}
          - {name: rest, size: rest, batch_size: 100%, parallelism: 5}
        """

    static func body(_ selection: Selection, ticket: String?, strategy: String = "all-at-once", seconds: String = "0") throws -> Data {
        try JSONEncoder().encode(CreateDeploymentBody(
            operation: "marked", selection: selection, parameters: ["seconds": seconds], strategy: strategy,
            reason: "four-eyes test", ticket: ticket, queue: false
        ))
    }

    static func create(_ server: RunningServer, _ selection: Selection, by person: String, strategy: String = "all-at-once", seconds: String = "0") async throws -> DeploymentDetail {
        let (status, data) = try await server.as(person).request("POST", "/api/v1/deployments", body: try body(selection, ticket: "CHG-7", strategy: strategy, seconds: seconds))
        guard status == 201 else { throw HarnessError("create answered \(status): \(String(decoding: data, as: UTF8.self))") }
        return try JSONDecoder().decode(DeploymentDetail.self, from: data)
    }

    @Test func aProtectedDeploymentNeedsATicketAndASecondPersonsApproval() async throws {
        let bench = try Workbench(inventory: Self.inventory, operations: ["marked": Self.marked])
        defer { bench.remove() }
        try await bench.withServer { server in
            // No ticket: refused, saying why and where.
            let refused = try await server.failure("POST", "/api/v1/deployments", body: try Self.body(Selection(environments: ["prod"]), ticket: nil))
            #expect(refused.status == 422)
            #expect(refused.message.contains("ticket") && refused.message.contains("prod"), "\(refused.message)")

            // Not protected: runs at once, no approval.
            let plain = try await Self.create(server, Selection(environments: ["test"]), by: "alice")
            #expect(plain.deployment.status == .running && plain.deployment.protectedEnvironments == nil)

            // Touching prod: waits, holding no node.
            let created = try await Self.create(server, Selection(products: ["app"]), by: "alice")
            let id = created.deployment.id
            #expect(created.deployment.status == .pendingApproval)
            #expect(created.deployment.protectedEnvironments == ["prod"])
            #expect(created.deployment.statusReason?.contains("someone other than alice") == true)
            let nodes: NodeList = try await server.get("/api/v1/nodes")
            #expect(nodes.nodes.first { $0.name == "p1" }?.busyWith == nil)

            // The requester may not approve it (409, saying why), through the API or the CLI.
            let alice = try await server.as("alice"), bob = try await server.as("bob")
            let selfApproval = try await alice.failure("POST", "/api/v1/deployments/\(id)/actions/approve", body: try JSONEncoder().encode(ActionBody()))
            #expect(selfApproval.status == 409)
            #expect(selfApproval.message.contains("alice requested it") && selfApproval.message.contains("four-eyes"), "\(selfApproval.message)")
            let cli = try await alice.cli(["approve", String(id)])
            #expect(cli.exitCode == 1 && cli.stderr.contains("four-eyes"), "\(cli)")
            // Nothing but approve or abort while it waits.
            let pause = try await bob.failure("POST", "/api/v1/deployments/\(id)/actions/pause", body: try JSONEncoder().encode(ActionBody()))
            #expect(pause.status == 409 && pause.message.contains("waiting for approval"), "\(pause.message)")
            #expect(try await server.detail(id).deployment.status == .pendingApproval)

            // A second person approves, with the CLI: it starts, and both people are recorded.
            let approved = try await bob.cli(["approve", String(id), "--reason", "reviewed CHG-7"])
            #expect(approved.exitCode == 0, "\(approved)")
            let final = try await server.waitUntilFinal(id)
            #expect(final.deployment.status == .succeeded, "\(final.deployment.statusReason ?? "")")
            #expect(final.deployment.requestedBy == "alice" && final.deployment.approvedBy == "bob")
            #expect((final.deployment.approvedAt ?? 0) <= (final.deployment.startedAt ?? 0))
            let events: EventList = try await server.get("/api/v1/deployments/\(id)/events?kind=action.approve")
            #expect(events.events.map(\.actor) == ["bob"])
            #expect(events.events.first?.message.contains("requested by alice") == true)
        }
        // The stored events say from where (the client's address) and why.
        let store = try await SQLDeploymentStore.sqlite(path: bench.data + "/waveline.sqlite")
        let approval = try await store.events(EventQuery(kinds: ["action.approve"], limit: 10))
        #expect(approval.first?.origin == "127.0.0.1" && approval.first?.reason == "reviewed CHG-7" && approval.first?.ticket == "CHG-7")
        let created = try await store.events(EventQuery(kinds: ["deployment.created"], limit: 10))
        #expect(created.allSatisfy { $0.reason == "four-eyes test" && $0.origin == "127.0.0.1" })
        #expect(try await store.verifyAuditTrail().isIntact)
        try await store.close()
    }

    @Test func aManualGateOnAProtectedEnvironmentNeedsASecondPersonToo() async throws {
        let bench = try Workbench(inventory: Self.inventory, operations: ["marked": Self.marked], strategies: ["careful": Self.careful])
        defer { bench.remove() }
        try await bench.withServer { server in
            let id = try await Self.create(server, Selection(environments: ["prod"]), by: "alice", strategy: "careful").deployment.id
            _ = try await server.act("approve", id, as: "bob")
            try await server.waitFor(id, "waiting at the gate") { $0.phases.first?.status == .gate }
            let refused = try await server.as("alice").failure("POST", "/api/v1/deployments/\(id)/actions/approve", body: try JSONEncoder().encode(ActionBody()))
            #expect(refused.status == 409)
            #expect(refused.message.contains("gate") && refused.message.contains("four-eyes"), "\(refused.message)")
            _ = try await server.act("approve", id, as: "carol")
            let final = try await server.waitUntilFinal(id)
            #expect(final.deployment.status == .succeeded)
            #expect(final.phases.first?.approvedBy == "carol")

            // Not protected: the requester opens their own gate.
            let own = try await Self.create(server, Selection(environments: ["test"]), by: "alice", strategy: "careful").deployment.id
            try await server.waitFor(own, "waiting at the gate") { $0.phases.first?.status == .gate }
            _ = try await server.act("approve", own, as: "alice")
            #expect(try await server.waitUntilFinal(own).deployment.status == .succeeded)
        }
    }

    @Test func anApprovalThatExpiresBeforeTheDeploymentStartsIsVoid() async throws {
        let bench = try Workbench(inventory: Self.inventory, operations: ["marked": Self.marked])
        defer { bench.remove() }
        // Approvals hold about one second.
        try await bench.withServer(extraArguments: ["--approval-validity", "0.0003"]) { server in
            let first = try await Self.create(server, Selection(nodes: ["p1"]), by: "alice", seconds: "3").deployment.id
            _ = try await server.act("approve", first, as: "bob")
            let second = try await Self.create(server, Selection(nodes: ["p1"]), by: "alice").deployment.id
            let queued = try await server.act("approve", second, as: "bob")
            #expect(queued.deployment.status == .queued, "p1 is busy in #\(first)")
            #expect(queued.deployment.statusReason?.contains("approved by bob") == true)

            // By the time p1 is free the approval is older than allowed: it waits for approval again.
            let voided = try await server.waitFor(second, "approval voided") { $0.deployment.status == .pendingApproval }
            #expect(voided.deployment.approvedBy == nil)
            #expect(voided.deployment.statusReason?.contains("approval by bob expired") == true, "\(voided.deployment.statusReason ?? "")")
            #expect(bench.read("p1", "journal")?.split(separator: "\n").map(String.init) == ["\(first)"])

            _ = try await server.act("approve", second, as: "carol")
            let final = try await server.waitUntilFinal(second)
            #expect(final.deployment.status == .succeeded && final.deployment.approvedBy == "carol")
        }
    }
}
