import Foundation
import NIOCore
import NIOPosix
import Testing
import WavelineAPI
import WavelineCore
import WavelineIntegrations
import WavelineTesting

/// The ticket check of a requested deployment, through the real binary (`waveline serve --integrations`) against
/// the fake Jira of either flavour: what is refused and why, what is stored (the key Jira answers with), the ticket
/// Waveline makes for ad-hoc work, and Jira being down or slow (a clear, retryable refusal, never a hang).
@Suite(.serialized) struct TicketAdmissionServerTests {
    /// One node per environment; `lab` has no ticket policy.
    static let inventory: String = {
        let environments = ["prod", "uat", "qa", "staging", "sandbox", "lab"]
        // Staging's secret is masked in what Waveline sends Jira.
        var text = "environments:\n" + environments.map {
            $0 == "staging" ? "  - {name: staging, secrets: {DB_PASSWORD: \"env:\(secretVariable)\"}}\n" : "  - {name: \($0)}\n"
        }.joined()
        text += "products:\n  - {name: app, owner: team}\nclusters:\n"
        for environment in environments {
            text += """
                  - name: app-\(environment)
                    product: app
                    environment: \(environment)
                    zones: [a]
                    nodes:
                      - {name: \(environment)-1, zone: a}

                """
        }
        return text
    }()

    static let hello = """
        name: hello
        steps:
          - {name: hello, shell: 'echo hello'}
        """

    static let tokenVariable = "WL_TEST_JIRA_TOKEN"
    static let secretVariable = "WL_TEST_STAGING_SECRET"
    static let secret = "staging-db-secret-7d1f"
    static let token = "jira-test-token-0123456789"

    static func integrations(jiraURL: String, flavour: FakeService) -> String {
        let credentials = flavour == .jiraCloud
            ? "flavour: cloud\n  email: deploy-bot@example.com\n  api_token: env:\(tokenVariable)"
            : "flavour: data_center\n  personal_access_token: env:\(tokenVariable)"
        return """
            public_url: http://waveline.test
            jira:
              base_url: \(jiraURL)
              browse_url: https://jira.example.com
              \(credentials)
            tickets:
              prod: {required: true, projects: [CHG], statuses: [Approved]}
              uat: {statuses: [Approved]}
              qa: {required: true}
              staging: {create: {project: OPS, issue_type: Task}}
              sandbox: {create: {project: ZZZ, issue_type: Task}}
            """
    }

    /// Holds its node until the test puts `go` in the node's folder.
    static let hold = """
        name: hold
        steps:
          - {name: wait, shell: 'while [ ! -f go ]; do sleep 0.05; done'}
        """

    /// `waveline serve --integrations` on a fresh installation, with Jira at `jiraURL`.
    static func withServer<T: Sendable>(jiraURL: String, flavour: FakeService, _ body: (RunningServer) async throws -> T) async throws -> T {
        try await withServer(jiraURL: jiraURL, flavour: flavour) { server, _ in try await body(server) }
    }

    static func withServer<T: Sendable>(jiraURL: String, flavour: FakeService, _ body: (RunningServer, Workbench) async throws -> T) async throws -> T {
        let bench = try Workbench(inventory: inventory, operations: ["hello": hello, "hold": hold])
        defer { bench.remove() }
        let file = bench.root + "/integrations.yaml"
        try integrations(jiraURL: jiraURL, flavour: flavour).write(toFile: file, atomically: true, encoding: .utf8)
        return try await bench.withServer(extraArguments: ["--integrations", file], environment: [tokenVariable: token, secretVariable: secret]) { server in
            try await body(server, bench)
        }
    }

    struct Answer {
        var status: Int
        var message: String
        var headers: [(String, String)]
        var detail: DeploymentDetail?
    }

    /// Asks for `operation` on the node of `environment`, with `ticket`.
    static func request(_ server: RunningServer, _ environment: String, ticket: String?, reason: String = "ticket test",
                        operation: String = "hello") async throws -> Answer {
        let body = try JSONEncoder().encode(CreateDeploymentBody(
            operation: operation, selection: Selection(nodes: ["\(environment)-1"]), parameters: [:], strategy: "all-at-once",
            reason: reason, ticket: ticket, queue: false))
        let (status, data, headers) = try await server.requestWithHeaders("POST", "/api/v1/deployments", body: body)
        if status == 201 { return Answer(status: status, message: "", headers: headers, detail: try JSONDecoder().decode(DeploymentDetail.self, from: data)) }
        let error = try JSONDecoder().decode(ErrorBody.self, from: data)
        #expect(error.error.status == status)
        return Answer(status: status, message: error.error.message, headers: headers, detail: nil)
    }

