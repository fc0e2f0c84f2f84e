import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import WavelineCore

/// Jira's REST API as Waveline uses it, on both flavours: Cloud (`/rest/api/3`, ADF bodies, Basic e-mail + API
/// token) and Data Center (`/rest/api/2`, plain text bodies, Bearer personal access token). Paths and answers are
/// otherwise the same (`shared/reference/integrations.md`, section b).
///
/// Every method throws only `DeliveryError`: 429 → `.rateLimited` with `Retry-After`; 5xx, a connection failure, or
/// 409 (a conflicting update) → `.transient`; any other 4xx → `.permanent`, with Jira's `errorMessages` and
/// `errors` in the detail. One call is one request: the delivery worker owns retries and pacing.
public struct JiraClient: Sendable, CustomStringConvertible {
    public let baseURL: String
    public let flavour: JiraSettings.Flavour
    private let authorization: JiraAuthorization
    private let transport: ServiceTransport

    public init(baseURL: String, flavour: JiraSettings.Flavour, authorization: JiraAuthorization,
                http: HTTPClient = IntegrationHTTP.client, timeout: TimeAmount = .seconds(10)) {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
        self.flavour = flavour
        self.authorization = authorization
        self.transport = ServiceTransport(http: http, timeout: timeout)
    }

    /// Never shows the credentials.
    public var description: String { "JiraClient(\(baseURL), \(flavour.rawValue))" }

    /// `/rest/api/3` on Cloud, `/rest/api/2` on Data Center.
    public var apiPath: String { flavour == .cloud ? "/rest/api/3" : "/rest/api/2" }

    // MARK: Issues

    /// The issue `keyOrID` names, or nil when Jira says it does not exist (or Waveline's user may not see it:
    /// Jira does not tell the two apart). The returned key is the one to store: Jira follows moved issues.
    public func issue(_ keyOrID: String) async throws(DeliveryError) -> JiraIssue? {
        let path = "/issue/\(Self.segment(keyOrID))?fields=status,project,summary"
        let answer: JSONValue
        do {
            answer = try await call("GET", path, operation: "get issue \(keyOrID)")
        } catch .permanent(let detail) where detail.contains("HTTP 404") {
            return nil
        }
        guard let id = answer["id"]?.stringValue, let key = answer["key"]?.stringValue,
              let fields = answer["fields"], let status = fields["status"]?["name"]?.stringValue else {
            throw .transient(detail: "Jira get issue \(keyOrID): the answer has no id, key or status")
        }
        let project = fields["project"]?["key"]?.stringValue
            ?? String(key.split(separator: "-").first ?? Substring(key))
        return JiraIssue(id: id, key: key, projectKey: project, statusName: status,
                         statusCategory: fields["status"]?["statusCategory"]?["key"]?.stringValue,
                         summary: fields["summary"]?.stringValue)
    }

    /// Creates an issue; its key (`OPS-124`) and id.
    public func createIssue(_ draft: JiraIssueDraft) async throws(DeliveryError) -> (id: String, key: String) {
        let fields: JSONValue = [
            "project": ["key": .string(draft.projectKey)],
            "issuetype": ["name": .string(draft.issueType)],
            "summary": .string(String(draft.summary.prefix(255))),
            "description": body(draft.description),
        ]
        let answer = try await call("POST", "/issue", body: ["fields": fields], operation: "create issue in \(draft.projectKey)")
        guard let id = answer["id"]?.stringValue, let key = answer["key"]?.stringValue else {
            throw .transient(detail: "Jira create issue: the answer has no id or key")
        }
        return (id, key)
    }

    // MARK: Comments

    /// Adds a comment (cut to `JiraDocument.maximumCharacters` with a note); its id.
    @discardableResult
    public func addComment(issue: String, _ document: JiraDocument) async throws(DeliveryError) -> String {
        let answer = try await call("POST", "/issue/\(Self.segment(issue))/comment", body: ["body": body(document)],
                                    operation: "comment on \(issue)")
        guard let id = answer["id"]?.stringValue else { throw .transient(detail: "Jira comment on \(issue): the answer has no id") }
        return id
    }

    /// One page of the issue's comments, oldest first; `nextStartAt` nil on the last page.
    public func comments(issue: String, startAt: Int = 0, maxResults: Int = 100) async throws(DeliveryError) -> (comments: [JiraComment], nextStartAt: Int?) {
        let answer = try await call("GET", "/issue/\(Self.segment(issue))/comment?startAt=\(startAt)&maxResults=\(maxResults)",
                                    operation: "read comments of \(issue)")
        let items = answer["comments"]?.arrayValue ?? []
        let comments = items.compactMap { item -> JiraComment? in
            guard let id = item["id"]?.stringValue else { return nil }
            return JiraComment(id: id, text: item["body"].map(Self.text) ?? "")
        }
        let total = answer["total"]?.numberValue.map(Int.init)
        let next = startAt + items.count
        let more = items.count > 0 && (total.map { next < $0 } ?? (items.count >= maxResults))
        return (comments, more ? next : nil)
    }

    /// The first comment whose text contains `marker`, reading at most `pageLimit` pages: how a crash between
    /// commenting and recording is reconciled.
    public func findComment(issue: String, containing marker: String, pageLimit: Int = 10) async throws(DeliveryError) -> JiraComment? {
        var startAt: Int? = 0
        var pages = 0
        while let start = startAt, pages < pageLimit {
            let page = try await comments(issue: issue, startAt: start)
            if let found = page.comments.first(where: { $0.text.contains(marker) }) { return found }
            startAt = page.nextStartAt
            pages += 1
        }
        return nil
    }

