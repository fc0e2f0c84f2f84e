import Hummingbird
import WavelineCore

/// A request's query parameters, read against the names a route documents: an unknown name is a 400 that lists
/// the known ones (a misspelt filter must not silently match everything), and each value is checked with a
/// message naming the parameter and what it should be.
struct QueryValues {
    private let parameters: [(String, String)]

    init(_ request: Request, allowed: [String]) throws(APIError) {
        parameters = request.uri.queryParameters.map { (String($0.key), String($0.value)) }
        if let unknown = parameters.first(where: { !allowed.contains($0.0) }) {
            let known = allowed.isEmpty ? "this route takes none" : "expected one of: " + allowed.joined(separator: ", ")
            throw APIError(.badRequest, "unknown query parameter \(unknown.0.callerQuoted); \(known)")
        }
        // An empty value is a mistake (a filter left blank), not "no filter": leaving the parameter out says that.
        if let blank = parameters.first(where: { $0.1.isEmpty }) {
            throw APIError(.badRequest, "query '\(blank.0)' has no value; leave the parameter out instead")
        }
    }

    /// The value, nil when absent.
    func string(_ name: String) -> String? {
        guard let value = parameters.first(where: { $0.0 == name })?.1, !value.isEmpty else { return nil }
        return value
    }

    /// Comma-separated values, empty when absent.
    func list(_ name: String) -> [String] {
        (string(name) ?? "").split(separator: ",").map { String($0) }.filter { !$0.isEmpty }
    }

    /// A name of the inventory or the catalog (`^[a-z0-9][a-z0-9._-]*$`, at most 255 bytes), as the API
    /// document says: another value is a malformed request, not a filter that matches nothing.
    func name(_ key: String) throws(APIError) -> String? {
        guard let value = string(key) else { return nil }
        guard NameSyntax.isName(value) else {
            throw APIError(.badRequest, "query '\(key)' must be \(NameSyntax.described), got '\(value.prefix(80))'")
        }
        return value
    }

    /// A user name (1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit); `*` too when
    /// `orEveryone`.
    func userName(_ key: String, orEveryone: Bool = false) throws(APIError) -> String? {
        guard let value = string(key) else { return nil }
        if orEveryone && value == "*" { return value }
        guard IdentityService.isUserName(value) else {
            throw APIError(.badRequest, "query '\(key)' must be a user name (1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit)\(orEveryone ? " or '*'" : ""), got '\(value.prefix(80))'")
        }
        return value
    }

    /// Comma-separated event kinds such as `deployment.created,action.approve`, at most 1,000 characters.
    func eventKinds(_ key: String) throws(APIError) -> [String] {
        guard let value = string(key) else { return [] }
        let kinds = value.split(separator: ",", omittingEmptySubsequences: false)
        guard value.utf8.count <= 1000,
              kinds.allSatisfy({ !$0.isEmpty && $0.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || $0 == "_" || $0 == "." } }) else {
            throw APIError(.badRequest, "query '\(key)' must be event kinds separated by commas, such as 'deployment.created,action.approve' (at most 1,000 characters), got '\(value.prefix(80))'")
        }
        return kinds.map(String.init)
    }

    func int(_ name: String, in range: ClosedRange<Int>) throws(APIError) -> Int? {
        guard let raw = string(name) else { return nil }
        guard let value = Int(raw), range.contains(value) else {
            throw APIError(.badRequest, "query '\(name)' must be a whole number from \(range.lowerBound) to \(range.upperBound), got \(raw.callerQuoted)")
        }
        return value
    }

    /// A cursor or id: a whole number, at least `minimum`.
    func id(_ name: String, minimum: Int64 = 1, what: String) throws(APIError) -> Int64? {
        guard let raw = string(name) else { return nil }
        guard let value = Int64(raw), value >= minimum else {
            throw APIError(.badRequest, "query '\(name)' must be \(what), got \(raw.callerQuoted)")
        }
        return value
    }

    /// One of the cases of a string enumeration.
    func values<T: RawRepresentable & CaseIterable>(_ name: String, of type: T.Type) throws(APIError) -> [T] where T.RawValue == String {
        var result: [T] = []
        for raw in list(name) {
            guard let value = T(rawValue: raw) else {
                throw APIError(.badRequest, "query '\(name)': unknown value \(raw.callerQuoted); expected one of \(T.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            result.append(value)
        }
        return result
    }

    /// At most one case of a string enumeration.
    func value<T: RawRepresentable & CaseIterable>(_ name: String, of type: T.Type) throws(APIError) -> T? where T.RawValue == String {
        let values = try values(name, of: type)
        guard values.count <= 1 else {
            throw APIError(.badRequest, "query '\(name)' takes one value, one of \(T.allCases.map(\.rawValue).joined(separator: ", ")); got \(values.count)")
        }
        return values.first
    }
}

/// Names of the inventory and the catalog as the API document gives them (`Name`): `^[a-z0-9][a-z0-9._-]*$`, at
/// most 255 bytes. A value of another shape is a malformed request (400), never a name that happens to be unknown.
enum NameSyntax {
    static let described = "a name (a lowercase letter or digit, then lowercase letters, digits, '.', '_' or '-'; at most 255 bytes)"

    static func isName(_ value: String) -> Bool {
        let scalars = value.unicodeScalars
        let lowerOrDigit: (Unicode.Scalar) -> Bool = { ("a"..."z").contains($0) || ("0"..."9").contains($0) }
        guard value.utf8.count <= 255, let first = scalars.first, lowerOrDigit(first) else { return false }
        return scalars.allSatisfy { lowerOrDigit($0) || "._-".unicodeScalars.contains($0) }
    }
}
