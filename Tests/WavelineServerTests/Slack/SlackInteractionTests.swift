import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
import WavelineAPI
import WavelineCore
import WavelineServer
import WavelineTesting

/// `POST /slack/interactions` in-process: presses signed as Slack signs them, acted on as the mapped user through
/// the one action path, answered to that person through a local stand-in for `response_url`.
@Suite struct SlackInteractionTests {
    static let inventory = """
        environments:
          - {name: test}
          - {name: prod, protected: true}
        products:
          - {name: app, owner: team}
        clusters:
          - name: app-prod
            product: app
            environment: prod
            zones: [a]
            nodes:
              - {name: p1, zone: a}
        """

    /// The server with Slack presses on, answering to `responseBase` only, on a manual time for the window.
    static func withSlack(
        _ time: ManualTime, responseBase: String, _ body: @Sendable (InProcessServer) async throws -> Void
    ) async throws {
        let bench = try Workbench(inventory: inventory, operations: ["quick": Operations.quick])
        defer { bench.remove() }
        try await bench.withInProcessServer(configure: {
            $0.slackInteractions = SlackInteractions(signingSecret: SlackPresses.secret, time: time, responseURLPrefixes: [responseBase])
        }, body)
    }

    /// A deployment to prod requested by alice (an approver herself), waiting for a second person.
    static func waitingDeployment(_ server: InProcessServer) async throws -> Int64 {
        let alice = try await server.as("alice", [GrantBody(role: .approver)])
        let created = try await alice.deploy("quick", nodes: ["p1"])
        #expect(created.deployment.status == .pendingApproval)
        return created.deployment.id
    }

    static func map(_ server: InProcessServer, _ user: String, _ grants: [GrantBody], slack: String) async throws {
        _ = try await server.as(user, grants)
        let mapped: UserView = try await server.json(.patch, "/api/v1/users/\(user)", body: try JSONEncoder().encode(UpdateUserBody(slackUserId: slack)))
        #expect(mapped.slackUserId == slack)
    }

    static func press(_ server: InProcessServer, _ presses: SlackPresses, _ action: String, _ value: String?, as user: String, answer: String) async throws -> TestResponse {
        let body = try presses.body(action: action, value: value, user: user, answerPath: answer)
        return try await server.anonymous.request(.post, "/slack/interactions", body: body, headers: presses.headers(for: body))
    }

