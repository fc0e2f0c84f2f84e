import Foundation
import NIOCore
import Testing
import WavelineAPI
import WavelineCore

/// The one server-sent event writer and the client's reader agree: what one writes, the other reads back,
/// however the bytes are cut into chunks on the way.
struct ServerSentEventTests {
    static let events = [
        ServerSentEvent(event: "log", id: "7", data: #"{"id":7,"text":"a"}"#),
        ServerSentEvent(event: "end", data: #"{"status":"succeeded"}"#),
        ServerSentEvent(event: "message", id: "8", data: "two\nlines"),
        ServerSentEvent(event: "change", id: "9", data: ""),
        ServerSentEvent(event: "message", id: "9", data: "  leading spaces: kept but one"),
    ]

    /// The events' text, with a heartbeat, a retry and a comment between them, as a live response sends them.
    static func stream() -> ByteBuffer {
        var buffer = ServerSentEvent.retry(milliseconds: 1000, comment: "listening")
        for (index, event) in events.enumerated() {
            event.write(into: &buffer)
            if index == 1 {
                var heartbeat = ServerSentEvent.heartbeat
                buffer.writeBuffer(&heartbeat)
            }
        }
        return buffer
    }

    /// Each event as read: the name the reader gives it and its id (the last one seen, as the format says).
    static var expected: [ServerSentEvent] {
        var lastID: String?
        return events.map { event in
            lastID = event.id ?? lastID
            return ServerSentEvent(event: event.event ?? "message", id: lastID, data: event.data)
        }
    }

    @Test func whatTheWriterWritesTheReaderReadsBack() throws {
        var reader = ServerSentEventReader()
        let read = try reader.read(Self.stream().readableBytesView)
        #expect(read == Self.expected)
        #expect(reader.lastEventID == "9")
    }

    @Test func theSameEventsComeOutWhereverTheStreamIsCut() throws {
        let bytes = Array(Self.stream().readableBytesView)
        for cut in 0...bytes.count {
            var reader = ServerSentEventReader()
            let read = try reader.read(bytes[..<cut]) + reader.read(bytes[cut...])
            #expect(read == Self.expected, "cut at \(cut)")
        }
        var reader = ServerSentEventReader()
        var read: [ServerSentEvent] = []
        for byte in bytes { read += try reader.read([byte]) }
        #expect(read == Self.expected, "a byte at a time")
    }

    @Test func theWriterFramesEventsAsTheFormatSays() {
        #expect(String(buffer: ServerSentEvent(event: "end", data: #"{"status":"failed"}"#).bytes) == "event: end\ndata: {\"status\":\"failed\"}\n\n")
        #expect(String(buffer: ServerSentEvent(event: "change", id: "3", data: #"{"deployment":5}"#).bytes) == "event: change\nid: 3\ndata: {\"deployment\":5}\n\n")
        #expect(String(buffer: ServerSentEvent(data: "a\nb").bytes) == "data: a\ndata: b\n\n")
        #expect(String(buffer: ServerSentEvent(data: "").bytes) == "data: \n\n")
        // A line break never cuts a field: the name and id lose theirs, the data gets a line per line.
        #expect(String(buffer: ServerSentEvent(event: "a\nb", id: "1\r2", data: "x\r\ny\rz").bytes) == "event: ab\nid: 12\ndata: x\ndata: y\ndata: z\n\n")
        #expect(String(buffer: ServerSentEvent.heartbeat) == ": heartbeat\n\n")
        #expect(String(buffer: ServerSentEvent.retry(milliseconds: 1000, comment: "listening")) == "retry: 1000\n: listening\n\n")
    }

    @Test func aJSONEventCarriesTheValueOnOneDataLine() throws {
        let event = try ServerSentEvent(event: "end", json: LogStreamEnd(status: .succeeded))
        #expect(String(buffer: event.bytes) == "event: end\ndata: {\"status\":\"succeeded\"}\n\n")
    }

    @Test func carriageReturnLineEndsAndFieldsWithoutASpaceAreRead() throws {
        var reader = ServerSentEventReader(lastEventID: "1")
        let read = try reader.read(Array("event:lines\r\nid:5\r\ndata:x\r\n\r\n: comment\nunknown: field\ndata: y\n\n".utf8))
        #expect(read == [ServerSentEvent(event: "lines", id: "5", data: "x"), ServerSentEvent(event: "message", id: "5", data: "y")])
    }

    @Test func aLineWithoutEndIsRefusedPastTheLimitInsteadOfGrowingWithoutBound() throws {
        var reader = ServerSentEventReader(lineLimit: 1000)
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 100)
        for _ in 0..<10 { _ = try reader.read(chunk) }
        #expect(throws: ServerSentEventReader.LineTooLong.self) { try reader.read(chunk) }
        // Lines up to the limit, however many, are fine.
        var ending = ServerSentEventReader(lineLimit: 1000)
        for _ in 0..<100 { #expect(try ending.read(Array("data: \(String(repeating: "a", count: 900))\n\n".utf8)).count == 1) }
    }

    @Test func logEventsReadBackAsTheirViews() throws {
        let lines = [
            LogLineView(id: 1, node: "n\"1", seq: 1, time: 1795305404.0812402, stream: "stdout", step: "s ✓", text: "tab\tnl\n\u{1}"),
            LogLineView(id: 2, node: "n\"1", seq: 2, time: 0.5, stream: "stdout", step: "s ✓", text: "</script>"),
            LogLineView(id: 4, node: "n2", seq: 1, time: -3.25, stream: "system", step: nil, text: ""),
        ]
        var buffer = ByteBuffer()
        for line in lines { LogEventWriter.writeLine(line, into: &buffer) }
        var batch = LogBatchEvent.begin(lastID: 4, into: &buffer)
        batch.startRun(node: "n\"1", stream: "stdout", step: "s ✓", into: &buffer)
        for line in lines.prefix(2) { batch.appendLine(id: line.id, seq: line.seq, time: line.time, text: line.text, into: &buffer) }
        batch.startRun(node: "n2", stream: "system", step: nil, into: &buffer)
        batch.appendLine(id: 4, seq: 1, time: -3.25, text: "", into: &buffer)
        batch.end(into: &buffer)

        var reader = ServerSentEventReader()
        let events = try reader.read(buffer.readableBytesView)
        try #require(events.count == 4)
        for (event, line) in zip(events, lines) {
            #expect(event.event == "log")
            #expect(event.id == String(line.id))
            #expect(try JSONDecoder().decode(LogLineView.self, from: Data(event.data.utf8)) == line)
        }
        #expect(events[3].event == "lines")
        #expect(events[3].id == "4")
        let decoded = try JSONDecoder().decode(LogBatchView.self, from: Data(events[3].data.utf8))
        #expect(decoded.lines == lines)
        #expect(decoded.runs.count == 2)
    }

    @Test func everyOperatorActionPostsToItsRoute() {
        for action in OperatorAction.allCases {
            let request = OperatorActionRequest(deployment: 42, action: action, nodes: ["a"], reason: "why")
            #expect(request.path == "/api/v1/deployments/42/actions/\(action.rawValue)")
            #expect(request.body.nodes == ["a"])
            #expect(request.body.reason == "why")
        }
    }
}
