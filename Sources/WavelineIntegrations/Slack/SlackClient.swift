import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Slack's Web API as Waveline's bot uses it: post, update and reply in a deployment's thread, answer one person
/// privately, and find its own messages again by their marker.
///
/// Writes are JSON bodies (`application/json; charset=utf-8`) with `Authorization: Bearer <bot token>`, as Slack
/// recommends for `chat.postMessage`; reads are GETs with query parameters. Every message is first fitted to
/// `SlackLimits`. Every method throws only `DeliveryError`:
/// - HTTP 429 → `.rateLimited(retryAfter:)` from `Retry-After`;
/// - 5xx, a connection failure, or `ok:false` with a temporary code (`SlackClient.transientErrors`) → `.transient`;
/// - any other `ok:false` (`channel_not_found`, `invalid_auth`, `msg_too_long`, `invalid_blocks`, …) → `.permanent`.
///
/// It does not retry or pace itself: one call is one request, so the delivery worker owns back-off, the one
/// message per second per channel, and the parent's update interval.
public struct SlackClient: Sendable, CustomStringConvertible {
    /// `https://slack.com/api`, or a local server in tests and the demo; no trailing slash.
    public let baseURL: String
    private let botToken: String
    private let transport: ServiceTransport

    /// Codes Slack documents as temporary (`shared/reference/integrations.md`, "Errors worth handling").
    /// `fatal_error` may have partly succeeded: look for the message by its marker before sending again.
    public static let transientErrors: Set<String> = [
        "fatal_error", "service_unavailable", "request_timeout", "internal_error", "team_added_to_org",
    ]
    /// `ok:false` codes that mean "too fast" even without HTTP 429.
    public static let rateLimitErrors: Set<String> = ["ratelimited", "rate_limited"]

    public init(baseURL: String = "https://slack.com/api", botToken: String, http: HTTPClient = IntegrationHTTP.client,
                timeout: TimeAmount = .seconds(10)) {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
        self.botToken = botToken
        self.transport = ServiceTransport(http: http, timeout: timeout)
    }

    /// Never shows the token.
    public var description: String { "SlackClient(\(baseURL))" }

    // MARK: Writes

    /// `chat.postMessage`: a new parent (no `threadTS`) or a reply in a thread, with the marker in `metadata`.
    public func postMessage(_ message: SlackMessage) async throws(DeliveryError) -> SlackMessageReference {
        var body = Self.contentFields(message.content)
        body["channel"] = .string(message.channel)
        if let thread = message.threadTS {
            body["thread_ts"] = .string(thread)
            if message.broadcast { body["reply_broadcast"] = true }
        }
        if let marker = message.marker { body["metadata"] = marker.metadata }
        // Links to Waveline pages need no preview in every message.
        body["unfurl_links"] = false
        body["unfurl_media"] = false
        let answer = try await call("chat.postMessage", body: body)
        return try reference(answer, method: "chat.postMessage", fallbackChannel: message.channel)
    }

    /// `chat.update`: replaces the text and blocks of a message the bot posted (the thread's parent).
    public func updateMessage(_ message: SlackMessageReference, content: SlackMessageContent,
                              marker: SlackMarker? = nil) async throws(DeliveryError) -> SlackMessageReference {
        var body = Self.contentFields(content)
        body["channel"] = .string(message.channel)
        body["ts"] = .string(message.ts)
        if let marker { body["metadata"] = marker.metadata }
        let answer = try await call("chat.update", body: body)
        return try reference(answer, method: "chat.update", fallbackChannel: message.channel)
    }

    /// `chat.postEphemeral`: a message only `user` sees (a refusal of a button press). Returns its `message_ts`.
    @discardableResult
    public func postEphemeral(channel: String, user: String, content: SlackMessageContent,
                              threadTS: String? = nil) async throws(DeliveryError) -> String {
        var body = Self.contentFields(content)
        body["channel"] = .string(channel)
        body["user"] = .string(user)
        if let threadTS { body["thread_ts"] = .string(threadTS) }
        let answer = try await call("chat.postEphemeral", body: body)
        guard let ts = answer["message_ts"]?.stringValue else {
            throw .transient(detail: "Slack chat.postEphemeral: the answer has no message_ts")
        }
        return ts
    }

    // MARK: Reads

