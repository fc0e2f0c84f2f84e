/// Gathers the problems found while reading a set of files, so that one run reports all of them.
///
/// Readers record a diagnostic and keep going; the loader throws once, at the end, with every diagnostic
/// sorted by file, line and column.
final class DiagnosticCollector {
    private(set) var diagnostics: [Diagnostic] = []

    init() {}

    var isEmpty: Bool { diagnostics.isEmpty }

    func error(_ message: String, at location: SourceLocation?) {
        diagnostics.append(Diagnostic(message, at: location))
    }

    /// Every diagnostic, unlocated ones first, then by file, line and column; ties keep their order.
    var sorted: [Diagnostic] { Self.sort(diagnostics) }

    /// Throws every diagnostic at once when there is any.
    func throwIfAny() throws {
        if !diagnostics.isEmpty { throw DiagnosticsError(sorted) }
    }

    static func sort(_ diagnostics: [Diagnostic]) -> [Diagnostic] {
        diagnostics.enumerated().sorted { lhs, rhs in
            let l = lhs.element.location, r = rhs.element.location
            switch (l, r) {
            case (nil, nil): return lhs.offset < rhs.offset
            case (nil, _): return true
            case (_, nil): return false
            case let (l?, r?):
                if l.file != r.file { return l.file < r.file }
                if l.line != r.line { return l.line < r.line }
                if l.column != r.column { return l.column < r.column }
                return lhs.offset < rhs.offset
            }
        }.map(\.element)
    }
}

/// A value read from a file, with where it was written, for checks that look across entries (duplicates,
/// references) once everything is read.
struct LocatedValue<Value> {
    var value: Value
    var location: SourceLocation
}

extension Array where Element == String {
    /// `a, b, c`, or `none` for an empty list: for "expected one of" and "known ones" lists in messages.
    var listedForMessage: String { isEmpty ? "none" : joined(separator: ", ") }
}
