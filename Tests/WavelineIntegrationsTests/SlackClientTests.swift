import Foundation
import Testing
import WavelineIntegrations

@Suite("Slack client against the fake Slack")
struct SlackClientTests {
    static func client(_ url: String) -> SlackClient { SlackClient(baseURL: url + "/api", botToken: "xoxb-test-token") }

    @Test("post a parent, reply in its thread (broadcast), update the parent, answer one person: every request conforms")
    func everyCall() async throws {
        let slack = FakeSlack()
        try await withFakeServer(slack) { url, recorder in
            let client = Self.client(url)
            let marker = SlackMarker(deploymentID: 412, messageID: "m-1")
            let parent = try await client.postMessage(SlackMessage(
                channel: "C0DEPLOYS1", content: SlackMessageContent(text: "Deployment #412", blocks: [["type": "section", "text": ["type": "mrkdwn", "text": "hi"]]]),
                marker: marker))
            #expect(parent.channel == "C0DEPLOYS1" && !parent.ts.isEmpty)
            let reply = try await client.postMessage(SlackMessage(
                channel: "C0DEPLOYS1", content: SlackMessageContent(text: "node failed"), threadTS: parent.ts, broadcast: true,
                marker: SlackMarker(deploymentID: 412, messageID: "m-2")))
            let updated = try await client.updateMessage(parent, content: SlackMessageContent(text: "Deployment #412: done"))
            #expect(updated == parent)
            let ephemeral = try await client.postEphemeral(channel: "C0DEPLOYS1", user: "U0ALICE", content: SlackMessageContent(text: "no"))
            #expect(!ephemeral.isEmpty)
            #expect(recorder.problems == [])
            let requests = recorder.requests
            #expect(requests.map(\.endpoint) == ["POST /api/chat.postMessage", "POST /api/chat.postMessage", "POST /api/chat.update", "POST /api/chat.postEphemeral"])
            #expect(requests.allSatisfy { $0.headers["authorization"] == "Bearer xoxb-test-token" })
            #expect(requests[0].body?["metadata"] == marker.metadata)
            #expect(requests[1].body?["thread_ts"]?.stringValue == parent.ts && requests[1].body?["reply_broadcast"] == true)
            let stored = slack.messages
            #expect(stored.count == 2 && stored[0].text == "Deployment #412: done" && stored[1].threadTS == parent.ts)
            _ = reply
        }
    }

    @Test("a message is found again by its marker, across pages of the channel and of the thread")
    func reconcileByMarker() async throws {
        try await withFakeServer(FakeSlack(pageSize: 2)) { url, recorder in
            let client = Self.client(url)
            var parent: SlackMessageReference?
            for index in 1...5 {
                let posted = try await client.postMessage(SlackMessage(
                    channel: "C0DEPLOYS1", content: SlackMessageContent(text: "parent \(index)"),
                    marker: SlackMarker(deploymentID: Int64(index), messageID: "p")))
                if index == 4 { parent = posted }
            }
            let thread = try #require(parent)
            for index in 1...3 {
                _ = try await client.postMessage(SlackMessage(
                    channel: "C0DEPLOYS1", content: SlackMessageContent(text: "reply \(index)"), threadTS: thread.ts,
                    marker: SlackMarker(deploymentID: 4, messageID: "r\(index)")))
            }
            let foundParent = try await client.findMessage(marker: SlackMarker(deploymentID: 4, messageID: "p"), channel: "C0DEPLOYS1")
            #expect(foundParent?.reference == thread && foundParent?.text == "parent 4")
            let foundReply = try await client.findMessage(marker: SlackMarker(deploymentID: 4, messageID: "r3"), channel: "C0DEPLOYS1", threadTS: thread.ts)
            #expect(foundReply?.text == "reply 3" && foundReply?.threadTS == thread.ts)
            let absent = try await client.findMessage(marker: SlackMarker(deploymentID: 4, messageID: "never"), channel: "C0DEPLOYS1", threadTS: thread.ts)
            #expect(absent == nil)
            #expect(recorder.problems == [])
            #expect(recorder.requests.contains { $0.endpoint == "GET /api/conversations.history" && $0.query["cursor"] != nil })
        }
    }

