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

    /// Writes each event straight into one buffer. The JSON has `LogLineView`'s fields and values, as its
    /// `Encodable` conformance gives them, in a fixed order; JSONEncoder's per-value machinery (a container,
    /// a dictionary and a `Data` per line) cost more than the rest of the encoding.
    static func encode(_ records: [LogLineRecord], scope: Scope) throws -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(records.count * 256)
        for record in records where scope.targets?.contains(record.targetIndex) ?? true {
            writeEvent(record, node: scope.nodeNames[record.targetIndex] ?? "?", into: &buffer)
        }
        return buffer
    }

    /// One `event: log` with its id and its `LogLineView` as JSON.
    static func writeEvent(_ record: LogLineRecord, node: String, into buffer: inout ByteBuffer) {
        buffer.writeStaticString("event: log\nid: ")
        buffer.writeString(String(record.id))
        buffer.writeStaticString("\ndata: {\"id\":")
        buffer.writeString(String(record.id))
        buffer.writeStaticString(",\"node\":")
        writeJSONString(node, into: &buffer)
        buffer.writeStaticString(",\"seq\":")
        buffer.writeString(String(record.seq))
        buffer.writeStaticString(",\"time\":")
        writeJSONNumber(record.time, into: &buffer)
        buffer.writeStaticString(",\"stream\":")
        writeJSONString(record.stream, into: &buffer)
        if let step = record.step {
            buffer.writeStaticString(",\"step\":")
            writeJSONString(step, into: &buffer)
        }
        buffer.writeStaticString(",\"text\":")
        writeJSONString(record.text, into: &buffer)
        buffer.writeStaticString("}\n\n")
    }

    /// A double as JSONEncoder writes it: the shortest text that reads back as the same value, without a
    /// trailing ".0". Log times are finite; a non-finite one (which JSON cannot hold) is written as 0.
    static func writeJSONNumber(_ value: Double, into buffer: inout ByteBuffer) {
        guard value.isFinite else {
            buffer.writeStaticString("0")
            return
        }
        let text = value.description
        buffer.writeString(text.hasSuffix(".0") ? String(text.dropLast(2)) : text)
    }

    /// A string as a JSON string: quotes, backslashes and control characters escaped, the rest as UTF-8.
    static func writeJSONString(_ string: String, into buffer: inout ByteBuffer) {
        var string = string
        buffer.writeInteger(UInt8(ascii: "\""))
        string.withUTF8 { bytes in
            var start = 0
            for index in bytes.indices {
                let byte = bytes[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                buffer.writeBytes(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[start..<index])))
                switch byte {
                case UInt8(ascii: "\""): buffer.writeStaticString("\\\"")
                case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
                case 0x0A: buffer.writeStaticString("\\n")
                case 0x0D: buffer.writeStaticString("\\r")
                case 0x09: buffer.writeStaticString("\\t")
                case 0x08: buffer.writeStaticString("\\b")
                case 0x0C: buffer.writeStaticString("\\f")
                default:
                    let hex: StaticString = "0123456789abcdef"
                    buffer.writeStaticString("\\u00")
                    buffer.writeInteger(hex.utf8Start[Int(byte >> 4)])
                    buffer.writeInteger(hex.utf8Start[Int(byte & 0x0F)])
                }
                start = index + 1
            }
            buffer.writeBytes(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[start...])))
        }
        buffer.writeInteger(UInt8(ascii: "\""))
    }
}
