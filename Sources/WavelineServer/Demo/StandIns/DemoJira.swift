import Foundation
import Synchronization
import WavelineIntegrations

/// The demo's Jira (Cloud, REST v3): the issues it knows with a status and a small change workflow, comments
/// (ADF bodies, paged), remote links by `globalId` and transitions. It knows only the demo's tickets (no issue is
/// created), and keeps at most `commentCapacity` comments per issue.
final class DemoJira: Sendable {
    struct Issue: Sendable {
        var id: String
        var key: String
        var summary: String
        var status: String
        var comments: [(id: String, body: JSONValue)] = []
        var links: [String: JSONValue] = [:]
    }

    /// A status's transitions: name, target status.
    static let workflow: [String: [(name: String, to: String)]] = [
        "Approved": [("Start deployment", "Deploying")],
        "Deploying": [("Deployed", "Done"), ("Deployment failed", "Failed")],
        "Failed": [("Start deployment", "Deploying")],
    ]
    static let commentCapacity = 500

    /// The `Authorization` header Waveline must send (Basic e-mail and API token).
    let expectedAuthorization: String
    private let state: Mutex<(issues: [String: Issue], nextComment: Int)>

    init(email: String, apiToken: String, issues: [Issue]) {
        expectedAuthorization = "Basic " + Data("\(email):\(apiToken)".utf8).base64EncodedString()
        state = Mutex((Dictionary(issues.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first }), 10_000))
    }

    func issue(_ key: String) -> Issue? { state.withLock { $0.issues[key] } }

    /// Answers a request under `/rest/api/3` (`path` is what follows it): status and JSON body (nil: none).
    func answer(method: String, path: String, authorization: String?, body: JSONValue?, query: [String: String]) -> (Int, JSONValue?) {
        guard authorization == expectedAuthorization else {
            return (401, ["errorMessages": ["You are not authenticated. Authentication required to perform this operation."], "errors": [:]])
        }
        let parts = path.split(separator: "/").map(String.init)
        guard parts.count >= 2, parts[0] == "issue" else { return (404, ["errorMessages": ["no such resource"], "errors": [:]]) }
        let asked = parts[1].removingPercentEncoding ?? parts[1]
        guard let issue = state.withLock({ state in state.issues[asked] ?? state.issues.values.first { $0.id == asked } }) else {
            return (404, ["errorMessages": ["Issue does not exist or you do not have permission to see it."], "errors": [:]])
        }
        let key = issue.key
        switch (method, parts.count > 2 ? parts[2] : "") {
        case ("GET", ""):
            return (200, [
                "id": .string(issue.id), "key": .string(issue.key),
                "fields": ["status": ["name": .string(issue.status), "statusCategory": ["key": "indeterminate"]],
                           "project": ["key": .string(String(issue.key.split(separator: "-").first ?? ""))],
                           "summary": .string(issue.summary)],
            ])
        case ("POST", "comment"):
            let id = state.withLock { state -> String in
                state.nextComment += 1
                let id = String(state.nextComment)
                state.issues[key]?.comments.append((id, body?["body"] ?? .null))
                if let count = state.issues[key]?.comments.count, count > Self.commentCapacity {
                    state.issues[key]?.comments.removeFirst(count - Self.commentCapacity)
                }
                return id
            }
            return (201, ["id": .string(id), "body": body?["body"] ?? .null])
        case ("GET", "comment"):
            let startAt = max(0, query["startAt"].flatMap(Int.init) ?? 0)
            let max = min(100, Swift.max(1, query["maxResults"].flatMap(Int.init) ?? 50))
            let page = Array(issue.comments.dropFirst(startAt).prefix(max))
            return (200, ["startAt": .number(Double(startAt)), "maxResults": .number(Double(max)),
                          "total": .number(Double(issue.comments.count)),
                          "comments": .array(page.map { ["id": .string($0.id), "body": $0.body] })])
        case ("POST", "remotelink"):
            let globalID = body?["globalId"]?.stringValue ?? ""
            let existed = state.withLock { state -> Bool in
                let existed = state.issues[key]?.links[globalID] != nil
                state.issues[key]?.links[globalID] = body ?? .null
                return existed
            }
            return (existed ? 200 : 201, ["id": 1, "self": .string("remotelink/1")])
        case ("GET", "transitions"):
            let offered = Self.workflow[issue.status] ?? []
            return (200, ["transitions": .array(offered.enumerated().map { index, transition in
                ["id": .string(String(11 + index)), "name": .string(transition.name), "to": ["name": .string(transition.to)]]
            })])
        case ("POST", "transitions"):
            let id = body?["transition"]?["id"]?.stringValue ?? ""
            let offered = Self.workflow[issue.status] ?? []
            guard let index = Int(id).map({ $0 - 11 }), offered.indices.contains(index) else {
                return (400, ["errorMessages": [.string("Transition id '\(id)' is not valid for this issue.")], "errors": [:]])
            }
            state.withLock { $0.issues[key]?.status = offered[index].to }
            return (204, nil)
        default:
            return (404, ["errorMessages": ["no such resource"], "errors": [:]])
        }
    }

    /// `/jira/browse/{key}`: the issue, its status, links and comments as plain text.
    func transcript(of key: String) -> String? {
        guard let issue = issue(key) else { return nil }
        var lines = ["\(issue.key)  \(issue.summary)", "Status: \(issue.status)", ""]
        let links = issue.links.values.compactMap { $0["object"]?["url"]?.stringValue }.sorted()
        if !links.isEmpty { lines += ["Links:"] + links.map { "  " + $0 } + [""] }
        lines.append(issue.comments.isEmpty ? "No comments yet." : "Comments (\(issue.comments.count)):")
        for comment in issue.comments {
            lines.append("")
            lines.append("— comment \(comment.id)")
            lines.append(indent(Self.text(comment.body), by: "  "))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// An ADF document's text: its text nodes, a line per block.
    static func text(_ body: JSONValue) -> String {
        switch body {
        case .string(let text): return text
        case .object(let object):
            if object["type"]?.stringValue == "text" { return object["text"]?.stringValue ?? "" }
            if object["type"]?.stringValue == "hardBreak" { return "\n" }
            let blocks: Set<String> = ["doc", "bulletList", "orderedList", "codeBlock"]
            return (object["content"]?.arrayValue ?? []).map(text).joined(separator: blocks.contains(object["type"]?.stringValue ?? "") ? "\n" : "")
        case .array(let items): return items.map(text).joined()
        default: return ""
        }
    }
}
