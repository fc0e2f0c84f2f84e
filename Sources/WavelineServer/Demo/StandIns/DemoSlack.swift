import Foundation
import Synchronization
import WavelineIntegrations

/// The demo's Slack: the few Web API methods Waveline calls (chat.postMessage, chat.update, chat.postEphemeral,
/// conversations.history, conversations.replies), answered as Slack does, keeping what was posted in memory so
/// updates, replies and the marker search after a crash behave as Slack's. Any channel exists. It keeps at most
/// `capacity` messages (the oldest go first), so a long demo does not grow without bound.
final class DemoSlack: Sendable {
    struct Message: Sendable {
        var channel: String
        var ts: String
        var threadTS: String?
        var text: String
        var metadata: JSONValue?
        var broadcast: Bool
        var edited: Bool
    }

    static let capacity = 2_000
    /// Messages per page of history and replies, as Slack's default `limit` allows.
    static let pageSize = 100

    let botToken: String
    private let state = Mutex<(messages: [Message], clock: Int)>(([], 0))

    init(botToken: String) { self.botToken = botToken }

    var messages: [Message] { state.withLock { $0.messages } }

    /// Answers `method` (the path after `/api/`) with Slack's JSON.
    func answer(method: String, authorization: String?, body: JSONValue?, query: [String: String]) -> JSONValue {
        guard authorization == "Bearer \(botToken)" else { return ["ok": false, "error": "invalid_auth"] }
        let body = body ?? .null
        let channel = body["channel"]?.stringValue ?? query["channel"] ?? ""
        guard !channel.isEmpty else { return ["ok": false, "error": "channel_not_found"] }
        switch method {
        case "chat.postMessage":
            let message = state.withLock { state -> Message in
                state.clock += 1
                let message = Message(channel: channel, ts: String(format: "1700000000.%06d", state.clock),
                                      threadTS: body["thread_ts"]?.stringValue, text: body["text"]?.stringValue ?? "",
                                      metadata: body["metadata"], broadcast: body["reply_broadcast"]?.boolValue ?? false, edited: false)
                state.messages.append(message)
                if state.messages.count > Self.capacity { state.messages.removeFirst(state.messages.count - Self.capacity) }
                return message
            }
            return ["ok": true, "channel": .string(channel), "ts": .string(message.ts),
                    "message": ["text": .string(message.text), "ts": .string(message.ts)]]
        case "chat.update":
            let ts = body["ts"]?.stringValue ?? ""
            let found = state.withLock { state -> Bool in
                guard let index = state.messages.firstIndex(where: { $0.channel == channel && $0.ts == ts }) else { return false }
                state.messages[index].text = body["text"]?.stringValue ?? ""
                state.messages[index].edited = true
                return true
            }
            guard found else { return ["ok": false, "error": "message_not_found"] }
            return ["ok": true, "channel": .string(channel), "ts": .string(ts), "text": body["text"] ?? ""]
        case "chat.postEphemeral":
            return ["ok": true, "message_ts": "1700000099.000001"]
        case "conversations.history", "conversations.replies":
            let thread = query["ts"]
            let oldest = query["oldest"].flatMap(Double.init) ?? 0
            let all = messages.filter { message in
                guard message.channel == channel, (Double(message.ts) ?? 0) >= oldest else { return false }
                if let thread { return message.ts == thread || message.threadTS == thread }
                return message.threadTS == nil || message.broadcast
            }
            let start = query["cursor"].flatMap(Int.init) ?? 0
            let limit = min(Self.pageSize, max(1, query["limit"].flatMap(Int.init) ?? Self.pageSize))
            let page = Array(all.dropFirst(start).prefix(limit))
            let hasMore = start + page.count < all.count
            return [
                "ok": true, "has_more": .bool(hasMore),
                "messages": .array(page.map { message in
                    var item: [String: JSONValue] = ["type": "message", "ts": .string(message.ts), "text": .string(message.text)]
                    if let threadTS = message.threadTS { item["thread_ts"] = .string(threadTS) }
                    // As Slack: metadata only when asked with include_all_metadata.
                    if query["include_all_metadata"] == "true", let metadata = message.metadata { item["metadata"] = metadata }
                    return .object(item)
                }),
                "response_metadata": ["next_cursor": .string(hasMore ? String(start + page.count) : "")],
            ]
        default:
            return ["ok": false, "error": "unknown_method"]
        }
    }

    /// `/demo/slack`: every thread as plain text, parent first, then its replies.
    func transcript() -> String {
        let all = messages
        let parents = all.filter { $0.threadTS == nil }
        guard !parents.isEmpty else { return "Nothing was posted yet.\n" }
        var lines: [String] = ["The demo's Slack: what Waveline posted (kept in memory, the latest \(Self.capacity) messages).", ""]
        for parent in parents {
            lines.append("#\(parent.channel)  \(parent.ts)\(parent.edited ? "  (edited)" : "")")
            lines.append(indent(parent.text, by: "  "))
            for reply in all where reply.threadTS == parent.ts {
                lines.append("  ↳ \(reply.ts)\(reply.broadcast ? "  (also sent to the channel)" : "")")
                lines.append(indent(reply.text, by: "    "))
            }
            lines.append("")
        }
        return lines.joined(separator: "\n")
    }
}

func indent(_ text: String, by prefix: String) -> String {
    text.split(separator: "\n", omittingEmptySubsequences: false).map { prefix + $0 }.joined(separator: "\n")
}