    static func deploymentCount(_ server: RunningServer) async throws -> Int {
        let list: DeploymentList = try await server.get("/api/v1/deployments")
        return list.deployments.count
    }

    @Test(arguments: [FakeService.jiraCloud, .jiraDataCenter])
    func aMovedTicketIsStoredByTheKeyJiraAnswersWith(_ flavour: FakeService) async throws {
        try await withFakeServer(FakeJira(flavour)) { jiraURL, recorder in
            try await Self.withServer(jiraURL: jiraURL, flavour: flavour) { server in
                // Asked as OLD-3, which Jira moved to OPS-7.
                let answer = try await Self.request(server, "qa", ticket: "old-3")
                #expect(answer.status == 201, "\(answer.message)")
                let id = try #require(answer.detail?.deployment.id)
                let stored = try await server.detail(id).deployment
                #expect(stored.ticket == "OPS-7")
                let jira = try #require(stored.jiraTicket)
                #expect(jira.key == "OPS-7" && jira.issueId == "10007" && jira.project == "OPS" && jira.status == "Open")
                #expect(jira.requestedKey == "OLD-3" && !jira.createdByWaveline && jira.checkedAt > 0)
                #expect(jira.url == "https://jira.example.com/browse/OPS-7")
                // The list shows it too, and a ticket the requester typed in the old form is asked for once.
                let list: DeploymentList = try await server.get("/api/v1/deployments")
                #expect(list.deployments.first?.jiraTicket?.key == "OPS-7")
                let asked = recorder.requests.map { "\($0.method) \($0.path)" }
                let api = flavour == .jiraCloud ? "/rest/api/3" : "/rest/api/2"
                // The check asks once, by the key as typed; what delivery sends later goes to the key Jira answered.
                #expect(asked.first == "GET \(api)/issue/OLD-3")
                #expect(asked.dropFirst().allSatisfy { $0.contains("/issue/OPS-7") }, "\(asked)")
                #expect(recorder.problems.isEmpty, "\(recorder.problems)")
                let authorization = recorder.requests.first?.headers["authorization"] ?? ""
                #expect(authorization.hasPrefix(flavour == .jiraCloud ? "Basic " : "Bearer "))

                // The deployment page links the ticket with its status.
                let (status, page) = try await server.request("GET", "/deployments/\(id)")
                let html = String(decoding: page, as: UTF8.self)
                #expect(status == 200, "\(html.prefix(300))")
                #expect(html.contains("<a class=\"ticket-link\" href=\"https://jira.example.com/browse/OPS-7\" rel=\"noopener noreferrer\">OPS-7</a>"), "\(html)")
                #expect(html.contains(">Open</span>") && html.contains("asked as OLD-3; moved"))
            }
        }
    }

    @Test(arguments: [FakeService.jiraCloud, .jiraDataCenter])
    func eachRefusalSaysWhatIsWrongAndStoresNothing(_ flavour: FakeService) async throws {
        try await withFakeServer(FakeJira(flavour)) { jiraURL, recorder in
            try await Self.withServer(jiraURL: jiraURL, flavour: flavour) { server in
                let refusals: [(environment: String, ticket: String?, message: String)] = [
                    ("prod", nil, "a Jira ticket is required: environment prod requires one (give its key with --ticket, e.g. CHG-123)"),
                    ("prod", "fix it", "ticket 'fix it' is not a Jira issue key: expected a project key, '-' and a number (e.g. CHG-123)"),
                    ("prod", "CHG-404", "Jira has no ticket CHG-404 (or Waveline's Jira user may not see it): environment prod needs an existing ticket; check the key"),
                    ("prod", "OPS-7", "ticket OPS-7 is in project OPS; environment prod accepts tickets of project CHG only; ticket OPS-7 is in status 'Open'; environment prod needs status 'Approved'"),
                    ("uat", "OPS-7", "ticket OPS-7 is in status 'Open'; environment uat needs status 'Approved'"),
                    ("prod", "OLD-3", "ticket OLD-3 (now OPS-7 in Jira) is in project OPS; environment prod accepts tickets of project CHG only; ticket OLD-3 (now OPS-7 in Jira) is in status 'Open'; environment prod needs status 'Approved'"),
                ]
                for (environment, ticket, message) in refusals {
                    let answer = try await Self.request(server, environment, ticket: ticket)
                    #expect(answer.status == 422, "\(environment) \(ticket ?? "-"): \(answer.message)")
                    #expect(answer.message == message)
                }
                #expect(try await Self.deploymentCount(server) == 0)
                // Jira was asked only about keys: not for a missing or malformed one.
                #expect(recorder.requests.count == 4)
                #expect(recorder.problems.isEmpty, "\(recorder.problems)")

                // The approved change ticket passes.
                let approved = try await Self.request(server, "prod", ticket: "CHG-1")
                #expect(approved.status == 201, "\(approved.message)")
                #expect(approved.detail?.deployment.jiraTicket?.status == "Approved")
            }
        }
    }

