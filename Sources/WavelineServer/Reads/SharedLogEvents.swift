import NIOCore
import Synchronization
import WavelineAPI
import WavelineCore
import WavelineStore

/// The server-sent events of one batch of log lines, encoded once for every follower that shows that batch
/// the same way (same deployment, same node filter, same node names) instead of once per follower: with 50
/// followers of one log, JSON encoding per follower was three quarters of the server's CPU.
///
/// A batch is the unit `LiveFeed` publishes, so it is identified by its deployment and its first and last
/// ids; the few most recent batches are kept, and a follower that is further behind encodes for itself.
final class SharedLogEvents: Sendable {
    /// The log a follower follows, as it is shown: which deployment, which of its targets (nil: all), under which
    /// node names, framed how. Followers with equal ones get the same bytes.
    struct FollowedLog: Hashable, Sendable {
        var deployment: Int64
        var targets: Set<Int>?
        var nodeNames: [Int: String]
        var format: LogStreamFormat = .lines
    }

    private struct Key: Hashable {
        var log: FollowedLog
        var first: Int64
        var last: Int64
        var count: Int
    }

    /// One batch's bytes, made by the first follower to ask; the others wait for them instead of encoding too.
    private final class Cell: Sendable {
        let bytes = Mutex<ByteBuffer?>(nil)
    }

    static let shared = SharedLogEvents()

    /// About how many bytes a batch of lines holds while it waits for a follower (`LiveRelayEvent.weight`).
    static func weight(of lines: [LogLineRecord]) -> Int {
        lines.reduce(64) { $0 + 64 + $1.text.utf8.count }
    }
    private static let capacity = 64
    private let cells = Mutex<(byKey: [Key: Cell], order: [Key])>(([:], []))

    /// The events of the lines of `records` the followed log shows, in order, in its format.
    func events(_ records: [LogLineRecord], of log: FollowedLog) -> ByteBuffer {
        guard let first = records.first, let last = records.last else { return ByteBuffer() }
        let key = Key(log: log, first: first.id, last: last.id, count: records.count)
        let cell = cells.withLock { cells -> Cell in
            if let cell = cells.byKey[key] { return cell }
            let cell = Cell()
            cells.byKey[key] = cell
            cells.order.append(key)
            if cells.order.count > Self.capacity {
                cells.byKey[cells.order.removeFirst()] = nil
            }
            return cell
        }
        return cell.bytes.withLock { bytes in
            if let bytes { return bytes }
            let made = Self.encode(records, of: log)
            bytes = made
            return made
        }
    }

    /// The events of `records` as `log` shows them, written by the API's log event writer.
    static func encode(_ records: [LogLineRecord], of log: FollowedLog) -> ByteBuffer {
        var buffer = ByteBuffer()
        switch log.format {
        case .lines:
            buffer.reserveCapacity(records.count * 256)
            for record in records where log.targets?.contains(record.targetIndex) ?? true {
                LogEventWriter.writeLine(
                    id: record.id, node: log.nodeNames[record.targetIndex] ?? "?", seq: record.seq, time: record.time,
                    stream: record.stream.rawValue, step: record.step, text: record.text, into: &buffer
                )
            }
        case .batches:
            let shown = log.targets.map { targets in records.filter { targets.contains($0.targetIndex) } } ?? records
            buffer.reserveCapacity(shown.count * 160)
            var start = shown.startIndex
            while start < shown.endIndex {
                let end = min(start + LogBatchView.maximumLines, shown.endIndex)
                writeBatch(shown[start..<end], nodeNames: log.nodeNames, into: &buffer)
                start = end
            }
        }
        return buffer
    }

    /// One `event: lines`: a run per stretch of lines of one target, stream and step.
    static func writeBatch(_ records: ArraySlice<LogLineRecord>, nodeNames: [Int: String], into buffer: inout ByteBuffer) {
        guard let last = records.last else { return }
        var event = LogBatchEvent.begin(lastID: last.id, into: &buffer)
        var previous: LogLineRecord?
        for record in records {
            let sameRun = previous.map { $0.targetIndex == record.targetIndex && $0.stream == record.stream && $0.step == record.step } ?? false
            if !sameRun {
                event.startRun(node: nodeNames[record.targetIndex] ?? "?", stream: record.stream.rawValue, step: record.step, into: &buffer)
            }
            event.appendLine(id: record.id, seq: record.seq, time: record.time, text: record.text, into: &buffer)
            previous = record
        }
        event.end(into: &buffer)
    }
}
