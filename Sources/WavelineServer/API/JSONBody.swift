import Foundation
import Hummingbird
import NIOCore

extension Request {
    /// Decodes a JSON body, turning decoding failures into a 400 that names the field and what was expected.
    func decodeJSON<T: Decodable>(_ type: T.Type, context: some RequestContext, emptyMeans empty: T? = nil) async throws -> T {
        let buffer = try await body.collect(upTo: context.maxUploadSize)
        guard buffer.readableBytes > 0 else {
            if let empty { return empty }
            throw APIError(.badRequest, "the request body is empty; expected a JSON object")
        }
        try Self.requireJSONContentType(headers[.contentType])
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
        } catch let error as DecodingError {
            throw APIError(.badRequest, Self.describe(error))
        }
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
