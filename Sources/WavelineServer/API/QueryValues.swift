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
    }

    /// The value, nil when absent or empty.
    func string(_ name: String) -> String? {
        guard let value = parameters.first(where: { $0.0 == name })?.1, !value.isEmpty else { return nil }
        return value
    }

    /// Comma-separated values, empty when absent.
    func list(_ name: String) -> [String] {
        (string(name) ?? "").split(separator: ",").map { String($0) }.filter { !$0.isEmpty }
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
