import Foundation
import NIOCore

/// One server-sent event (`text/event-stream`), and the only place the server writes the format's text:
/// `event:`, `id:` and `data:` lines and the blank line that ends an event, or a comment line (`: …`), which
/// a client ignores and a proxy sees as traffic.
public struct ServerSentEvent: Sendable, Hashable {
    /// The event's name; nil: the format's default, `message`.
    public var event: String?
    /// The id a client sends back as `Last-Event-ID` to resume after it.
    public var id: String?
    /// The data; each line of it goes on a `data:` line of its own.
    public var data: String

    public init(event: String? = nil, id: String? = nil, data: String) {
        self.event = event
        self.id = id
        self.data = data
    }

    /// An event whose data is `value` as JSON, on one line.
    public init(event: String? = nil, id: String? = nil, json value: some Encodable) throws {
        self.init(event: event, id: id, data: String(decoding: try JSONEncoder().encode(value), as: UTF8.self))
    }

    /// The event's text, appended to `buffer`.
    public func write(into buffer: inout ByteBuffer) {
        // A line break in the name or the id would end the field early and start another: dropped.
        if let event { buffer.writeString("event: \(Self.oneLine(event))\n") }
        if let id { buffer.writeString("id: \(Self.oneLine(id))\n") }
        for line in data.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) {
            buffer.writeString("data: ")
            buffer.writeSubstring(line)
            buffer.writeString("\n")
        }
        buffer.writeString("\n")
    }

    private static func oneLine(_ text: String) -> String {
        text.contains(where: \.isNewline) ? String(text.filter { !$0.isNewline }) : text
    }

    /// The event's text.
    public var bytes: ByteBuffer {
        var buffer = ByteBuffer()
        write(into: &buffer)
        return buffer
    }

    /// A comment line: nothing for the client, but bytes on the connection (a heartbeat, or a word that the
    /// stream is open).
    public static func comment(_ text: String) -> ByteBuffer {
        ByteBuffer(string: ": \(text)\n\n")
    }

    /// The `: heartbeat` comment live responses send while nothing happens, so a client that went away is
    /// noticed at the next write.
    public static var heartbeat: ByteBuffer { comment("heartbeat") }

    /// Tells the client how long to wait before it reconnects, with a comment.
    public static func retry(milliseconds: Int, comment text: String) -> ByteBuffer {
        ByteBuffer(string: "retry: \(milliseconds)\n: \(text)\n\n")
    }

    /// The first lines of an event with a numeric id, written at a raw cursor: the log events write their
    /// data straight after, for speed (see `LogEventWriter`).
    static func writeHead(event: StaticString, id: Int64, into out: inout RawWriter) {
        out.literal("event: ")
        out.literal(event)
        out.literal("\nid: ")
        out.decimal(id)
        out.literal("\ndata: ")
    }

    /// The end of an event whose data is on one line.
    static let end: StaticString = "\n\n"
}
