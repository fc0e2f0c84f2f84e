/// What a Slack message says: the notification text and the Block Kit blocks. With blocks, `text` is what
/// notifications and screen readers show; Slack recommends always sending it.
public struct SlackMessageContent: Sendable, Hashable {
    public var text: String
    public var blocks: [JSONValue]

    public init(text: String, blocks: [JSONValue] = []) {
        self.text = text
        self.blocks = blocks
    }
}

/// Waveline's mark on a message it posts, in the message's `metadata`: which deployment and which outbox
/// message it is. After a crash between posting and recording, the sender looks for the mark in the channel
/// (`SlackClient.findMessage`) instead of posting a second time.
public struct SlackMarker: Sendable, Hashable, Codable {
    /// The `metadata.event_type` of every message Waveline posts.
    public static let eventType = "waveline_notification"

    public var deploymentID: Int64
    /// The outbox's id of the message: unique per message Waveline means to send.
    public var messageID: String

    public init(deploymentID: Int64, messageID: String) {
        self.deploymentID = deploymentID
        self.messageID = messageID
    }

    /// `{"event_type": "waveline_notification", "event_payload": {"deployment_id": "412", "message_id": "…"}}`;
    /// values as strings, so no JSON number precision question arises.
    public var metadata: JSONValue {
        ["event_type": .string(Self.eventType),
         "event_payload": ["deployment_id": .string(String(deploymentID)), "message_id": .string(messageID)]]
    }

    /// The marker a message's `metadata` carries, if it is Waveline's.
    public init?(metadata: JSONValue?) {
        guard let metadata, metadata["event_type"]?.stringValue == Self.eventType,
              let payload = metadata["event_payload"],
              let deployment = payload["deployment_id"]?.stringValue.flatMap({ Int64($0) })
                ?? payload["deployment_id"]?.numberValue.map({ Int64($0) }),
              let message = payload["message_id"]?.stringValue else { return nil }
        self.init(deploymentID: deployment, messageID: message)
    }
}

/// A message to post with `chat.postMessage`.
public struct SlackMessage: Sendable, Hashable {
    /// A channel ID (`C0123ABCD`) or name (`#deploys`).
    public var channel: String
    public var content: SlackMessageContent
    /// The parent's `ts` to reply in its thread; nil for a new parent.
    public var threadTS: String?
    /// A reply that is also shown in the channel (`reply_broadcast`): for failures.
    public var broadcast: Bool
    public var marker: SlackMarker?

    public init(channel: String, content: SlackMessageContent, threadTS: String? = nil, broadcast: Bool = false,
                marker: SlackMarker? = nil) {
        self.channel = channel
        self.content = content
        self.threadTS = threadTS
        self.broadcast = broadcast
        self.marker = marker
    }
}

/// Where a posted message is: store both to reply in its thread (`threadTS`) or update it. `ts` stays a string:
/// it is the message's id, not a number.
public struct SlackMessageReference: Sendable, Hashable, Codable {
    public var channel: String
    public var ts: String

    public init(channel: String, ts: String) {
        self.channel = channel
        self.ts = ts
    }
}

/// A message read back from `conversations.history` or `conversations.replies`.
public struct SlackFoundMessage: Sendable, Hashable {
    public var reference: SlackMessageReference
    public var threadTS: String?
    public var marker: SlackMarker?
    public var text: String
}
