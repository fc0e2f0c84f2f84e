import Foundation
import Testing
import Yams

/// Any JSON (or YAML) value, decoded without a schema, to be checked against one.
enum JSONValue: Decodable, Equatable, CustomStringConvertible {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    static func json(_ data: Data) throws -> JSONValue { try JSONDecoder().decode(JSONValue.self, from: data) }

    subscript(key: String) -> JSONValue? {
        if case .object(let object) = self { return object[key] }
        return nil
    }

    var string: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    var object: [String: JSONValue]? {
        if case .object(let value) = self { return value }
        return nil
    }

    var description: String {
        switch self {
        case .null: return "null"
        case .bool(let value): return "\(value)"
        case .integer(let value): return "\(value)"
        case .number(let value): return "\(value)"
        case .string(let value): return "\"\(value)\""
        case .array(let values): return "[\(values.map(\.description).joined(separator: ", "))]"
        case .object(let object): return "{\(object.keys.sorted().map { "\($0): \(object[$0]?.description ?? "")" }.joined(separator: ", "))}"
        }
    }
}

/// The OpenAPI document of the repository, read for the contract tests: its routes, and a checker of JSON
/// values against its schemas.
///
/// The checker is stricter than OpenAPI: an object schema with `properties` and no `additionalProperties` is
/// closed, so a field the server sends and the document does not list fails the test (the document must be
/// complete, not only right). It knows the keywords the document uses: `$ref`, `type`, `required`,
/// `properties`, `additionalProperties`, `items`, `enum`, `pattern`, `minimum`, `maximum`.
struct OpenAPIContract {
    let root: JSONValue
    let text: String

