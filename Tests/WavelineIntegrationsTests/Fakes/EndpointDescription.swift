import Foundation
import WavelineIntegrations

/// The compact description of every endpoint Waveline calls: method, path, authentication, and the fields it
/// sends with their types. The fakes check each request against it; `SpecConformanceTests` checks it against the
/// published specs in `../shared/specs` (Slack's Swagger 2.0 and Jira Cloud's OpenAPI 3.0.1). Jira Data Center has
/// no published spec: its entries follow `shared/reference/integrations.md` (same paths under `/rest/api/2`,
/// string bodies, Bearer personal access token).
enum FieldType: String, Sendable {
    case string, boolean, integer, object, array
    /// A query value that is a number written as text (Slack's `ts`, `oldest`).
    case numberText
}

struct FieldRule: Sendable {
    /// Dotted for nested fields: `object.url`, `fields.project.key`.
    var path: String
    var type: FieldType
    var required: Bool
    /// A field Slack added after its spec's last update (October 2020): `metadata`, `include_all_metadata`.
    var newerThanSpec = false
}

enum FakeService: String, Sendable {
    case slack, jiraCloud, jiraDataCenter
}

enum AuthRule: Sendable {
    case bearer, basic
}

struct EndpointDescription: Sendable {
    var service: FakeService
    var method: String
    /// The path as the fake serves it; `{issueIdOrKey}` matches one segment.
    var path: String
    /// The path in the published spec (Slack's without `/api`), nil when there is none (Data Center).
    var specPath: String?
    var auth: AuthRule
    var body: [FieldRule] = []
    var query: [FieldRule] = []
    /// Fields not listed are refused (Slack's methods take many we never send; sending one by mistake is a defect).
    var closedBody = true
    var successStatus: Int

    static let slackWriteBody: [FieldRule] = [
        FieldRule(path: "text", type: .string, required: true),
        FieldRule(path: "blocks", type: .array, required: false),
    ]

    static let all: [EndpointDescription] = slack + jira(.jiraCloud) + jira(.jiraDataCenter)

    static let slack: [EndpointDescription] = [
        EndpointDescription(
            service: .slack, method: "POST", path: "/api/chat.postMessage", specPath: "/chat.postMessage", auth: .bearer,
            body: slackWriteBody + [
                FieldRule(path: "channel", type: .string, required: true),
                FieldRule(path: "thread_ts", type: .string, required: false),
                FieldRule(path: "reply_broadcast", type: .boolean, required: false),
                FieldRule(path: "unfurl_links", type: .boolean, required: false),
                FieldRule(path: "unfurl_media", type: .boolean, required: false),
                FieldRule(path: "metadata", type: .object, required: false, newerThanSpec: true),
                FieldRule(path: "metadata.event_type", type: .string, required: false, newerThanSpec: true),
                FieldRule(path: "metadata.event_payload", type: .object, required: false, newerThanSpec: true),
            ],
            successStatus: 200),
        EndpointDescription(
            service: .slack, method: "POST", path: "/api/chat.update", specPath: "/chat.update", auth: .bearer,
            body: slackWriteBody + [
                FieldRule(path: "channel", type: .string, required: true),
                FieldRule(path: "ts", type: .string, required: true),
                FieldRule(path: "metadata", type: .object, required: false, newerThanSpec: true),
            ],
            successStatus: 200),
        EndpointDescription(
            service: .slack, method: "POST", path: "/api/chat.postEphemeral", specPath: "/chat.postEphemeral", auth: .bearer,
            body: slackWriteBody + [
                FieldRule(path: "channel", type: .string, required: true),
                FieldRule(path: "user", type: .string, required: true),
                FieldRule(path: "thread_ts", type: .string, required: false),
            ],
            successStatus: 200),
        EndpointDescription(
            service: .slack, method: "GET", path: "/api/conversations.history", specPath: "/conversations.history", auth: .bearer,
            query: [
                FieldRule(path: "channel", type: .string, required: true),
                FieldRule(path: "limit", type: .integer, required: false),
                FieldRule(path: "oldest", type: .numberText, required: false),
                FieldRule(path: "cursor", type: .string, required: false),
                FieldRule(path: "include_all_metadata", type: .boolean, required: false, newerThanSpec: true),
            ],
            successStatus: 200),
        EndpointDescription(
            service: .slack, method: "GET", path: "/api/conversations.replies", specPath: "/conversations.replies", auth: .bearer,
            query: [
                FieldRule(path: "channel", type: .string, required: true),
                FieldRule(path: "ts", type: .numberText, required: true),
                FieldRule(path: "limit", type: .integer, required: false),
                FieldRule(path: "oldest", type: .numberText, required: false),
                FieldRule(path: "cursor", type: .string, required: false),
                FieldRule(path: "include_all_metadata", type: .boolean, required: false, newerThanSpec: true),
            ],
            successStatus: 200),
    ]

