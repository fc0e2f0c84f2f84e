import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Synchronization
import Testing
import WavelineAPI
import WavelineCore
import WavelineTesting

/// A real `kill -9` of `waveline serve --integrations` between Slack taking a message and the server recording it:
/// after the restart the message is in the channel once, and every later one arrives, in order, in the thread.
@Suite(.serialized) struct NotificationCrashTests {
    static let failing = """
        name: broken-change
        idempotent: true
        steps:
          - name: apply
            shell: 'echo applying; exit 3'
        """

    @Test("Killed while Slack holds its answer to a message: posted exactly once, and everything after arrives in order",
          arguments: [1, 2, 3])
    func crashBetweenSendAndRecord(holdingPost: Int) async throws {
        let slack = HoldingSlack(holdPost: holdingPost)
        try await slack.run { slackURL in
            let bench = try Workbench(inventory: oneZoneInventory(nodes: 2), operations: ["broken-change": Self.failing],
                                      strategies: ["one": singlePhaseStrategy("one", parallelism: 1, failureBudget: "5")])
            defer { bench.remove() }
            let settings = (bench.catalog as NSString).deletingLastPathComponent + "/integrations.yaml"
            try """
                public_url: https://waveline.example.com
                slack:
                  bot_token: env:WAVELINE_TEST_SLACK_TOKEN
                  signing_secret: env:WAVELINE_TEST_SLACK_SECRET
                  api_url: \(slackURL)/api
                  update_interval: 1s
                  channels:
                    default: C0DEPLOYS1
                """.write(toFile: settings, atomically: true, encoding: .utf8)
            let arguments = ["--integrations", settings]
            let environment = ["WAVELINE_TEST_SLACK_TOKEN": "xoxb-test-token-0123456789", "WAVELINE_TEST_SLACK_SECRET": "signing-secret-0123456789"]
            var deploymentID: Int64 = 0
            try await bench.withServer(extraArguments: arguments, environment: environment) { server in
                deploymentID = try await server.deploy("broken-change", selection: Selection(clusters: ["app-test"]), strategy: "one").deployment.id
                // Slack has taken the chosen message and holds its answer: the server has not recorded it.
                try await slack.waitUntilHolding()
                server.crash()
            }
            slack.release()
            try await bench.withServer(extraArguments: arguments, environment: environment) { server in
                _ = try await server.waitUntilFinal(deploymentID)
                let arrived = await eventually(timeout: .seconds(60)) {
                    let list: NotificationList? = try? await server.get("/api/v1/deployments/\(deploymentID)/notifications")
                    return list.map { $0.notifications.allSatisfy { $0.state == "sent" } && !$0.notifications.isEmpty } ?? false
                }
                #expect(arrived)
                let list: NotificationList = try await server.get("/api/v1/deployments/\(deploymentID)/notifications")
                let posts = slack.posts
                // Exactly once each: the parent and every reply.
                let markers = posts.map(\.messageID)
                #expect(Set(markers).count == markers.count, "posted twice: \(markers)")
                #expect(markers.filter { $0 == "parent" }.count == 1)
                // Every reply, in the order of its events, in the parent's thread.
                let expected = list.notifications.filter { $0.destination == "slack" && !($0.externalReference?.hasPrefix("parent") ?? false) }.map(\.messageId)
                let replies = posts.filter { $0.threadTS != nil }
                #expect(replies.map(\.messageID) == expected)
                #expect(expected.count == 3, "two failures and the outcome: \(expected)")
                let parentTS = posts.first { $0.messageID == "parent" }?.ts
                #expect(replies.allSatisfy { $0.threadTS == parentTS })
                #expect(list.thread?.parentTs == parentTS)
            }
        }
    }
}

/// Slack's Web API as far as the dispatcher uses it, in this process: it keeps what is posted (with its marker)
/// and, for the `holdPost`-th `chat.postMessage`, stores the message and then holds its answer until released, as
/// a Slack whose answer never reaches a server that died.
final class HoldingSlack: Sendable {
    struct Post: Sendable {
        var ts: String
        var threadTS: String?
        var messageID: String
        var text: String
    }

    let holdPost: Int
    private let state = Mutex<(posts: [Post], postCalls: Int, holding: Bool, released: Bool)>(([], 0, false, false))

    init(holdPost: Int) { self.holdPost = holdPost }

    var posts: [Post] { state.withLock { $0.posts } }

    func release() { state.withLock { $0.released = true } }

    func waitUntilHolding() async throws {
        guard await eventually(timeout: .seconds(60), { self.state.withLock { $0.holding } }) else {
            throw HarnessError("Slack never got post \(holdPost)")
        }
    }

    func run(_ body: (String) async throws -> Void) async throws {
        let router = Router()
        router.post("api/:method") { request, context -> Response in
            let body = try await request.body.collect(upTo: 4 << 20)
            let json = (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any] ?? [:]
            return try await self.answer(context.parameters.get("method") ?? "", json: json)
        }
        router.get("api/:method") { request, context -> Response in
            var query: [String: String] = [:]
            for (key, value) in request.uri.queryParameters { query[String(key)] = String(value) }
            return try await self.answer(context.parameters.get("method") ?? "", json: query)
        }
        var logger = Logger(label: "holding-slack")
        logger.logLevel = .critical
        let (ports, portInbox) = AsyncStream<Int>.makeStream()
        let application = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                                      onServerRunning: { portInbox.yield($0.localAddress?.port ?? 0) }, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await application.runService(gracefulShutdownSignals: []) }
            defer { group.cancelAll() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next(), port > 0 else { throw HarnessError("the fake Slack did not start") }
            try await body("http://127.0.0.1:\(port)")
        }
    }

    func answer(_ method: String, json: [String: Any]) async throws -> Response {
        switch method {
        case "chat.postMessage":
            let payload = (json["metadata"] as? [String: Any])?["event_payload"] as? [String: Any]
            let (post, hold) = state.withLock { state -> (Post, Bool) in
                state.postCalls += 1
                let post = Post(ts: String(format: "1800000000.%06d", state.postCalls), threadTS: json["thread_ts"] as? String,
                                messageID: payload?["message_id"] as? String ?? "?", text: json["text"] as? String ?? "")
                state.posts.append(post)
                let hold = state.postCalls == holdPost
                if hold { state.holding = true }
                return (post, hold)
            }
            if hold {
                // The server is killed meanwhile; this answer goes nowhere.
                _ = await eventually(timeout: .seconds(120)) { self.state.withLock { $0.released } }
            }
            return Self.json(["ok": true, "channel": "C0DEPLOYS1", "ts": post.ts, "message": ["ts": post.ts]])
        case "chat.update":
            return Self.json(["ok": true, "channel": "C0DEPLOYS1", "ts": json["ts"] as? String ?? "", "text": ""])
        case "conversations.history", "conversations.replies":
            let thread = json["ts"] as? String
            let messages = posts.filter { thread == nil ? $0.threadTS == nil : ($0.ts == thread || $0.threadTS == thread) }.map { post -> [String: Any] in
                var item: [String: Any] = ["type": "message", "ts": post.ts, "text": post.text,
                                           "metadata": ["event_type": "waveline_notification",
                                                        "event_payload": ["deployment_id": "1", "message_id": post.messageID]]]
                if let threadTS = post.threadTS { item["thread_ts"] = threadTS }
                return item
            }
            return Self.json(["ok": true, "has_more": false, "messages": messages])
        default:
            return Self.json(["ok": false, "error": "unknown_method"])
        }
    }

    static func json(_ object: [String: Any]) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object)) ?? Data()
        return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
