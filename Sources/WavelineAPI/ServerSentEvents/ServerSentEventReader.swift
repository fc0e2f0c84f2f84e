/// Reads a `text/event-stream` on the client side, a chunk at a time as it arrives: the events it completes,
/// in order. Comment lines (a heartbeat) are skipped; an event without data is not dispatched, but its id still
/// counts, as the format says.
public struct ServerSentEventReader: Sendable {
    /// The most bytes one line may take by default: a batch of the log stream is one line of at most a few MiB.
    public static let defaultLineLimit = 64 << 20

    public struct LineTooLong: Error, CustomStringConvertible {
        public var limit: Int
        public var description: String { "the server sent an event line longer than \(limit) bytes" }
    }

    /// The most bytes one line may take before the stream is refused: a server that never ends a line would
    /// otherwise grow the client's buffer without bound.
    public let lineLimit: Int

    /// The id of the last event read (or of a later `id:` line): what to send as `Last-Event-ID` to resume.
    public private(set) var lastEventID: String?
    private var pending: [UInt8] = []
    private var event: String?
    private var data: [String] = []
    private var hasData = false

    public init(lastEventID: String? = nil, lineLimit: Int = ServerSentEventReader.defaultLineLimit) {
        self.lastEventID = lastEventID
        self.lineLimit = lineLimit
    }

    /// Reads `bytes`, the next part of the stream; the events it completes, each with the last event id as it
    /// stood when the event ended.
    public mutating func read(_ bytes: some Sequence<UInt8>) throws -> [ServerSentEvent] {
        // Only the new bytes are searched for a line's end: a long line arriving in many chunks costs no rescans.
        var searchFrom = pending.endIndex
        pending.append(contentsOf: bytes)
        var events: [ServerSentEvent] = []
        var start = pending.startIndex
        while let newline = pending[searchFrom...].firstIndex(of: UInt8(ascii: "\n")) {
            var end = newline
            if end > start, pending[end - 1] == UInt8(ascii: "\r") { end -= 1 }
            let line = String(decoding: pending[start..<end], as: UTF8.self)
            start = newline + 1
            searchFrom = start
            if let event = take(line) { events.append(event) }
        }
        pending.removeSubrange(pending.startIndex..<start)
        guard pending.count <= lineLimit else { throw LineTooLong(limit: lineLimit) }
        return events
    }

    /// One line: a field, a comment, or the blank line that ends an event.
    private mutating func take(_ line: String) -> ServerSentEvent? {
        if line.isEmpty {
            defer {
                event = nil
                data = []
                hasData = false
            }
            guard hasData else { return nil }
            return ServerSentEvent(event: event ?? "message", id: lastEventID, data: data.joined(separator: "\n"))
        }
        if line.hasPrefix(":") { return nil }
        let field: Substring
        var value: Substring
        if let colon = line.firstIndex(of: ":") {
            field = line[..<colon]
            value = line[line.index(after: colon)...]
            if value.hasPrefix(" ") { value = value.dropFirst() }
        } else {
            field = line[...]
            value = ""
        }
        switch field {
        case "event": event = String(value)
        case "data":
            data.append(String(value))
            hasData = true
        case "id" where !value.contains("\0"): lastEventID = String(value)
        default: break
        }
        return nil
    }
}
