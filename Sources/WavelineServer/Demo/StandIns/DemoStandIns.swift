import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import WavelineIntegrations

/// Local stand-ins for Slack and Jira that `waveline demo` points its integrations at, so a newcomer sees the
/// thread and the ticket comments a deployment produced without a Slack workspace or a Jira site. Both listen on
/// one loopback port (0: a free one): Slack's Web API under `/slack/api/`, Jira Cloud's REST v3 under
/// `/jira/rest/api/3/`, and what they received as plain text at `/demo/slack` and `/jira/browse/{key}`. They
/// check the credentials Waveline sends (the demo writes them to its data folder) and keep everything in memory,
/// bounded.
public enum DemoStandIns {
    /// A ticket the stand-in Jira knows from the start.
    public struct Ticket: Sendable {
        public var key: String
        public var summary: String
        public var status: String

        public init(key: String, summary: String, status: String) {
            self.key = key
            self.summary = summary
            self.status = status
        }
    }

    /// What the stand-ins accept: Slack's bot token, Jira's account e-mail and API token.
    public struct Credentials: Sendable {
        public var slackBotToken: String
        public var jiraEmail: String
        public var jiraAPIToken: String

        public init(slackBotToken: String, jiraEmail: String, jiraAPIToken: String) {
            self.slackBotToken = slackBotToken
            self.jiraEmail = jiraEmail
            self.jiraAPIToken = jiraAPIToken
        }
    }

    /// Where the running stand-ins answer.
    public struct Addresses: Sendable {
        /// `http://127.0.0.1:PORT`
        public let baseURL: String
        /// `slack.api_url` of integrations.yaml.
        public var slackAPIURL: String { baseURL + "/slack/api" }
        /// `jira.base_url` (and `browse_url`: tickets open at `/jira/browse/KEY`).
        public var jiraBaseURL: String { baseURL + "/jira" }
        /// The Slack transcript page.
        public var slackPage: String { baseURL + "/demo/slack" }
    }

    /// The largest request body the stand-ins read (Slack's and Jira's own limits are far below).
    static let bodyLimit = 4 << 20

    /// Runs the stand-ins for the duration of `body`, which gets their addresses; they stop when it returns.
    public static func withRunning<T: Sendable>(
        credentials: Credentials, tickets: [Ticket], _ body: (Addresses) async throws -> T
    ) async throws -> T {
        let slack = DemoSlack(botToken: credentials.slackBotToken)
        let jira = DemoJira(email: credentials.jiraEmail, apiToken: credentials.jiraAPIToken, issues: tickets.enumerated().map { index, ticket in
            DemoJira.Issue(id: String(10_001 + index), key: ticket.key, summary: ticket.summary, status: ticket.status)
        })
        let router = Router()
        router.add(middleware: StandInResponder(slack: slack, jira: jira))
        var logger = Logger(label: "waveline-demo-stand-ins")
        logger.logLevel = .critical
        let (ports, portInbox) = AsyncStream<Int>.makeStream()
        let application = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: "waveline-demo-stand-ins"),
            onServerRunning: { channel in
                portInbox.yield(channel.localAddress?.port ?? 0)
                portInbox.finish()
            }, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                defer { portInbox.finish() }
                try await application.runService(gracefulShutdownSignals: [])
            }
            defer { group.cancelAll() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next(), port > 0 else {
                throw StartupError("the demo's Slack and Jira stand-ins could not listen on a loopback port")
            }
            return try await body(Addresses(baseURL: "http://127.0.0.1:\(port)"))
        }
    }
}

/// Routes every request to the Slack or Jira stand-in by its path prefix.
struct StandInResponder<Context: RequestContext>: RouterMiddleware {
    let slack: DemoSlack
    let jira: DemoJira

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        var query: [String: String] = [:]
        for (key, value) in request.uri.queryParameters { query[String(key)] = String(value) }
        let authorization = request.headers[.authorization]
        if request.method == .get, path == "/demo/slack" {
            return Self.text(slack.transcript())
        }
        if request.method == .get, path.hasPrefix("/jira/browse/") {
            let key = String(path.dropFirst("/jira/browse/".count))
            guard let text = jira.transcript(of: key) else { return Self.text("No ticket \(key) in the demo's Jira.\n", status: 404) }
            return Self.text(text)
        }
        let data = Data(try await request.body.collect(upTo: DemoStandIns.bodyLimit).readableBytesView)
        let body = data.isEmpty ? nil : try? JSONValue.decode(data)
        if path.hasPrefix("/slack/api/") {
            let method = String(path.dropFirst("/slack/api/".count))
            return Self.json(200, slack.answer(method: method, authorization: authorization, body: body, query: query))
        }
        if path.hasPrefix("/jira/rest/api/3/") {
            let (status, answer) = jira.answer(method: request.method.rawValue, path: String(path.dropFirst("/jira/rest/api/3".count)),
                                               authorization: authorization, body: body, query: query)
            return Self.json(status, answer)
        }
        return Self.text("Not a path of the demo's Slack or Jira.\n", status: 404)
    }

    static func json(_ status: Int, _ body: JSONValue?) -> Response {
        guard let body else { return Response(status: .init(code: status)) }
        return Response(status: .init(code: status), headers: [.contentType: "application/json; charset=utf-8"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: body.encoded())))
    }

    /// Plain text: what was posted is shown as it was, never interpreted as markup.
    static func text(_ text: String, status: Int = 200) -> Response {
        Response(status: .init(code: status), headers: [.contentType: "text/plain; charset=utf-8", .xContentTypeOptions: "nosniff"],
                 body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}