    static func jira(_ service: FakeService) -> [EndpointDescription] {
        let cloud = service == .jiraCloud
        let version = cloud ? "3" : "2"
        let auth: AuthRule = cloud ? .basic : .bearer
        func path(_ tail: String) -> String { "/rest/api/\(version)\(tail)" }
        func spec(_ tail: String) -> String? { cloud ? "/rest/api/3\(tail)" : nil }
        // Cloud bodies are ADF documents; Data Center bodies are strings.
        let richText: FieldType = cloud ? .object : .string
        var comment = [FieldRule(path: "body", type: richText, required: true)]
        var description = [FieldRule(path: "fields.description", type: richText, required: false)]
        if cloud {
            comment += [FieldRule(path: "body.type", type: .string, required: true),
                        FieldRule(path: "body.version", type: .integer, required: true),
                        FieldRule(path: "body.content", type: .array, required: true)]
            description += [FieldRule(path: "fields.description.type", type: .string, required: false),
                            FieldRule(path: "fields.description.content", type: .array, required: false)]
        }
        return [
            EndpointDescription(
                service: service, method: "GET", path: path("/issue/{issueIdOrKey}"), specPath: spec("/issue/{issueIdOrKey}"), auth: auth,
                query: [FieldRule(path: "fields", type: .string, required: false)], successStatus: 200),
            EndpointDescription(
                service: service, method: "POST", path: path("/issue"), specPath: spec("/issue"), auth: auth,
                body: [
                    FieldRule(path: "fields", type: .object, required: true),
                    FieldRule(path: "fields.project", type: .object, required: true),
                    FieldRule(path: "fields.project.key", type: .string, required: true),
                    FieldRule(path: "fields.issuetype", type: .object, required: true),
                    FieldRule(path: "fields.issuetype.name", type: .string, required: true),
                    FieldRule(path: "fields.summary", type: .string, required: true),
                ] + description,
                successStatus: 201),
            EndpointDescription(
                service: service, method: "POST", path: path("/issue/{issueIdOrKey}/comment"), specPath: spec("/issue/{issueIdOrKey}/comment"),
                auth: auth, body: comment, successStatus: 201),
            EndpointDescription(
                service: service, method: "GET", path: path("/issue/{issueIdOrKey}/comment"), specPath: spec("/issue/{issueIdOrKey}/comment"),
                auth: auth,
                query: [FieldRule(path: "startAt", type: .integer, required: false), FieldRule(path: "maxResults", type: .integer, required: false)],
                successStatus: 200),
            EndpointDescription(
                service: service, method: "POST", path: path("/issue/{issueIdOrKey}/remotelink"), specPath: spec("/issue/{issueIdOrKey}/remotelink"),
                auth: auth,
                body: [
                    FieldRule(path: "globalId", type: .string, required: true),
                    FieldRule(path: "application", type: .object, required: false),
                    FieldRule(path: "application.type", type: .string, required: false),
                    FieldRule(path: "application.name", type: .string, required: false),
                    FieldRule(path: "relationship", type: .string, required: false),
                    FieldRule(path: "object", type: .object, required: true),
                    FieldRule(path: "object.url", type: .string, required: true),
                    FieldRule(path: "object.title", type: .string, required: true),
                    FieldRule(path: "object.summary", type: .string, required: false),
                    FieldRule(path: "object.status", type: .object, required: false),
                    FieldRule(path: "object.status.resolved", type: .boolean, required: false),
                ],
                successStatus: 201),
            EndpointDescription(
                service: service, method: "GET", path: path("/issue/{issueIdOrKey}/transitions"), specPath: spec("/issue/{issueIdOrKey}/transitions"),
                auth: auth, successStatus: 200),
            EndpointDescription(
                service: service, method: "POST", path: path("/issue/{issueIdOrKey}/transitions"), specPath: spec("/issue/{issueIdOrKey}/transitions"),
                auth: auth,
                body: [FieldRule(path: "transition", type: .object, required: true), FieldRule(path: "transition.id", type: .string, required: true)],
                successStatus: 204),
        ]
    }