    /// openapi/waveline.yaml, found from this file's place in the repository.
    static var path: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("openapi/waveline.yaml").path
    }

    static func load() throws -> OpenAPIContract {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return OpenAPIContract(root: try YAMLDecoder().decode(JSONValue.self, from: text), text: text)
    }

    /// Every operation as `METHOD /path`, paths as both OpenAPI and Hummingbird's route descriptions write
    /// them (`/api/v1/deployments/{id}`).
    var routes: Set<String> {
        var routes = Set<String>()
        for (template, item) in root["paths"]?.object ?? [:] {
            for method in (item.object ?? [:]).keys where ["get", "put", "post", "delete", "patch", "head", "options"].contains(method) {
                routes.insert("\(method.uppercased()) \(template)")
            }
        }
        return routes
    }

    /// The names of the query parameters of an operation (its own and its path's, `$ref`s resolved).
    func queryParameters(_ method: String, _ path: String) -> Set<String> {
        let item = root["paths"]?[path]
        var names = Set<String>()
        for list in [item?["parameters"], item?[method.lowercased()]?["parameters"]] {
            guard case .array(let parameters)? = list else { continue }
            for parameter in parameters {
                guard let parameter = resolve(parameter), parameter["in"]?.string == "query", let name = parameter["name"]?.string else { continue }
                names.insert(name)
            }
        }
        return names
    }

    /// The schema of a response of an operation (`path` as the document writes it, `{id}`).
    func responseSchema(_ method: String, _ path: String, status: String, contentType: String = "application/json") -> JSONValue? {
        root["paths"]?[path]?[method.lowercased()]?["responses"]?[status]
            .flatMap(resolve)?["content"]?[contentType]?["schema"]
    }

    func schema(named name: String) -> JSONValue? { root["components"]?["schemas"]?[name] }

    /// Follows a `$ref` (one level; the result may hold more).
    func resolve(_ value: JSONValue) -> JSONValue? {
        guard let reference = value["$ref"]?.string else { return value }
        guard reference.hasPrefix("#/") else { return nil }
        var node: JSONValue? = root
        for part in reference.dropFirst(2).split(separator: "/") { node = node?[String(part)] }
        return node.flatMap(resolve)
    }

    /// What is wrong with `value` for `schema`, one line per problem, each naming where (`$.targets[0].node`).
    func problems(_ value: JSONValue, _ schema: JSONValue, at path: String = "$") -> [String] {
        guard let schema = resolve(schema) else { return ["\(path): unresolvable schema \(schema)"] }
        var problems: [String] = []
        if let allowed = schema["enum"], case .array(let values) = allowed, !values.contains(value) {
            problems.append("\(path): \(value) is not one of \(allowed)")
        }
        switch (schema["type"]?.string, value) {
        case (nil, _): break
        case ("object", .object(let object)):
            if case .array(let required) = schema["required"] ?? .array([]) {
                for case .string(let key) in required where object[key] == nil {
                    problems.append("\(path): required field '\(key)' is missing")
                }
            }
            let properties = schema["properties"]?.object ?? [:]
            for (key, field) in object.sorted(by: { $0.key < $1.key }) {
                if let property = properties[key] {
                    problems += self.problems(field, property, at: "\(path).\(key)")
                } else if let additional = schema["additionalProperties"], additional != .bool(true) {
                    if additional == .bool(false) {
                        problems.append("\(path): field '\(key)' is not allowed")
                    } else {
                        problems += self.problems(field, additional, at: "\(path).\(key)")
                    }
                } else if !properties.isEmpty && schema["additionalProperties"] == nil {
                    problems.append("\(path): field '\(key)' is not in the document")
                }
            }
        case ("array", .array(let items)):
            if case .integer(let least)? = schema["minItems"], items.count < least {
                problems.append("\(path): \(items.count) items, fewer than \(least)")
            }
            if case .integer(let most)? = schema["maxItems"], items.count > most {
                problems.append("\(path): \(items.count) items, more than \(most)")
            }
            if let itemSchema = schema["items"] {
                for (index, item) in items.enumerated() { problems += self.problems(item, itemSchema, at: "\(path)[\(index)]") }
            }
        case ("string", .string(let text)):
            if let pattern = schema["pattern"]?.string {
                do {
                    if try Regex(pattern).firstMatch(in: text) == nil { problems.append("\(path): '\(text)' does not match \(pattern)") }
                } catch {
                    problems.append("\(path): bad pattern \(pattern) in the document")
                }
            }
        case ("integer", .integer(let number)):
            problems += bounds(Double(number), schema, at: path)
        case ("number", .integer(let number)):
            problems += bounds(Double(number), schema, at: path)
        case ("number", .number(let number)):
            problems += bounds(number, schema, at: path)
        case ("boolean", .bool): break
        case (let type?, _):
            problems.append("\(path): expected \(type), got \(value)")
        }
        return problems
    }

    private func bounds(_ number: Double, _ schema: JSONValue, at path: String) -> [String] {
        var problems: [String] = []
        func limit(_ key: String) -> Double? {
            switch schema[key] {
            case .integer(let value): return Double(value)
            case .number(let value): return value
            default: return nil
            }
        }
        if let minimum = limit("minimum"), number < minimum { problems.append("\(path): \(number) is below \(minimum)") }
        if let maximum = limit("maximum"), number > maximum { problems.append("\(path): \(number) is above \(maximum)") }
        return problems
    }

    /// Records an issue for each way `data` fails the schema of `method path` answering `status`.
    func expectResponse(_ data: Data, _ method: String, _ path: String, status: Int, sourceLocation: SourceLocation = #_sourceLocation) {
        guard let schema = responseSchema(method, path, status: String(status)) else {
            Issue.record("the document has no JSON schema for \(method) \(path) answering \(status)", sourceLocation: sourceLocation)
            return
        }
        let value: JSONValue
        do {
            value = try JSONValue.json(data)
        } catch {
            Issue.record("\(method) \(path) answered \(status) with something that is not JSON: \(String(decoding: data.prefix(300), as: UTF8.self))", sourceLocation: sourceLocation)
            return
        }
        for problem in problems(value, schema) {
            Issue.record("\(method) \(path) (\(status)): \(problem)", sourceLocation: sourceLocation)
        }
    }
}