    @Test(arguments: [FakeService.jiraCloud, .jiraDataCenter])
    func anAdHocDeploymentGetsATicketWavelineMakes(_ flavour: FakeService) async throws {
        try await withFakeServer(FakeJira(flavour)) { jiraURL, recorder in
            try await Self.withServer(jiraURL: jiraURL, flavour: flavour) { server in
                let answer = try await Self.request(server, "staging", ticket: nil, reason: "clear the stuck queue, password \(Self.secret)")
                #expect(answer.status == 201, "\(answer.message)")
                let deployment = try #require(answer.detail?.deployment)
                let jira = try #require(deployment.jiraTicket)
                #expect(jira.createdByWaveline && jira.requestedKey == nil)
                #expect(jira.project == "OPS" && jira.status == "Open" && deployment.ticket == jira.key)
                #expect(jira.key.hasPrefix("OPS-") && jira.url == "https://jira.example.com/browse/\(jira.key)")
                let made = try #require(recorder.requests.first { $0.method == "POST" })
                let fields = made.body?["fields"]
                #expect(fields?["summary"]?.stringValue?.hasPrefix("hello on node=staging-1: clear the stuck queue, password ") == true)
                // The secret the reason quotes never leaves Waveline.
                let sent = made.body?.jsonText ?? ""
                #expect(sent.contains("password ********") && !sent.contains(Self.secret), "\(sent)")
                #expect(fields?["issuetype"]?["name"]?.stringValue == "Task")
                // Cloud takes an ADF document, Data Center a string.
                #expect((fields?["description"]?.stringValue != nil) == (flavour == .jiraDataCenter))
                #expect(recorder.problems.isEmpty, "\(recorder.problems)")

                // A project Jira refuses: Jira's words, 502, nothing stored.
                let refused = try await Self.request(server, "sandbox", ticket: nil)
                #expect(refused.status == 502)
                #expect(refused.message.contains("Jira refused Waveline's request") && refused.message.contains("valid project is required"), "\(refused.message)")
                #expect(try await Self.deploymentCount(server) == 1)
            }
        }
    }

    /// Nothing is made in Jira for a request refused before; a ticket made for a request the engine then refuses
    /// is named in the refusal, to be given next time.
    @Test func aTicketMadeForARefusedRequestIsNamedInTheRefusal() async throws {
        try await withFakeServer(FakeJira(.jiraCloud)) { jiraURL, recorder in
            try await Self.withServer(jiraURL: jiraURL, flavour: .jiraCloud) { server, bench in
                let blank = try await Self.request(server, "staging", ticket: nil, reason: "  ")
                #expect(blank.status == 422 && blank.message.hasPrefix("a reason is required"), "\(blank.message)")
                #expect(recorder.requests.isEmpty)

                let holding = try await Self.request(server, "staging", ticket: nil, operation: "hold")
                #expect(holding.status == 201, "\(holding.message)")
                let busy = try await Self.request(server, "staging", ticket: nil)
                #expect(busy.status == 409)
                let made = try #require(recorder.requests.last { $0.method == "GET" }?.path.split(separator: "/").last.map(String.init))
                #expect(made != holding.detail?.deployment.ticket)
                #expect(busy.message.hasSuffix("(Waveline made Jira ticket \(made) for this request: give it with --ticket \(made) when you ask again)"), "\(busy.message)")
                #expect(try await Self.deploymentCount(server) == 1)

                try bench.release(on: ["staging-1"])
                if let id = holding.detail?.deployment.id { _ = try await server.waitUntilFinal(id) }
                #expect(try await Self.request(server, "staging", ticket: made).status == 201)
            }
        }
    }

