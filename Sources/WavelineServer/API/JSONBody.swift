import Foundation
import Hummingbird
import NIOCore

extension Request {
    /// Decodes a JSON body, turning decoding failures into a 400 that names the field and what was expected.
    func decodeJSON<T: Codable>(_ type: T.Type, context: some RequestContext, emptyMeans empty: T? = nil) async throws -> T {
        let buffer = try await body.collect(upTo: context.maxUploadSize)
        guard buffer.readableBytes > 0 else {
            if let empty { return empty }
            throw APIError(.badRequest, "the request body is empty; expected a JSON object")
        }
        try Self.requireJSONContentType(headers[.contentType])
        let data = Data(buffer.readableBytesView)
        do {
            let value = try JSONDecoder().decode(T.self, from: data)
            try Self.requireKnownFields(of: value, in: data)
            return value
        } catch let error as DecodingError {
            throw APIError(.badRequest, Self.describe(error))
        }
    }

    /// Every field of the body is one the API knows and has a value: an unknown field (a misspelt `tickt`) or
    /// `"grants": null` would otherwise be read as "not given", which is not what the client meant. Known fields
    /// are those the decoded value encodes again; a field left at null is not encoded, so it is found too.
    static func requireKnownFields<T: Encodable>(of value: T, in data: Data) throws(APIError) {
        guard let sent = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]),
              let encoded = try? JSONEncoder().encode(value),
              let known = try? JSONSerialization.jsonObject(with: encoded, options: [.fragmentsAllowed]) else { return }
        // The decoded value, seen through Mirror, names every field a level takes, for the message.
        func unwrapped(_ value: Any?) -> Any? {
            guard let value else { return nil }
            let mirror = Mirror(reflecting: value)
            guard mirror.displayStyle == .optional else { return value }
            return mirror.children.first.map { unwrapped($0.value) } ?? nil
        }
        func fields(of value: Any?) -> [String] {
            guard let value = unwrapped(value), Mirror(reflecting: value).displayStyle == .struct else { return [] }
            return Mirror(reflecting: value).children.compactMap(\.label)
        }
        func field(_ name: String, of value: Any?) -> Any? {
            guard let value = unwrapped(value) else { return nil }
            return Mirror(reflecting: value).children.first { $0.label == name }?.value
        }
        func problem(_ sent: Any, _ known: Any?, _ decoded: Any?, at path: String) -> String? {
            if sent is NSNull {
                return path.isEmpty ? "the request body is null; expected a JSON object" : "field '\(path)' is null; leave it out instead"
            }
            if let object = sent as? [String: Any] {
                let knownObject = known as? [String: Any] ?? [:]
                for key in object.keys.sorted() {
                    let name = path.isEmpty ? key : path + "." + key
                    guard knownObject[key] != nil || object[key] is NSNull else {
                        let names = fields(of: decoded).joined(separator: ", ")
                        return "unknown field '\(name.prefix(80))'\(names.isEmpty ? "" : "; the fields here are: " + names)"
                    }
                    if let found = problem(object[key] as Any, knownObject[key], field(key, of: decoded), at: name) { return found }
                }
            } else if let array = sent as? [Any] {
                let knownArray = known as? [Any] ?? []
                let decodedArray = unwrapped(decoded).map { Mirror(reflecting: $0).children.map(\.value) } ?? []
                for (index, element) in array.enumerated() {
                    if let found = problem(element, index < knownArray.count ? knownArray[index] : nil,
                                           index < decodedArray.count ? decodedArray[index] : nil, at: path + "[\(index)]") { return found }
                }
            }
            return nil
        }
        if let message = problem(sent, known, value, at: "") { throw APIError(.badRequest, message) }
    }

    /// A body is read as JSON only when it says it is: `application/json`, or a `+json` type, with any
    /// parameters (`; charset=utf-8`). Anything else, or no Content-Type at all, is a 415 naming what was sent.
    static func requireJSONContentType(_ value: String?) throws(APIError) {
        guard let value, !value.isEmpty else {
            throw APIError(.unsupportedMediaType, "the request body has no Content-Type; send it as JSON with 'Content-Type: application/json'")
        }
        let mediaType = value.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        guard mediaType == "application/json" || (mediaType.hasPrefix("application/") && mediaType.hasSuffix("+json")) else {
            throw APIError(.unsupportedMediaType, "Content-Type '\(value)' is not supported; send the body as JSON with 'Content-Type: application/json'")
        }
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ codingPath: [any CodingKey]) -> String {
            codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().drop(while: { $0 == "." }).description
        }
        switch error {
        case .keyNotFound(let key, let context):
            let parent = path(context.codingPath)
            return "missing field '\(parent.isEmpty ? key.stringValue : parent + "." + key.stringValue)'"
        case .typeMismatch(let type, let context):
            let field = path(context.codingPath)
            return field.isEmpty ? "the request body must be \(describe(type))" : "field '\(field)' must be \(describe(type))"
        case .valueNotFound(let type, let context):
            let field = path(context.codingPath)
            return field.isEmpty ? "the request body must be \(describe(type)), not null" : "field '\(field)' must be \(describe(type)), not null"
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return "the request body is not valid JSON" }
            return "field '\(path(context.codingPath))': \(context.debugDescription)"
        @unknown default:
            return "the request body does not match the expected shape"
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Bool.Type: return "true or false"
        case is Int.Type, is Int64.Type, is Int32.Type: return "a whole number"
        case is Double.Type: return "a number"
        case is [String].Type: return "a list of strings"
        case is [String: String].Type: return "an object of string values"
        case is [String: Any].Type: return "a JSON object"
        case is [Any].Type: return "a list"
        default: return "a value of another type"
        }
    }
}