    /// Whether `path` (without its query) is this endpoint's; the `{…}` segment as captured.
    func match(method: String, path: String) -> [String]? {
        guard method == self.method else { return nil }
        let template = self.path.split(separator: "/"), actual = path.split(separator: "/")
        guard template.count == actual.count else { return nil }
        var captured: [String] = []
        for (t, a) in zip(template, actual) {
            if t.hasPrefix("{") { captured.append(a.removingPercentEncoding ?? String(a)) } else if t != a { return nil }
        }
        return captured
    }

    /// Every way `request` departs from this description; empty when it conforms.
    func problems(_ request: RecordedRequest) -> [String] {
        var problems: [String] = []
        switch auth {
        case .bearer:
            if !(request.headers["authorization"]?.hasPrefix("Bearer ") ?? false) { problems.append("no Authorization: Bearer header") }
        case .basic:
            if !(request.headers["authorization"]?.hasPrefix("Basic ") ?? false) { problems.append("no Authorization: Basic header") }
        }
        if method == "POST" {
            if !(request.headers["content-type"]?.hasPrefix("application/json") ?? false) {
                problems.append("Content-Type is \(request.headers["content-type"] ?? "absent"), not application/json")
            }
            guard let body = request.body, case .object = body else {
                problems.append("the body is not a JSON object")
                return problems
            }
            for rule in self.body {
                let value = Self.lookup(rule.path, in: body)
                guard let value else {
                    if rule.required, rule.path.split(separator: ".").count == 1 || Self.lookup(Self.parent(rule.path), in: body) != nil {
                        problems.append("required field '\(rule.path)' is missing")
                    }
                    continue
                }
                if !Self.conforms(value, rule.type) { problems.append("field '\(rule.path)' is not of type \(rule.type.rawValue)") }
            }
            if closedBody, case .object(let object) = body {
                for key in object.keys where !self.body.contains(where: { $0.path == key }) {
                    problems.append("field '\(key)' is not one Waveline is described to send")
                }
            }
        } else {
            for rule in query {
                guard let value = request.query[rule.path] else {
                    if rule.required { problems.append("required query parameter '\(rule.path)' is missing") }
                    continue
                }
                let ok: Bool
                switch rule.type {
                case .integer: ok = Int(value) != nil
                case .boolean: ok = value == "true" || value == "false"
                case .numberText: ok = Double(value) != nil
                default: ok = true
                }
                if !ok { problems.append("query parameter '\(rule.path)' = '\(value)' is not of type \(rule.type.rawValue)") }
            }
            for key in request.query.keys where !query.contains(where: { $0.path == key }) {
                problems.append("query parameter '\(key)' is not one Waveline is described to send")
            }
        }
        return problems
    }

    static func parent(_ path: String) -> String { path.split(separator: ".").dropLast().joined(separator: ".") }

    static func lookup(_ path: String, in value: JSONValue) -> JSONValue? {
        var current: JSONValue? = value
        for key in path.split(separator: ".") { current = current?[String(key)] }
        return current
    }

    static func conforms(_ value: JSONValue, _ type: FieldType) -> Bool {
        switch (type, value) {
        case (.string, .string), (.boolean, .bool), (.object, .object), (.array, .array): return true
        case (.integer, .number(let n)): return n.rounded() == n
        case (.numberText, .string(let s)): return Double(s) != nil
        default: return false
        }
    }
}
