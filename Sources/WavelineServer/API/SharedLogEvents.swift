import Foundation
import NIOCore
import Synchronization
import WavelineStore

/// The server-sent events of one batch of log lines, encoded once for every follower that shows that batch
/// the same way (same deployment, same node filter, same node names) instead of once per follower: with 50
/// followers of one log, JSON encoding per follower was three quarters of the server's CPU.
///
/// A batch is the unit `LiveFeed` publishes, so it is identified by its deployment and its first and last
/// ids; the few most recent batches are kept, and a follower that is further behind encodes for itself.
final class SharedLogEvents: Sendable {
    struct Scope: Hashable, Sendable {
        var deployment: Int64
        var targets: Set<Int>?
        var nodeNames: [Int: String]
    }

    private struct Key: Hashable {
        var scope: Scope
        var first: Int64
        var last: Int64
        var count: Int
    }

    /// One batch's bytes, made by the first follower to ask; the others wait for them instead of encoding too.
    private final class Cell: Sendable {
        let bytes = Mutex<ByteBuffer?>(nil)
    }

    static let shared = SharedLogEvents()
    private static let capacity = 64
    private let cells = Mutex<(byKey: [Key: Cell], order: [Key])>(([:], []))

    /// The events (`event: log`, `id`, `data`) of the lines of `records` the scope shows, in order.
    func events(_ records: [LogLineRecord], scope: Scope) throws -> ByteBuffer {
        guard let first = records.first, let last = records.last else { return ByteBuffer() }
        let key = Key(scope: scope, first: first.id, last: last.id, count: records.count)
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
        return try cell.bytes.withLock { bytes in
            if let bytes { return bytes }
            let made = try Self.encode(records, scope: scope)
            bytes = made
            return made
        }
    }

    static func encode(_ records: [LogLineRecord], scope: Scope) throws -> ByteBuffer {
        let encoder = JSONEncoder()
        var buffer = ByteBuffer()
        for record in records where scope.targets?.contains(record.targetIndex) ?? true {
            let line = LogLineView(record, node: scope.nodeNames[record.targetIndex] ?? "?")
            buffer.writeString("event: log\nid: \(line.id)\ndata: ")
            buffer.writeBytes(try encoder.encode(line))
            buffer.writeString("\n\n")
        }
        return buffer
    }
}