    // MARK: Links and transitions

    /// Creates the link, or updates the one with the same `globalID`. True when Jira made a new one (201).
    @discardableResult
    public func addRemoteLink(issue: String, _ link: JiraRemoteLink) async throws(DeliveryError) -> Bool {
        var object: [String: JSONValue] = ["url": .string(link.url), "title": .string(link.title)]
        if let summary = link.summary { object["summary"] = .string(summary) }
        if let resolved = link.resolved { object["status"] = ["resolved": .bool(resolved)] }
        let body: JSONValue = [
            "globalId": .string(link.globalID),
            "application": ["type": "io.waveline", "name": "Waveline"],
            "relationship": "deployed by",
            "object": .object(object),
        ]
        let (status, _) = try await exchange("POST", "/issue/\(Self.segment(issue))/remotelink", body: body,
                                             operation: "link \(issue) to Waveline")
        return status == .created
    }

    /// The transitions the issue's workflow offers from its current status.
    public func transitions(issue: String) async throws(DeliveryError) -> [JiraTransition] {
        let answer = try await call("GET", "/issue/\(Self.segment(issue))/transitions", operation: "read transitions of \(issue)")
        return (answer["transitions"]?.arrayValue ?? []).compactMap { item in
            guard let id = item["id"]?.stringValue, let name = item["name"]?.stringValue else { return nil }
            return JiraTransition(id: id, name: name, toStatus: item["to"]?["name"]?.stringValue)
        }
    }

    /// Applies the transition called `name` (compared without regard to case). Not offered from the issue's
    /// status: `.permanent`, naming the ones that are. Returns the transition applied.
    @discardableResult
    public func transition(issue: String, named name: String) async throws(DeliveryError) -> JiraTransition {
        let offered = try await transitions(issue: issue)
        guard let transition = offered.first(where: { $0.name.lowercased() == name.lowercased() }) else {
            let names = offered.map { "'\($0.name)'" }.joined(separator: ", ")
            throw .permanent(detail: "Jira transition '\(name)' is not offered on \(issue) from its current status; offered: \(names.isEmpty ? "none" : names)")
        }
        _ = try await exchange("POST", "/issue/\(Self.segment(issue))/transitions",
                               body: ["transition": ["id": .string(transition.id)]], operation: "transition \(issue) by '\(name)'")
        return transition
    }

    // MARK: The exchange

    /// ADF on Cloud, plain text on Data Center; cut to the comment limit either way.
    func body(_ document: JiraDocument) -> JSONValue {
        let fitted = document.fitted()
        return flavour == .cloud ? fitted.adf : .string(fitted.plainText)
    }

    func call(_ method: String, _ path: String, body: JSONValue? = nil, operation: String) async throws(DeliveryError) -> JSONValue {
        let (_, answer) = try await exchange(method, path, body: body, operation: operation)
        return answer
    }

    /// Sends; the status and the JSON answer (`.null` for an empty body such as a 204).
    func exchange(_ method: String, _ path: String, body: JSONValue?, operation: String) async throws(DeliveryError) -> (HTTPResponseStatus, JSONValue) {
        var request = HTTPClientRequest(url: baseURL + apiPath + path)
        request.method = HTTPMethod(rawValue: method)
        request.headers.add(name: "Authorization", value: authorization.headerValue)
        request.headers.add(name: "Accept", value: "application/json")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body.encoded()))
        }
        let service = "Jira \(operation)"
        let response = try await transport.send(request, service: service)
        let answer = response.body.isEmpty ? JSONValue.null : ((try? JSONValue.decode(response.body)) ?? .null)
        let code = response.status.code
        if (200..<300).contains(code) { return (response.status, answer) }
        let messages = Self.errorMessages(answer) ?? ServiceTransport.quote(response.body)
        let detail = "\(service): HTTP \(code)\(Self.meaning(code))\(messages.isEmpty ? "" : ": " + messages)"
        if code == 409 { throw .transient(detail: detail) }
        throw .permanent(detail: detail)
    }

    static func meaning(_ code: UInt) -> String {
        switch code {
        case 401: return " (not authenticated: check the credentials; Cloud API tokens expire)"
        case 403: return " (Waveline's Jira user lacks the permission)"
        case 404: return " (no such issue, or Waveline's Jira user cannot see it)"
        case 413: return " (the issue has reached a limit on comments or links)"
        default: return ""
        }
    }

    /// Jira's `ErrorCollection`: `errorMessages` and `errors` (`field: message`), joined; nil when not that shape.
    static func errorMessages(_ answer: JSONValue) -> String? {
        guard case .object = answer else { return nil }
        var parts = (answer["errorMessages"]?.arrayValue ?? []).compactMap(\.stringValue)
        for (field, message) in (answer["errors"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            parts.append("\(field): \(message.stringValue ?? message.jsonText)")
        }
        return parts.isEmpty ? nil : parts.joined(separator: "; ")
    }

    /// A comment body as text: a string (v2) as is, an ADF document (v3) by its text nodes.
    static func text(_ body: JSONValue) -> String {
        switch body {
        case .string(let text): return text
        case .object(let object):
            if object["type"]?.stringValue == "text" { return object["text"]?.stringValue ?? "" }
            return (object["content"]?.arrayValue ?? []).map(text).joined(separator: object["type"]?.stringValue == "doc" ? "\n" : "")
        case .array(let items): return items.map(text).joined()
        default: return ""
        }
    }

    /// An issue key or id as one path segment.
    static func segment(_ text: String) -> String {
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