    @Test func theMappedPersonActsWithTheirOwnRightsAndFourEyesAndIsAnsweredAlone() async throws {
        let time = ManualTime(1_800_000_000)
        let standIn = ResponseURLStandIn()
        try await standIn.run { base in
            let presses = SlackPresses(time: time, responseBase: base)
            try await Self.withSlack(time, responseBase: base) { server in
                let id = try await Self.waitingDeployment(server)
                try await Self.map(server, "alice", [GrantBody(role: .approver)], slack: "U0ALICE")
                try await Self.map(server, "carol", [GrantBody(role: .operator)], slack: "U0CAROL")
                // Made with its Slack id at once.
                let bob: UserView = try await server.post("/api/v1/users", CreateUserBody(name: "bob", password: nil, grants: [GrantBody(role: .approver)], slackUserId: "U0BOB"))
                #expect(bob.slackUserId == "U0BOB")

                // Someone whose Slack account maps to no user: refused, told how to get mapped.
                #expect(try await Self.press(server, presses, "waveline_approve", "\(id)", as: "U0NOBODY", answer: "nobody").status == .ok)
                let nobody = try await standIn.answer(at: "/actions/nobody")
                #expect(nobody.response_type == "ephemeral" && nobody.replace_original == false)
                #expect(nobody.text.contains("U0NOBODY") && nobody.text.contains("not linked") && nobody.text.contains("waveline users slack"), "\(nobody.text)")

                // Without the right: refused to that person alone, naming the missing permission.
                #expect(try await Self.press(server, presses, "waveline_approve", "\(id)", as: "U0CAROL", answer: "carol").status == .ok)
                let carol = try await standIn.answer(at: "/actions/carol")
                #expect(carol.response_type == "ephemeral")
                #expect(carol.text.contains("carol may not approve-deployment") && carol.text.contains("needs approver"), "\(carol.text)")

                // Four-eyes: the requester cannot approve her own prod deployment from Slack either.
                #expect(try await Self.press(server, presses, "waveline_approve", "\(id)", as: "U0ALICE", answer: "alice").status == .ok)
                let alice = try await standIn.answer(at: "/actions/alice")
                #expect(alice.text.contains("alice requested it") && alice.text.contains("four-eyes"), "\(alice.text)")
                #expect(try await server.detail(id).deployment.status == .pendingApproval)

                // A second approver: it starts, recorded under bob, from Slack.
                #expect(try await Self.press(server, presses, "waveline_approve", "\(id)", as: "U0BOB", answer: "bob").status == .ok)
                let approved = try await standIn.answer(at: "/actions/bob")
                #expect(approved.response_type == "ephemeral" && approved.text == "Approved deployment #\(id), as bob.", "\(approved.text)")
                let final = try await server.waitUntilFinal(id)
                #expect(final.deployment.status == .succeeded && final.deployment.approvedBy == "bob")
                let events: EventList = try await server.get("/api/v1/deployments/\(id)/events?kind=action.approve")
                #expect(events.events.map(\.actor) == ["bob"])
                // The audit trail says from where: Slack, the workspace and the account, as an address for the API.
                let audit = try await server.request(.get, "/api/v1/audit/export")
                let entries = try audit.text.split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:] }
                let approval = entries.first { $0["kind"] as? String == "action.approve" }
                #expect(approval?["actor"] as? String == "bob")
                #expect(approval?["origin"] as? String == "slack:\(SlackPresses.team)/U0BOB", "\(approval ?? [:])")
                #expect(approval?["reason"] as? String == "from Slack")
                let report: AuditReport = try await server.get("/api/v1/audit/verify")
                #expect(report.problems.isEmpty)

                // Pause, resume, abort on a finished deployment: the engine's refusal, told the same way.
                #expect(try await Self.press(server, presses, "waveline_abort", "\(id)", as: "U0BOB", answer: "late-abort").status == .ok)
                #expect(try await standIn.answer(at: "/actions/late-abort").text.hasPrefix("Not done:"))
                // The Open button is a link: acknowledged, nothing done, nothing said.
                #expect(try await Self.press(server, presses, "waveline_open", "\(id)", as: "U0BOB", answer: "open").status == .ok)
            }
            #expect(!standIn.answers.contains { $0.path == "/actions/open" })
        }
    }

    @Test func unsignedWrongStaleReplayedAndMalformedRequestsChangeNothing() async throws {
        let time = ManualTime(1_800_000_000)
        let standIn = ResponseURLStandIn()
        try await standIn.run { base in
            let presses = SlackPresses(time: time, responseBase: base)
            try await Self.withSlack(time, responseBase: base) { server in
                let id = try await Self.waitingDeployment(server)
                try await Self.map(server, "bob", [GrantBody(role: .approver)], slack: "U0BOB")
                let slack = server.anonymous
                let body = try presses.body(action: "waveline_approve", value: "\(id)", user: "U0BOB", answerPath: "refused")

                // Every refusal is the same 401, saying nothing of what was wrong.
                var refusals: [(String, HTTPFields)] = [
                    ("unsigned", [.contentType: "application/x-www-form-urlencoded"]),
                    ("wrong secret", presses.headers(for: body, secret: "another secret")),
                    ("older than 5 minutes", presses.headers(for: body, offset: -301)),
                    ("more than 5 minutes ahead", presses.headers(for: body, offset: 301)),
                ]
                var noSignature = presses.headers(for: body)
                noSignature[HTTPField.Name("X-Slack-Signature")!] = nil
                refusals.append(("no signature", noSignature))
                var noTimestamp = presses.headers(for: body)
                noTimestamp[HTTPField.Name("X-Slack-Request-Timestamp")!] = nil
                refusals.append(("no timestamp", noTimestamp))
                var garbled = presses.headers(for: body)
                garbled[HTTPField.Name("X-Slack-Signature")!] = "v0=not hex"
                refusals.append(("garbled signature", garbled))
                for (what, headers) in refusals {
                    let response = try await slack.request(.post, "/slack/interactions", body: body, headers: headers)
                    #expect(response.status == .unauthorized, "\(what)")
                    #expect(response.text.contains("the request is not signed by Slack"), "\(what): \(response.text)")
                }
                // The body signed is the body acted on: one changed byte is a wrong signature.
                var tampered = body
                tampered[tampered.count - 3] ^= 0x01
                #expect(try await slack.request(.post, "/slack/interactions", body: tampered, headers: presses.headers(for: body)).status == .unauthorized)

                // A credential the route does not read does not matter; the route is outside sign-in by its exact path only.
                var withToken = server.anonymous
                withToken.token = "wl_not_a_real_token"
                let other = try presses.body(action: "waveline_approve", value: "999999", user: "U0BOB", answerPath: "unknown-deployment")
                #expect(try await withToken.request(.post, "/slack/interactions", body: other, headers: presses.headers(for: other)).status == .ok)
                #expect(try await withToken.request(.post, "/slack/interactions/x", body: other, headers: presses.headers(for: other)).status == .unauthorized)
                #expect(try await slack.request(.post, "/api/v1/deployments/\(id)/actions/approve", body: other, headers: presses.headers(for: other)).status == .unauthorized)
                let unknown = try await standIn.answer(at: "/actions/unknown-deployment")
                #expect(unknown.text.contains("no deployment #999999"), "\(unknown.text)")

                // Replayed: the same signed request a second time, within the window.
                let once = try presses.body(action: "waveline_pause", value: "\(id)", user: "U0BOB", answerPath: "once")
                let signed = presses.headers(for: once)
                #expect(try await slack.request(.post, "/slack/interactions", body: once, headers: signed).status == .ok)
                time.advance(by: 120)
                #expect(try await slack.request(.post, "/slack/interactions", body: once, headers: signed).status == .unauthorized)
                // (A pause is not allowed while it waits for approval: the engine says so.)
                #expect(try await standIn.answer(at: "/actions/once").text.contains("waiting for approval"))

                // Signed but not a press Waveline understands: 400, or a clear answer to the person.
                for garbage in ["garbage", "payload=%7Bnot%20json", "payload=%7B%7D", "payload=a&payload=b"] {
                    let data = Data(garbage.utf8)
                    let response = try await slack.request(.post, "/slack/interactions", body: data, headers: presses.headers(for: data))
                    #expect(response.status == .badRequest, "\(garbage)")
                }
                let unknownButton = try presses.body(action: "waveline_launch_missiles", value: "\(id)", user: "U0BOB", answerPath: "unknown-button")
                #expect(try await slack.request(.post, "/slack/interactions", body: unknownButton, headers: presses.headers(for: unknownButton)).status == .ok)
                #expect(try await standIn.answer(at: "/actions/unknown-button").text.contains("does not know the button"))
                for (value, path) in [("12abc", "not-a-number"), ("-1", "negative"), ("", "empty")] {
                    let press = try presses.body(action: "waveline_approve", value: value, user: "U0BOB", answerPath: path)
                    #expect(try await slack.request(.post, "/slack/interactions", body: press, headers: presses.headers(for: press)).status == .ok)
                    #expect(try await standIn.answer(at: "/actions/\(path)").text.contains("does not name a deployment"), "\(value)")
                }

                // Nothing happened to the deployment, and the audit trail holds no action.
                #expect(try await server.detail(id).deployment.status == .pendingApproval)
                let events: EventList = try await server.get("/api/v1/deployments/\(id)/events")
                #expect(!events.events.contains { $0.kind.hasPrefix("action.") }, "\(events.events.map(\.kind))")
                #expect(!standIn.answers.contains { $0.path == "/actions/refused" })
            }
        }
    }

    @Test func aFloodOfBadSignaturesNeitherGrowsMemoryNorStopsTheServer() async throws {
        let time = ManualTime(1_800_000_000)
        let standIn = ResponseURLStandIn()
        try await standIn.run { base in
            let presses = SlackPresses(time: time, responseBase: base)
            try await Self.withSlack(time, responseBase: base) { server in
                let id = try await Self.waitingDeployment(server)
                try await Self.map(server, "bob", [GrantBody(role: .approver)], slack: "U0BOB")
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for worker in 0..<8 {
                        group.addTask {
                            for index in 0..<250 {
                                let body = try presses.body(action: "waveline_approve", value: "\(id)", user: "U0BOB", answerPath: "flood-\(worker)-\(index)")
                                let response = try await server.anonymous.request(.post, "/slack/interactions", body: body, headers: presses.headers(for: body, secret: "guess \(index)"))
                                #expect(response.status == .unauthorized)
                            }
                        }
                    }
                    try await group.waitForAll()
                }
                // Still serving, and a real press still works.
                #expect(try await Self.press(server, presses, "waveline_approve", "\(id)", as: "U0BOB", answer: "after-flood").status == .ok)
                #expect(try await standIn.answer(at: "/actions/after-flood").text == "Approved deployment #\(id), as bob.")
                #expect(!standIn.answers.contains { $0.path.hasPrefix("/actions/flood-") })
            }
        }
    }
}