    @Test("HTTP 429 with Retry-After is the typed rate-limited error carrying the delay; without the header, one second")
    func rateLimited() async throws {
        try await withFakeServer(FakeSlack()) { url, recorder in
            let client = Self.client(url)
            recorder.mode = .rateLimited(retryAfter: 7)
            let message = SlackMessage(channel: "C0DEPLOYS1", content: SlackMessageContent(text: "x"))
            await #expect(throws: DeliveryError.rateLimited(retryAfter: .seconds(7), detail: "Slack chat.postMessage: HTTP 429 Too Many Requests")) {
                _ = try await client.postMessage(message)
            }
            recorder.mode = .rateLimited(retryAfter: nil)
            if let error = await deliveryFailure({
                _ = try await client.postMessage(message)
            }) {
                guard case .rateLimited(let delay, _) = error else { Issue.record("got \(error)"); return }
                #expect(delay == .seconds(1))
            }
        }
    }

    @Test("5xx and temporary codes are transient; channel_not_found, invalid_auth, msg_too_long, invalid_blocks are permanent")
    func classification() async throws {
        let slack = FakeSlack()
        try await withFakeServer(slack) { url, recorder in
            let client = Self.client(url)
            let message = SlackMessage(channel: "C0DEPLOYS1", content: SlackMessageContent(text: "x"))
            recorder.mode = .serverError(503)
            if let error = await deliveryFailure({ _ = try await client.postMessage(message) }) {
                guard case .transient(let detail, _) = error else { Issue.record("got \(error)"); return }
                #expect(detail.contains("HTTP 503"))
            }
            recorder.mode = .normal
            for code in ["fatal_error", "service_unavailable", "request_timeout"] {
                slack.fail("chat.postMessage", with: code)
                if let error = await deliveryFailure({ _ = try await client.postMessage(message) }) {
                    #expect(error == .transient(detail: "Slack chat.postMessage: \(code)"))
                }
            }
            for code in ["invalid_auth", "msg_too_long", "invalid_blocks", "not_in_channel"] {
                slack.fail("chat.postMessage", with: code)
                if let error = await deliveryFailure({ _ = try await client.postMessage(message) }) {
                    #expect(error == .permanent(detail: "Slack chat.postMessage: \(code)"))
                    #expect(!error.isRetryable)
                }
            }
            slack.fail("chat.postMessage", with: nil)
            if let error = await deliveryFailure({ _ = try await client.postMessage(SlackMessage(channel: "C0NOSUCH1", content: SlackMessageContent(text: "x"))) }) {
                #expect(error == .permanent(detail: "Slack chat.postMessage: channel_not_found"))
            }
        }
    }

    @Test("a refused connection is transient, and the detail names the address but no token")
    func connectionRefused() async throws {
        let url = try await closedPortURL()
        let client = Self.client(url)
        if let error = await deliveryFailure({
            _ = try await client.postMessage(SlackMessage(channel: "C0DEPLOYS1", content: SlackMessageContent(text: "x")))
        }) {
            guard case .transient(let detail, _) = error else { Issue.record("got \(error)"); return }
            #expect(detail.contains("cannot reach \(url)/api/chat.postMessage"))
            #expect(!detail.contains("xoxb"))
        }
        #expect(!"\(client)".contains("xoxb"))
    }

    @Test("over-long text and blocks are cut with a visible note before sending, never refused")
    func sizeLimits() async throws {
        try await withFakeServer(FakeSlack()) { url, recorder in
            let client = Self.client(url)
            let huge = String(repeating: "é", count: 50_000)
            let blocks: [JSONValue] = (0..<60).map { _ in ["type": "section", "text": ["type": "mrkdwn", "text": .string(String(repeating: "x", count: 4_000))]] }
            _ = try await client.postMessage(SlackMessage(channel: "C0DEPLOYS1", content: SlackMessageContent(text: huge, blocks: blocks)))
            let body = try #require(recorder.requests.last?.body)
            let text = try #require(body["text"]?.stringValue)
            #expect(text.utf16.count <= SlackLimits.maximumText && text.hasSuffix("more characters not shown]"))
            let sent = try #require(body["blocks"]?.arrayValue)
            #expect(sent.count == SlackLimits.maximumBlocks)
            for block in sent {
                #expect((block["text"]?["text"]?.stringValue?.utf16.count ?? 0) <= SlackLimits.maximumSectionText)
            }
            let total = sent.compactMap { $0["text"]?["text"]?.stringValue?.utf16.count }.reduce(0, +)
                + sent.compactMap { $0["elements"]?.arrayValue?.first?["text"]?.stringValue?.utf16.count }.reduce(0, +)
            #expect(total <= SlackLimits.maximumBlocksText)
            #expect(sent.contains { $0["type"]?.stringValue == "context" && ($0["elements"]?.arrayValue?.first?["text"]?.stringValue?.contains("more parts of this message are not shown") ?? false) })
            #expect(recorder.problems == [])
        }
    }
}
