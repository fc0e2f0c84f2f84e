#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Turns the bytes of one output stream into lines, as they arrive.
///
/// A line ends at `\n`; the `\n` and a `\r` just before it are dropped. A line longer than `maxLineBytes` is
/// cut into pieces of at most that many bytes (at a UTF-8 character boundary when there is one nearby), so a
/// program that prints a huge line without a newline cannot grow the buffer without bound. Invalid UTF-8 is
/// repaired with U+FFFD. Only the unfinished tail of the current line is kept between chunks. Every piece of a
/// cut line but its last says so (`continues`).
struct LineAssembler {
    /// One line, or one piece of an over-long line.
    struct Piece: Hashable {
        var text: String
        /// More of the same line follows in the next piece.
        var continues = false
    }

    /// 64 KiB: the longest piece of a line that is held or handed on at once.
    static let defaultMaxLineBytes = 64 * 1024

    let maxLineBytes: Int
    private var pending: [UInt8] = []

    init(maxLineBytes: Int = LineAssembler.defaultMaxLineBytes) {
        self.maxLineBytes = max(maxLineBytes, 4)
    }

    /// Appends one chunk and returns the lines (and pieces of over-long lines) it completes, in order.
    mutating func append(_ chunk: UnsafeRawBufferPointer) -> [Piece] {
        var lines: [Piece] = []
        let bytes = chunk.bindMemory(to: UInt8.self)
        var start = 0
        while start < bytes.count {
            guard let newline = Self.firstNewline(in: bytes, from: start) else {
                pending.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start...]))
                emitPiecesOfPending(into: &lines)
                break
            }
            if pending.isEmpty {
                Self.emitLine(UnsafeBufferPointer(rebasing: bytes[start..<newline]), maxBytes: maxLineBytes, into: &lines)
            } else {
                pending.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<newline]))
                pending.withUnsafeBufferPointer { Self.emitLine($0, maxBytes: maxLineBytes, into: &lines) }
                pending.removeAll(keepingCapacity: true)
            }
            start = newline + 1
        }
        return lines
    }

    /// The last line when the stream ended without a newline, if any.
    mutating func finish() -> [Piece] {
        guard !pending.isEmpty else { return [] }
        var lines: [Piece] = []
        pending.withUnsafeBufferPointer { Self.emitLine($0, maxBytes: maxLineBytes, into: &lines) }
        pending.removeAll()
        return lines
    }

    /// Hands on full pieces of an unfinished over-long line. One byte more than a piece is kept back so that a
    /// lone `\r` (the first half of `\r\n`) never becomes a piece of its own.
    private mutating func emitPiecesOfPending(into lines: inout [Piece]) {
        guard pending.count > maxLineBytes + 1 else { return }
        var consumed = 0
        pending.withUnsafeBufferPointer { buffer in
            while buffer.count - consumed > maxLineBytes + 1 {
                let rest = UnsafeBufferPointer(rebasing: buffer[consumed...])
                let cut = Self.pieceLength(rest, maxBytes: maxLineBytes)
                lines.append(Piece(text: String(decoding: UnsafeBufferPointer(rebasing: rest[..<cut]), as: UTF8.self), continues: true))
                consumed += cut
            }
        }
        pending.removeFirst(consumed)
    }

    /// Emits one complete line (without its `\n`), cut into pieces when it is too long.
    private static func emitLine(_ line: UnsafeBufferPointer<UInt8>, maxBytes: Int, into lines: inout [Piece]) {
        var rest = line
        if rest.last == 0x0D { rest = UnsafeBufferPointer(rebasing: rest.dropLast()) }
        while rest.count > maxBytes {
            let cut = pieceLength(rest, maxBytes: maxBytes)
            lines.append(Piece(text: String(decoding: UnsafeBufferPointer(rebasing: rest[..<cut]), as: UTF8.self), continues: true))
            rest = UnsafeBufferPointer(rebasing: rest[cut...])
        }
        lines.append(Piece(text: String(decoding: rest, as: UTF8.self)))
    }

    /// Index of the next `\n` at or after `start`; `memchr` because output can be many megabytes.
    private static func firstNewline(in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        guard let base = bytes.baseAddress, start < bytes.count else { return nil }
        guard let found = memchr(base + start, 0x0A, bytes.count - start) else { return nil }
        return UnsafeRawPointer(found) - UnsafeRawPointer(base)
    }

    /// `maxBytes`, moved back by up to three bytes so a piece does not end inside a UTF-8 character.
    private static func pieceLength(_ bytes: UnsafeBufferPointer<UInt8>, maxBytes: Int) -> Int {
        var cut = maxBytes
        while cut > maxBytes - 3, bytes[cut] & 0xC0 == 0x80 { cut -= 1 }
        return bytes[cut] & 0xC0 == 0x80 ? maxBytes : cut
    }
}
