import Foundation
import Testing
import WavelineIntegrations

/// Checks the fakes' compact description (`EndpointDescription`) against the published API descriptions in
/// `../shared/specs` (relative to the package root): every endpoint exists with its method, every field Waveline
/// sends is a documented parameter or property of a compatible type, and every field the spec requires is one
/// Waveline sends. Skipped, saying why, when the folder is absent.
///
/// Caveats of the specs (their README): Slack's dates from October 2020 and lacks `metadata` and
/// `include_all_metadata` (marked `newerThanSpec`); it models parameters as `formData` strings (so `blocks`, sent
/// as a JSON array in a JSON body, is a "string" there) and the token as a header named `token`. Jira Data Center
/// has no published spec.
@Suite("Endpoint description against the published specs")
struct SpecConformanceTests {
    static var specsFolder: String? {
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let folder = ProcessInfo.processInfo.environment["WAVELINE_SPECS"] ?? packageRoot.deletingLastPathComponent().appendingPathComponent("shared/specs").path
        return FileManager.default.fileExists(atPath: folder + "/slack-web-api.json") ? folder : nil
    }

    static func load(_ name: String) throws -> [String: Any]? {
        guard let folder = specsFolder else {
            print("SpecConformanceTests skipped: no ../shared/specs folder beside the package (set WAVELINE_SPECS to point at one)")
            return nil
        }
        let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + name))
        return try JSONSerialization.jsonObject(with: data) as? [String: Any]
    }

    @Test("Slack: each method exists with its method; each field is documented (or newer than the spec) with a compatible type; required ones are sent")
    func slack() throws {
        guard let spec = try Self.load("slack-web-api.json") else { return }
        #expect(spec["basePath"] as? String == "/api")
        let paths = try #require(spec["paths"] as? [String: Any])
        for endpoint in EndpointDescription.slack {
            let specPath = try #require(endpoint.specPath)
            guard let operation = (paths[specPath] as? [String: Any])?[endpoint.method.lowercased()] as? [String: Any] else {
                Issue.record("\(endpoint.method) \(specPath) is not in Slack's spec")
                continue
            }
            #expect("/api" + specPath == endpoint.path)
            let parameters = (operation["parameters"] as? [[String: Any]] ?? []).filter { $0["name"] as? String != "token" }
            let rules = endpoint.method == "GET" ? endpoint.query : endpoint.body
            for rule in rules where !rule.path.contains(".") {
                guard let parameter = parameters.first(where: { $0["name"] as? String == rule.path }) else {
                    #expect(rule.newerThanSpec, "\(specPath): '\(rule.path)' is not a documented parameter")
                    continue
                }
                #expect(!rule.newerThanSpec, "\(specPath): '\(rule.path)' is in the spec; it need not be marked newer")
                let type = parameter["type"] as? String
                let compatible: Bool
                switch rule.type {
                case .string: compatible = type == "string"
                case .boolean: compatible = type == "boolean" || type == "string"
                case .integer: compatible = type == "integer"
                case .numberText: compatible = type == "number" || type == "string"
                // formData carries JSON-encoded arrays and objects as strings.
                case .array, .object: compatible = type == "string"
                }
                #expect(compatible, "\(specPath): '\(rule.path)' is \(rule.type) here, \(type ?? "untyped") in the spec")
            }
            for parameter in parameters where parameter["required"] as? Bool == true {
                let name = parameter["name"] as? String ?? ""
                #expect(rules.contains { $0.path == name && $0.required }, "\(specPath): the spec requires '\(name)'")
            }
            #expect((operation["consumes"] as? [String])?.contains("application/json") == true || endpoint.method == "GET",
                    "\(specPath): the spec does not take JSON bodies")
        }
    }

    @Test("Jira Cloud: each path and method exists; query parameters and body properties are documented with compatible types; the success status is documented")
    func jiraCloud() throws {
        guard let spec = try Self.load("jira-platform-v3.json") else { return }
        let paths = try #require(spec["paths"] as? [String: Any])
        let schemas = try #require((spec["components"] as? [String: Any])?["schemas"] as? [String: Any])
        for endpoint in EndpointDescription.jira(.jiraCloud) {
            let specPath = try #require(endpoint.specPath)
            guard let operation = (paths[specPath] as? [String: Any])?[endpoint.method.lowercased()] as? [String: Any] else {
                Issue.record("\(endpoint.method) \(specPath) is not in Jira's spec")
                continue
            }
            #expect(endpoint.path == specPath)
            let responses = operation["responses"] as? [String: Any] ?? [:]
            #expect(responses[String(endpoint.successStatus)] != nil, "\(specPath): \(endpoint.successStatus) is not a documented answer")
            let parameters = operation["parameters"] as? [[String: Any]] ?? []
            for rule in endpoint.query {
                let parameter = parameters.first { $0["name"] as? String == rule.path && $0["in"] as? String == "query" }
                #expect(parameter != nil, "\(specPath): query parameter '\(rule.path)' is not documented")
            }
            guard !endpoint.body.isEmpty else { continue }
            let content = (operation["requestBody"] as? [String: Any])?["content"] as? [String: Any]
            let root = (content?["application/json"] as? [String: Any])?["schema"] as? [String: Any]
            guard let root else {
                Issue.record("\(specPath): no JSON request body in the spec")
                continue
            }
            for rule in endpoint.body {
                switch Self.resolve(rule.path, from: root, schemas: schemas) {
                case .missing(let at):
                    Issue.record("\(specPath): '\(rule.path)' is not a documented property (no '\(at)')")
                case .open:
                    // Below a free-form object (`fields` is additionalProperties): the spec says nothing more.
                    break
                case .found(let schema, let required):
                    if let type = schema["type"] as? String {
                        let ours = rule.type == .numberText ? "string" : rule.type.rawValue
                        #expect(type == ours, "\(specPath): '\(rule.path)' is \(ours) here, \(type) in the spec")
                    }
                    if required { #expect(rule.required, "\(specPath): the spec requires '\(rule.path)'") }
                }
            }
        }
    }

    enum Resolution {
        case missing(String)
        case open
        /// The property's schema, and whether its parent requires it.
        case found([String: Any], required: Bool)
    }

    /// Follows a dotted path through `properties`, resolving `$ref` and `allOf`.
    static func resolve(_ path: String, from root: [String: Any], schemas: [String: Any]) -> Resolution {
        var current = dereference(root, schemas)
        var required = false
        for key in path.split(separator: ".").map(String.init) {
            let properties = current["properties"] as? [String: Any]
            // A free-form object (`fields`: additionalProperties) or an untyped document (a comment's `body`: ADF,
            // described in prose) says nothing below it.
            let type = current["type"] as? String
            guard let properties else { return type == nil || type == "object" ? .open : .missing(key) }
            guard let property = properties[key] as? [String: Any] else { return .missing(key) }
            required = (current["required"] as? [String])?.contains(key) ?? false
            current = dereference(property, schemas)
        }
        return .found(current, required: required)
    }

    static func dereference(_ schema: [String: Any], _ schemas: [String: Any]) -> [String: Any] {
        var schema = schema
        for _ in 0..<10 {
            if let reference = schema["$ref"] as? String, let name = reference.split(separator: "/").last,
               let target = schemas[String(name)] as? [String: Any] {
                schema = target
            } else if let all = schema["allOf"] as? [[String: Any]], all.count == 1 {
                schema = all[0]
            } else {
                break
            }
        }
        return schema
    }

    @Test("the Data Center description mirrors the Cloud one under /rest/api/2, with string bodies and Bearer tokens")
    func dataCenterMirrorsCloud() {
        let cloud = EndpointDescription.jira(.jiraCloud), dataCenter = EndpointDescription.jira(.jiraDataCenter)
        #expect(cloud.count == dataCenter.count)
        for (c, d) in zip(cloud, dataCenter) {
            #expect(d.path == c.path.replacingOccurrences(of: "/rest/api/3", with: "/rest/api/2"))
            #expect(d.method == c.method && d.successStatus == c.successStatus)
        }
        #expect(dataCenter.flatMap(\.body).filter { $0.path == "body" || $0.path == "fields.description" }.allSatisfy { $0.type == .string })
    }
}
