import NIOCore

/// Writes the log stream's events straight into a buffer: `event: log` (one `LogLineView`) and `event: lines`
/// (one `LogBatchView`). The JSON has those types' fields and values, as their `Encodable` conformances give
/// them, in a fixed order; JSONEncoder's per-value machinery (a container, a dictionary and a `Data` per line)
/// cost more than the rest of the encoding, and a busy log is encoded for many followers.
public enum LogEventWriter {
    /// One `event: log` with the line's id and its `LogLineView` as JSON, written in place after reserving the
    /// most it can take (every string byte escaped as \u00XX): one capacity check per event instead of one per piece.
    public static func writeLine(
        id: Int64, node: String, seq: Int, time: Double, stream: String, step: String?, text: String,
        into buffer: inout ByteBuffer
    ) {
        let time = jsonNumber(time)
        let strings = node.utf8.count + stream.utf8.count + (step?.utf8.count ?? 0) + text.utf8.count
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 160 + time.utf8.count + 6 * strings) { raw in
            var out = RawWriter(base: raw.baseAddress!)
            ServerSentEvent.writeHead(event: "log", id: id, into: &out)
            out.literal("{\"id\":")
            out.decimal(id)
            out.literal(",\"node\":")
            out.jsonString(node)
            out.literal(",\"seq\":")
            out.decimal(Int64(seq))
            out.literal(",\"time\":")
            out.utf8(time)
            out.streamAndStep(stream: stream, step: step)
            out.literal(",\"text\":")
            out.jsonString(text)
            out.literal("}")
            out.literal(ServerSentEvent.end)
            return out.count
        }
    }

    /// `line` as an `event: log`.
    public static func writeLine(_ line: LogLineView, into buffer: inout ByteBuffer) {
        writeLine(id: line.id, node: line.node, seq: line.seq, time: line.time, stream: line.stream, step: line.step, text: line.text, into: &buffer)
    }

    /// A double as JSONEncoder writes it: the shortest text that reads back as the same value, without a
    /// trailing ".0". Log times are finite; a non-finite one (which JSON cannot hold) is written as 0.
    public static func jsonNumber(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        let text = value.description
        return text.hasSuffix(".0") ? String(text.dropLast(2)) : text
    }
}

/// One `event: lines` being written: its id is its last line's and its data a `LogBatchView`, the lines in runs
/// (the caller says where one starts), each line `[id, seq, time, text]`. Per line that is about 40 % fewer
/// bytes than an `event: log`, and one event instead of one per line, which is what a follower pays for.
///
/// `begin`, then for each run `startRun` and its lines with `appendLine`, then `end`, all into the same buffer.
public struct LogBatchEvent {
    private var runs = 0
    private var linesInRun = 0

    /// Writes the event's head: `lastID` is the id of the last line the batch will hold.
    public static func begin(lastID: Int64, into buffer: inout ByteBuffer) -> LogBatchEvent {
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 64) { raw in
            var out = RawWriter(base: raw.baseAddress!)
            ServerSentEvent.writeHead(event: "lines", id: lastID, into: &out)
            out.literal("{\"runs\":[")
            return out.count
        }
        return LogBatchEvent()
    }

    /// Starts a run of lines that share a node, a stream and a step.
    public mutating func startRun(node: String, stream: String, step: String?, into buffer: inout ByteBuffer) {
        let strings = node.utf8.count + stream.utf8.count + (step?.utf8.count ?? 0)
        let first = runs == 0
        runs += 1
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 64 + 6 * strings) { raw in
            var out = RawWriter(base: raw.baseAddress!)
            if !first { out.literal("]},") }
            out.literal("{\"node\":")
            out.jsonString(node)
            out.streamAndStep(stream: stream, step: step)
            out.literal(",\"lines\":[")
            return out.count
        }
        linesInRun = 0
    }

    /// Appends a line to the run started last.
    public mutating func appendLine(id: Int64, seq: Int, time: Double, text: String, into buffer: inout ByteBuffer) {
        let time = LogEventWriter.jsonNumber(time)
        let first = linesInRun == 0
        linesInRun += 1
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 64 + time.utf8.count + 6 * text.utf8.count) { raw in
            var out = RawWriter(base: raw.baseAddress!)
            if !first { out.byte(UInt8(ascii: ",")) }
            out.byte(UInt8(ascii: "["))
            out.decimal(id)
            out.byte(UInt8(ascii: ","))
            out.decimal(Int64(seq))
            out.byte(UInt8(ascii: ","))
            out.utf8(time)
            out.byte(UInt8(ascii: ","))
            out.jsonString(text)
            out.byte(UInt8(ascii: "]"))
            return out.count
        }
    }

    /// Closes the last run and the event.
    public func end(into buffer: inout ByteBuffer) {
        buffer.writeStaticString(runs == 0 ? "]}" : "]}]}")
        buffer.writeStaticString(ServerSentEvent.end)
    }
}

/// Writes at a raw cursor into room the caller reserved.
struct RawWriter {
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
    mutating func streamAndStep(stream: String, step: String?) {
        literal(",\"stream\":")
        jsonString(stream)
        if let step {
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