    @Test func environmentsWithoutAPolicyAreUnchanged() async throws {
        try await withFakeServer(FakeJira(.jiraCloud)) { jiraURL, recorder in
            try await Self.withServer(jiraURL: jiraURL, flavour: .jiraCloud) { server in
                for ticket in [nil, "anything at all"] {
                    let answer = try await Self.request(server, "lab", ticket: ticket)
                    #expect(answer.status == 201, "\(answer.message)")
                    #expect(answer.detail?.deployment.ticket == ticket && answer.detail?.deployment.jiraTicket == nil)
                    // The node is free for the next request once this one is over.
                    if let id = answer.detail?.deployment.id { _ = try await server.waitUntilFinal(id) }
                }
                #expect(recorder.requests.isEmpty)
            }
        }
    }

    @Test func jiraRateLimitingOrFailingIsARetryableRefusal() async throws {
        try await withFakeServer(FakeJira(.jiraCloud)) { jiraURL, recorder in
            try await Self.withServer(jiraURL: jiraURL, flavour: .jiraCloud) { server in
                recorder.mode = .rateLimited(retryAfter: 30)
                let limited = try await Self.request(server, "prod", ticket: "CHG-1")
                #expect(limited.status == 503)
                #expect(limited.headers.first { $0.0.lowercased() == "retry-after" }?.1 == "30")
                #expect(limited.message.hasPrefix("cannot check ticket CHG-1: Jira is not available (Jira get issue CHG-1: HTTP 429"), "\(limited.message)")
                #expect(limited.message.hasSuffix("nothing was stored, ask again in 30 s"), "\(limited.message)")

                recorder.mode = .serverError(500)
                let failing = try await Self.request(server, "prod", ticket: "CHG-1")
                #expect(failing.status == 503 && failing.message.hasSuffix("ask again shortly"), "\(failing.message)")
                #expect(!failing.headers.contains { $0.0.lowercased() == "retry-after" })
                #expect(try await Self.deploymentCount(server) == 0)

                // Asked again once Jira is back: admitted.
                recorder.mode = .normal
                #expect(try await Self.request(server, "prod", ticket: "CHG-1").status == 201)
            }
        }
    }

    @Test func jiraUnreachableOrSilentIsRefusedInsteadOfHanging() async throws {
        let closed = try await closedPortURL()
        try await Self.withServer(jiraURL: closed, flavour: .jiraDataCenter) { server in
            let answer = try await Self.request(server, "qa", ticket: "OPS-7")
            #expect(answer.status == 503)
            #expect(answer.message.contains("cannot check ticket OPS-7: Jira is not available") && answer.message.contains("connection refused"), "\(answer.message)")
            #expect(try await Self.deploymentCount(server) == 0)
        }
        // A Jira that takes the connection and never answers: the check's own timeout ends the wait.
        try await withSilentServer { silentURL in
            try await Self.withServer(jiraURL: silentURL, flavour: .jiraCloud) { server in
                let answer = try await Self.request(server, "staging", ticket: nil)
                #expect(answer.status == 503)
                #expect(answer.message.contains("cannot make a Task ticket in Jira project OPS for this ad-hoc deployment (environment staging): Jira is not available")
                        && answer.message.contains("no answer in time"), "\(answer.message)")
                #expect(try await Self.deploymentCount(server) == 0)
            }
        }
    }
}

/// A server on a free loopback port that accepts connections and never answers: a Jira that hangs.
func withSilentServer<T: Sendable>(_ body: (String) async throws -> T) async throws -> T {
    let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
        .childChannelInitializer { channel in channel.eventLoop.makeSucceededVoidFuture() }
        .bind(host: "127.0.0.1", port: 0)
        .get()
    let port = channel.localAddress?.port ?? 0
    do {
        let result = try await body("http://127.0.0.1:\(port)")
        try await channel.close()
        return result
    } catch {
        try? await channel.close()
        throw error
    }
}