    /// The message that carries `marker`: among the thread's replies when `threadTS` is given
    /// (`conversations.replies`), else among the channel's messages since `oldest` (`conversations.history`, a
    /// `ts` such as the one the deployment started at). Reads at most `pageLimit` pages of 200; nil when not found.
    ///
    /// The reconciliation step: before sending again a message whose sending was not recorded, look for it.
    public func findMessage(marker: SlackMarker, channel: String, threadTS: String? = nil, oldest: String? = nil,
                            pageLimit: Int = 5) async throws(DeliveryError) -> SlackFoundMessage? {
        var cursor: String?
        for _ in 0..<max(1, pageLimit) {
            let page = try await messages(channel: channel, threadTS: threadTS, oldest: oldest, cursor: cursor)
            if let found = page.messages.first(where: { $0.marker == marker }) { return found }
            guard let next = page.nextCursor else { return nil }
            cursor = next
        }
        return nil
    }

    /// One page of a channel's history (`threadTS` nil) or of a thread's replies, with each message's metadata.
    public func messages(channel: String, threadTS: String? = nil, oldest: String? = nil, cursor: String? = nil,
                         limit: Int = 200) async throws(DeliveryError) -> (messages: [SlackFoundMessage], nextCursor: String?) {
        let method = threadTS == nil ? "conversations.history" : "conversations.replies"
        var query: [(String, String)] = [("channel", channel), ("include_all_metadata", "true"), ("limit", String(limit))]
        if let threadTS { query.append(("ts", threadTS)) }
        if let oldest { query.append(("oldest", oldest)) }
        if let cursor { query.append(("cursor", cursor)) }
        let answer = try await call(method, query: query)
        let found = (answer["messages"]?.arrayValue ?? []).compactMap { item -> SlackFoundMessage? in
            guard let ts = item["ts"]?.stringValue else { return nil }
            return SlackFoundMessage(reference: SlackMessageReference(channel: channel, ts: ts),
                                     threadTS: item["thread_ts"]?.stringValue,
                                     marker: SlackMarker(metadata: item["metadata"]),
                                     text: item["text"]?.stringValue ?? "")
        }
        let next = answer["response_metadata"]?["next_cursor"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        let hasMore = answer["has_more"]?.boolValue ?? (next != nil)
        return (found, hasMore ? next : nil)
    }

    // MARK: The exchange

    static func contentFields(_ content: SlackMessageContent) -> [String: JSONValue] {
        let fitted = SlackLimits.fit(content)
        var body: [String: JSONValue] = ["text": .string(fitted.text)]
        if !fitted.blocks.isEmpty { body["blocks"] = .array(fitted.blocks) }
        return body
    }

    private func reference(_ answer: JSONValue, method: String, fallbackChannel: String) throws(DeliveryError) -> SlackMessageReference {
        guard let ts = answer["ts"]?.stringValue else {
            throw .transient(detail: "Slack \(method): the answer has no ts")
        }
        return SlackMessageReference(channel: answer["channel"]?.stringValue ?? fallbackChannel, ts: ts)
    }

    /// POST with a JSON body (`body` non-nil) or GET with `query`; the answer's JSON when `ok` is true.
    func call(_ method: String, body: [String: JSONValue]? = nil, query: [(String, String)] = []) async throws(DeliveryError) -> JSONValue {
        var url = "\(baseURL)/\(method)"
        if !query.isEmpty { url += "?" + query.map { "\(Self.formEncode($0.0))=\(Self.formEncode($0.1))" }.joined(separator: "&") }
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Authorization", value: "Bearer \(botToken)")
        if let body {
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
            request.body = .bytes(ByteBuffer(bytes: JSONValue.object(body).encoded()))
        } else {
            request.method = .GET
        }
        let service = "Slack \(method)"
        let response = try await transport.send(request, service: service)
        guard let answer = try? JSONValue.decode(response.body), answer["ok"]?.boolValue != nil else {
            let quoted = ServiceTransport.quote(response.body)
            if response.status.code >= 400 {
                throw .permanent(detail: "\(service): HTTP \(response.status.code) \(quoted)")
            }
            throw .transient(detail: "\(service): the answer is not Slack's JSON: \(quoted)")
        }
        if answer["ok"]?.boolValue == true { return answer }
        let code = answer["error"]?.stringValue ?? "unknown_error"
        var detail = "\(service): \(code)"
        if code == "missing_scope" {
            detail += " (needed: \(answer["needed"]?.stringValue ?? "?"); the app has: \(answer["provided"]?.stringValue ?? "?"))"
        }
        if Self.rateLimitErrors.contains(code) {
            throw .rateLimited(retryAfter: ServiceTransport.retryAfter(response.headers) ?? .seconds(1), detail: detail)
        }
        if Self.transientErrors.contains(code) { throw .transient(detail: detail) }
        throw .permanent(detail: detail)
    }

    /// Percent-encoding for a query value: only unreserved characters stay.
    static func formEncode(_ text: String) -> String {
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
