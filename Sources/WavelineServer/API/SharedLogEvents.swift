import Foundation
import NIOCore
import Synchronization
import WavelineCore
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
        var format: LogStreamFormat = .lines
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

    /// The events of the lines of `records` the scope shows, in order, in the scope's format.
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
        switch scope.format {
        case .lines:
            buffer.reserveCapacity(records.count * 256)
            for record in records where scope.targets?.contains(record.targetIndex) ?? true {
                writeEvent(record, node: scope.nodeNames[record.targetIndex] ?? "?", into: &buffer)
            }
        case .batches:
            let shown = scope.targets.map { targets in records.filter { targets.contains($0.targetIndex) } } ?? records
            buffer.reserveCapacity(shown.count * 160)
            var start = shown.startIndex
            while start < shown.endIndex {
                let end = min(start + LogBatchView.maximumLines, shown.endIndex)
                writeBatch(shown[start..<end], nodeNames: scope.nodeNames, into: &buffer)
                start = end
            }
        }
        return buffer
    }

    /// One `event: lines` whose id is its last line's and whose data is a `LogBatchView`: the lines in runs of
    /// the same node, stream and step, each line `[id, seq, time, text]`. Per line that is about 40 % fewer
    /// bytes than an `event: log` and one event instead of one per line, which is what a follower pays for.
    static func writeBatch(_ records: ArraySlice<LogLineRecord>, nodeNames: [Int: String], into buffer: inout ByteBuffer) {
        guard let last = records.last else { return }
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 64) { raw in
            var out = RawWriter(base: raw.baseAddress!)
            out.literal("event: lines\nid: ")
            out.decimal(last.id)
            out.literal("\ndata: {\"runs\":[")
            return out.count
        }
        var previous: LogLineRecord?
        for record in records {
            let node = nodeNames[record.targetIndex] ?? "?"
            let time = jsonNumber(record.time)
            let sameRun = previous.map { $0.targetIndex == record.targetIndex && $0.stream == record.stream && $0.step == record.step } ?? false
            let header = sameRun ? 0 : node.utf8.count + record.stream.rawValue.utf8.count + (record.step?.utf8.count ?? 0)
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 128 + time.utf8.count + 6 * (header + record.text.utf8.count)) { raw in
                var out = RawWriter(base: raw.baseAddress!)
                if sameRun {
                    out.byte(UInt8(ascii: ","))
                } else {
                    if previous != nil { out.literal("]},") }
                    out.literal("{\"node\":")
                    out.jsonString(node)
                    out.streamAndStep(of: record)
                    out.literal(",\"lines\":[")
                }
                out.byte(UInt8(ascii: "["))
                out.decimal(record.id)
                out.byte(UInt8(ascii: ","))
                out.decimal(Int64(record.seq))
                out.byte(UInt8(ascii: ","))
                out.utf8(time)
                out.byte(UInt8(ascii: ","))
                out.jsonString(record.text)
                out.byte(UInt8(ascii: "]"))
                return out.count
            }
            previous = record
        }
        buffer.writeStaticString("]}]}\n\n")
    }

    /// One `event: log` with its id and its `LogLineView` as JSON, written in place after reserving the most
    /// it can take (every string byte escaped as \u00XX): one capacity check per event instead of one per piece.
    static func writeEvent(_ record: LogLineRecord, node: String, into buffer: inout ByteBuffer) {
        let time = jsonNumber(record.time)
        let strings = node.utf8.count + record.stream.rawValue.utf8.count + (record.step?.utf8.count ?? 0) + record.text.utf8.count
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 160 + time.utf8.count + 6 * strings) { raw in
            var out = RawWriter(base: raw.baseAddress!)
            out.literal("event: log\nid: ")
            out.decimal(record.id)
            out.literal("\ndata: {\"id\":")
            out.decimal(record.id)
            out.literal(",\"node\":")
            out.jsonString(node)
            out.literal(",\"seq\":")
            out.decimal(Int64(record.seq))
            out.literal(",\"time\":")
            out.utf8(time)
            out.streamAndStep(of: record)
            out.literal(",\"text\":")
            out.jsonString(record.text)
            out.literal("}\n\n")
            return out.count
        }
    }

    /// A double as JSONEncoder writes it: the shortest text that reads back as the same value, without a
    /// trailing ".0". Log times are finite; a non-finite one (which JSON cannot hold) is written as 0.
    static func jsonNumber(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        let text = value.description
        return text.hasSuffix(".0") ? String(text.dropLast(2)) : text
    }

    /// Writes at a raw cursor into room the caller reserved.
    private struct RawWriter {
        let base: UnsafeMutableRawPointer
        var count = 0

        mutating func bytes(_ bytes: UnsafeRawBufferPointer) {
            guard let start = bytes.baseAddress, bytes.count > 0 else { return }
            (base + count).copyMemory(from: start, byteCount: bytes.count)
            count += bytes.count
        }

        mutating func byte(_ byte: UInt8) {
            base.storeBytes(of: byte, toByteOffset: count, as: UInt8.self)
            count += 1
        }

        mutating func literal(_ text: StaticString) {
            bytes(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
        }

        mutating func utf8(_ text: String) {
            var text = text
            text.withUTF8 { bytes(UnsafeRawBufferPointer($0)) }
        }

        mutating func decimal(_ value: Int64) {
            if value < 0 { byte(UInt8(ascii: "-")) }
            var rest = value.magnitude
            var digits = 1
            var probe = rest
            while probe >= 10 { probe /= 10; digits += 1 }
            var index = count + digits - 1
            repeat {
                base.storeBytes(of: UInt8(truncatingIfNeeded: 48 + rest % 10), toByteOffset: index, as: UInt8.self)
                rest /= 10
                index -= 1
            } while rest > 0
            count += digits
        }

        /// `,"stream":…` and, for a line of a step, `,"step":…`: the fields of a line and of a run alike.
        mutating func streamAndStep(of record: LogLineRecord) {
            literal(",\"stream\":")
            jsonString(record.stream.rawValue)
            if let step = record.step {
                literal(",\"step\":")
                jsonString(step)
            }
        }

        /// A string as a JSON string: quotes, backslashes and control characters escaped, the rest as UTF-8.
        mutating func jsonString(_ string: String) {
            var string = string
            byte(UInt8(ascii: "\""))
            string.withUTF8 { text in
                var start = 0
                for index in text.indices {
                    let char = text[index]
                    guard char < 0x20 || char == UInt8(ascii: "\"") || char == UInt8(ascii: "\\") else { continue }
                    bytes(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: text[start..<index])))
                    switch char {
                    case UInt8(ascii: "\""): literal("\\\"")
                    case UInt8(ascii: "\\"): literal("\\\\")
                    case 0x0A: literal("\\n")
                    case 0x0D: literal("\\r")
                    case 0x09: literal("\\t")
                    case 0x08: literal("\\b")
                    case 0x0C: literal("\\f")
                    default:
                        let hex: StaticString = "0123456789abcdef"
                        literal("\\u00")
                        byte(hex.utf8Start[Int(char >> 4)])
                        byte(hex.utf8Start[Int(char & 0x0F)])
                    }
                    start = index + 1
                }
                bytes(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: text[start...])))
            }
            byte(UInt8(ascii: "\""))
        }
    }
}
