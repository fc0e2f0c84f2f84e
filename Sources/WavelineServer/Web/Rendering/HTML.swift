import Foundation
/// Why typed Swift rendering instead of Mustache templates: every page is a function from a view model to
/// `HTML`, checked by the compiler (a renamed field breaks the build, not a page at run time), and escaping is
/// decided by the type, not by remembering `{{` versus `{{{`: interpolating any value into `HTML` escapes it,
/// and only another `HTML` value (built the same way) is inserted as markup. There is one escaping function,
/// `HTML.escape`, and no other way to put text into a page.

/// A fragment of markup that is safe to send: made of literal markup written in this module and escaped values.
struct HTML: Sendable, Hashable, CustomStringConvertible, ExpressibleByStringInterpolation {
    private(set) var text: String

    /// Markup written here, in the source: trusted as is. Never pass data through this initializer.
    init(unsafeMarkup text: String) { self.text = text }

    init(stringLiteral value: String) { self.text = value }

    init(stringInterpolation: Interpolation) { self.text = stringInterpolation.text }

    static let empty = HTML(unsafeMarkup: "")

    var description: String { text }

    /// Escapes text for an element's content and for a quoted attribute value alike (`&`, `<`, `>`, `"`, `'`).
    static func escape(_ value: String) -> String {
        // Most values (names, ids, statuses) have nothing to escape: then they are used as they are.
        guard value.utf8.contains(where: { $0 == 0x26 || $0 == 0x3C || $0 == 0x3E || $0 == 0x22 || $0 == 0x27 }) else { return value }
        var out = ""
        out.reserveCapacity(value.utf8.count)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    struct Interpolation: StringInterpolationProtocol {
        var text = ""

        init(literalCapacity: Int, interpolationCount: Int) { text.reserveCapacity(literalCapacity * 2) }

        mutating func appendLiteral(_ literal: String) { text += literal }
        /// Markup: inserted as is.
        mutating func appendInterpolation(_ html: HTML) { text += html.text }
        /// Markup, many pieces: inserted one after another.
        mutating func appendInterpolation(_ list: [HTML]) { for item in list { text += item.text } }
        /// Any other value: escaped.
        mutating func appendInterpolation(_ value: String) { text += HTML.escape(value) }
        mutating func appendInterpolation(_ value: Substring) { text += HTML.escape(String(value)) }
        mutating func appendInterpolation<T: BinaryInteger>(_ value: T) { text += String(value) }
        mutating func appendInterpolation(_ value: Double) { text += HTML.escape(String(value)) }
        /// An optional value: escaped, or nothing when absent.
        mutating func appendInterpolation(_ value: String?) { if let value { text += HTML.escape(value) } }
        mutating func appendInterpolation(_ html: HTML?) { if let html { text += html.text } }
    }
}

extension Array where Element == HTML {
    func joined(separator: HTML = .empty) -> HTML {
        HTML(unsafeMarkup: map(\.description).joined(separator: separator.description))
    }
}

extension Optional where Wrapped == HTML {
    var orEmpty: HTML { self ?? .empty }
}

/// Percent-encodes a value for a URL path segment or query value; the result is then escaped like any text when
/// interpolated into an attribute.
func urlComponent(_ value: String) -> String {
    var allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".unicodeScalars)
    allowed.reserveCapacity(70)
    var out = ""
    for byte in value.utf8 {
        let scalar = Unicode.Scalar(byte)
        if byte < 128, allowed.contains(scalar) {
            out.unicodeScalars.append(scalar)
        } else {
            out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
        }
    }
    return out
}

/// A query string from pairs, leaving out empty values: `?a=1&b=x%20y`, or "" when none.
func queryString(_ pairs: [(String, String?)]) -> String {
    let parts = pairs.compactMap { name, value -> String? in
        guard let value, !value.isEmpty else { return nil }
        return urlComponent(name) + "=" + urlComponent(value)
    }
    return parts.isEmpty ? "" : "?" + parts.joined(separator: "&")
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
