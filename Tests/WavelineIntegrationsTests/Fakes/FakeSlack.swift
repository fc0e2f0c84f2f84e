import Foundation
import Synchronization
import WavelineIntegrations

/// Slack's Web API as far as Waveline uses it: keeps the messages posted (with their metadata) per channel, so
/// that updates, replies and the marker search behave as Slack's do. `failing` makes a method answer `ok:false`
/// with the given code.
final class FakeSlack: FakeBehaviour {
    let service = FakeService.slack

    struct Message: Sendable {
        var channel: String
        var ts: String
        var threadTS: String?
        var text: String
        var blocks: JSONValue?
        var metadata: JSONValue?
        var broadcast: Bool
    }

    private let state = Mutex<(messages: [Message], clock: Int, failing: [String: String])>(([], 0, [:]))
    /// Channels that exist; others answer `channel_not_found`.
    let channels: Set<String>

    /// Pages of history and replies hold this many messages, to exercise the cursor.
    let pageSize: Int

    init(channels: Set<String> = ["C0DEPLOYS1", "C0KAFKAPRD"], pageSize: Int = 2) {
        self.channels = channels
        self.pageSize = pageSize
    }

    var messages: [Message] { state.withLock { $0.messages } }

    /// `method` (e.g. `chat.postMessage`) answers `ok:false, error: code` from now on; nil to stop.
    func fail(_ method: String, with code: String?) { state.withLock { $0.failing[method] = code } }

    func answer(_ request: RecordedRequest, endpoint: EndpointDescription, captured: [String]) -> FakeAnswer {
        let method = String(request.path.dropFirst("/api/".count))
        if let code = state.withLock({ $0.failing[method] }) { return FakeAnswer(status: 200, body: ["ok": false, "error": .string(code)]) }
        let body = request.body ?? .null
        let channel = body["channel"]?.stringValue ?? request.query["channel"] ?? ""
        guard channels.contains(channel) else { return FakeAnswer(status: 200, body: ["ok": false, "error": "channel_not_found"]) }
        switch method {
        case "chat.postMessage":
            let message = state.withLock { state -> Message in
                state.clock += 1
                let message = Message(channel: channel, ts: String(format: "1700000000.%06d", state.clock),
                                      threadTS: body["thread_ts"]?.stringValue, text: body["text"]?.stringValue ?? "",
                                      blocks: body["blocks"], metadata: body["metadata"], broadcast: body["reply_broadcast"]?.boolValue ?? false)
                state.messages.append(message)
                return message
            }
            return FakeAnswer(status: 200, body: ["ok": true, "channel": .string(channel), "ts": .string(message.ts),
                                                  "message": ["text": .string(message.text), "ts": .string(message.ts)]])
        case "chat.update":
            let ts = body["ts"]?.stringValue ?? ""
            let found = state.withLock { state -> Bool in
                guard let index = state.messages.firstIndex(where: { $0.channel == channel && $0.ts == ts }) else { return false }
                state.messages[index].text = body["text"]?.stringValue ?? ""
                state.messages[index].blocks = body["blocks"]
                return true
            }
            guard found else { return FakeAnswer(status: 200, body: ["ok": false, "error": "message_not_found"]) }
            return FakeAnswer(status: 200, body: ["ok": true, "channel": .string(channel), "ts": .string(ts), "text": body["text"] ?? "",
                                                  "message": ["text": body["text"] ?? ""]])
        case "chat.postEphemeral":
            return FakeAnswer(status: 200, body: ["ok": true, "message_ts": "1700000099.000001"])
        case "conversations.history", "conversations.replies":
            let thread = request.query["ts"]
            let oldest = request.query["oldest"].flatMap(Double.init) ?? 0
            let all = messages.filter { message in
                guard message.channel == channel, (Double(message.ts) ?? 0) >= oldest else { return false }
                if let thread { return message.ts == thread || message.threadTS == thread }
                return message.threadTS == nil || message.broadcast
            }
            let start = request.query["cursor"].flatMap(Int.init) ?? 0
            let page = Array(all.dropFirst(start).prefix(pageSize))
            let hasMore = start + page.count < all.count
            var answer: [String: JSONValue] = [
                "ok": true, "has_more": .bool(hasMore),
                "messages": .array(page.map { message in
                    var item: [String: JSONValue] = ["type": "message", "ts": .string(message.ts), "text": .string(message.text)]
                    if let threadTS = message.threadTS { item["thread_ts"] = .string(threadTS) }
                    // Slack returns metadata only when asked with include_all_metadata.
                    if request.query["include_all_metadata"] == "true", let metadata = message.metadata { item["metadata"] = metadata }
                    return .object(item)
                }),
            ]
            answer["response_metadata"] = ["next_cursor": .string(hasMore ? String(start + page.count) : "")]
            return FakeAnswer(status: 200, body: .object(answer))
        default:
            return FakeAnswer(status: 200, body: ["ok": false, "error": "unknown_method"])
        }
    }
}
