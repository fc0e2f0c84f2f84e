import Foundation
import NIOCore
import Testing
import WavelineAPI
import WavelineCore
import WavelineStore
@testable import WavelineServer

/// The log stream's events are written by hand (JSONEncoder per line was most of the fan-out's CPU): each must
/// be one well-formed event whose data decodes to exactly the `LogLineView` JSONEncoder would have written.
struct LogEventEncodingTests {
    static let texts = [
        "plain", "", "quote \" backslash \\ slash /", "tab\tnewline\ncarriage return\r", "\u{0}\u{1}\u{8}\u{c}\u{1f}\u{7f}",
        "ünïcødé ✓ ▶ 🚀", "</script><b>&amp;", "separators \u{2028}\u{2029}", "\"\\\"", "0 1795305404.080994 line",
    ]
    static let times: [Double] = [0, 1, -3.25, 1795305404.0812402, 1e-7, 123456789012345.5, 1e16, 0.1 + 0.2]

    static func records() -> [LogLineRecord] {
        var records: [LogLineRecord] = []
        for (i, text) in texts.enumerated() {
            for (j, time) in times.enumerated() {
                let id = Int64(records.count + 1)
                records.append(LogLineRecord(
                    id: id, deploymentId: 3, targetIndex: (i + j) % 3, seq: records.count * 7 + 1, time: time,
                    stream: [LogStream.stdout, .stderr, .system][j % 3], step: j % 4 == 1 ? nil : "step \"\(j)\" ✓", text: text
                ))
            }
        }
        return records
    }

    static func events(_ buffer: ByteBuffer) -> [Substring] {
        String(buffer: buffer).split(separator: "\n\n", omittingEmptySubsequences: false).dropLast().map { $0 }
    }

    @Test func everyEventDecodesToTheViewJSONEncoderWrites() throws {
        let records = Self.records()
        let names = [0: "node-0", 1: "nöde \"1\"", 2: "n\\2"]
        let buffer = SharedLogEvents.encode(records, of: .init(deployment: 3, targets: nil, nodeNames: names))
        let events = Self.events(buffer)
        try #require(events.count == records.count)
        for (event, record) in zip(events, records) {
            // Three fields, and no raw line break inside a field (which would cut the event).
            let fields = event.split(separator: "\n", omittingEmptySubsequences: false)
            #expect(!event.contains("\r"))
            try #require(fields.count == 3)
            #expect(fields[0] == "event: log")
            #expect(fields[1] == "id: \(record.id)")
            #expect(fields[2].hasPrefix("data: "))
            let decoded = try JSONDecoder().decode(LogLineView.self, from: Data(fields[2].dropFirst(6).utf8))
            let view = LogLineView(record, node: names[record.targetIndex]!)
            #expect(decoded == view)
            #expect(decoded == (try JSONDecoder().decode(LogLineView.self, from: JSONEncoder().encode(view))))
        }
    }

    @Test func aNodeFilterKeepsOnlyThatNodesLines() throws {
        let records = Self.records()
        let buffer = SharedLogEvents.encode(records, of: .init(deployment: 3, targets: [1], nodeNames: [1: "one"]))
        let ids = Self.events(buffer).map { $0.split(separator: "\n")[1] }
        #expect(ids == records.filter { $0.targetIndex == 1 }.map { "id: \($0.id)"[...] })
    }

    /// `format=batches`: the events, each a `LogBatchView` with its id, in order.
    static func batches(_ buffer: ByteBuffer) throws -> [(id: Int64, batch: LogBatchView)] {
        try events(buffer).map { event in
            let fields = event.split(separator: "\n", omittingEmptySubsequences: false)
            try #require(fields.count == 3, "\(event)")
            #expect(fields[0] == "event: lines")
            let id = try #require(Int64(fields[1].dropFirst(4)), "\(fields[1])")
            #expect(fields[1].hasPrefix("id: "))
            #expect(fields[2].hasPrefix("data: "))
            return (id, try JSONDecoder().decode(LogBatchView.self, from: Data(fields[2].dropFirst(6).utf8)))
        }
    }

    @Test func batchesHoldTheSameLinesInRunsOfOneNodeStreamAndStep() throws {
        let records = Self.records()
        let names = [0: "node-0", 1: "nöde \"1\"", 2: "n\\2"]
        let buffer = SharedLogEvents.encode(records, of: .init(deployment: 3, targets: nil, nodeNames: names, format: .batches))
        #expect(!String(buffer: buffer).contains("\r"))
        let batches = try Self.batches(buffer)
        try #require(batches.count == 1)
        #expect(batches[0].id == records.last?.id, "the event's id is its last line's: where a reconnect resumes")
        #expect(batches[0].batch.lines == records.map { LogLineView($0, node: names[$0.targetIndex]!) })
        // Runs are as long as they can be: two neighbours never share node, stream and step.
        for (run, next) in zip(batches[0].batch.runs, batches[0].batch.runs.dropFirst()) {
            #expect(run.node != next.node || run.stream != next.stream || run.step != next.step)
        }
    }

    @Test func aLongBatchIsCutIntoEventsOfAtMostTheMaximumAndANodeFilterApplies() throws {
        let count = LogBatchView.maximumLines * 2 + 500
        let records = (1...count).map { index in
            LogLineRecord(id: Int64(index) * 2, deploymentId: 3, targetIndex: index % 2, seq: index, time: Double(index) / 4,
                          stream: .stdout, step: "print", text: "line \(index)")
        }
        let names = [0: "even", 1: "odd"]
        let all = try Self.batches(SharedLogEvents.encode(records, of: .init(deployment: 3, targets: nil, nodeNames: names, format: .batches)))
        #expect(all.map { $0.batch.lines.count } == [LogBatchView.maximumLines, LogBatchView.maximumLines, 500])
        #expect(all.map(\.id) == all.map { $0.batch.lines.last!.id })
        #expect(all.flatMap { $0.batch.lines.map(\.id) } == records.map(\.id))
        #expect(all[0].batch.runs.count == LogBatchView.maximumLines, "alternating nodes: a run per line")

        let odd = try Self.batches(SharedLogEvents.encode(records, of: .init(deployment: 3, targets: [1], nodeNames: [1: "odd"], format: .batches)))
        let oddRecords = records.filter { $0.targetIndex == 1 }
        #expect(odd.flatMap { $0.batch.lines } == oddRecords.map { LogLineView($0, node: "odd") })
        #expect(odd.flatMap(\.batch.runs).count == 2, "one node's lines: one run per event")
    }
}
