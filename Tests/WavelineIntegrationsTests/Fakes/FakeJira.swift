import Foundation
import Synchronization
import WavelineIntegrations

/// Jira's REST API (Cloud v3 or Data Center v2) as far as Waveline uses it: issues with a status and a workflow,
/// comments, remote links by globalId, and a moved issue (asking for its old key answers with the new one).
final class FakeJira: FakeBehaviour {
    let service: FakeService

    struct Issue: Sendable {
        var id: String
        var key: String
        var status: String
        var comments: [JSONValue] = []
        var links: [String: JSONValue] = [:]
    }

    /// Status → transitions offered from it (name, target status).
    static let workflow: [String: [(String, String)]] = [
        "Approved": [("Start deployment", "Deploying")],
        "Deploying": [("Deployed", "Done"), ("Deployment failed", "Failed")],
        "Open": [("Approve", "Approved")],
    ]

    private let state = Mutex<(issues: [String: Issue], moved: [String: String], nextID: Int, nextComment: Int)>(([:], [:], 10_000, 1))
    /// Comments per page, to exercise paging.
    let pageSize: Int

    init(_ service: FakeService, pageSize: Int = 2) {
        self.service = service
        self.pageSize = pageSize
        state.withLock { state in
            state.issues["CHG-1"] = Issue(id: "10001", key: "CHG-1", status: "Approved")
            state.issues["OPS-7"] = Issue(id: "10007", key: "OPS-7", status: "Open")
            state.moved["OLD-3"] = "OPS-7"
        }
    }

    func issue(_ key: String) -> Issue? { state.withLock { $0.issues[key] } }

    func answer(_ request: RecordedRequest, endpoint: EndpointDescription, captured: [String]) -> FakeAnswer {
        let body = request.body ?? .null
        if endpoint.path.hasSuffix("/issue"), request.method == "POST" {
            let project = body["fields"]?["project"]?["key"]?.stringValue ?? ""
            guard ["OPS", "CHG"].contains(project) else {
                return FakeAnswer(status: 400, body: ["errorMessages": [], "errors": ["project": "valid project is required"]])
            }
            let created = state.withLock { state -> Issue in
                state.nextID += 1
                let issue = Issue(id: String(state.nextID), key: "\(project)-\(state.nextID)", status: "Open")
                state.issues[issue.key] = issue
                return issue
            }
            return FakeAnswer(status: 201, body: ["id": .string(created.id), "key": .string(created.key), "self": .string("http://jira/rest/api/issue/\(created.id)")])
        }
        let asked = captured.first ?? ""
        let key = state.withLock { state -> String? in
            if state.issues[asked] != nil { return asked }
            if let moved = state.moved[asked] { return moved }
            return state.issues.values.first { $0.id == asked }?.key
        }
        guard let key, let issue = self.issue(key) else {
            return FakeAnswer(status: 404, body: ["errorMessages": ["Issue does not exist or you do not have permission to see it."], "errors": [:]])
        }
        switch (request.method, endpoint.path.split(separator: "/").last ?? "") {
        case ("GET", "{issueIdOrKey}"):
            let project = String(issue.key.split(separator: "-").first ?? "")
            return FakeAnswer(status: 200, body: [
                "id": .string(issue.id), "key": .string(issue.key),
                "fields": ["status": ["name": .string(issue.status), "statusCategory": ["key": "indeterminate"]],
                           "project": ["key": .string(project)], "summary": "Change"],
            ])
        case ("POST", "comment"):
            let id = state.withLock { state -> Int in
                state.nextComment += 1
                state.issues[key]?.comments.append(["id": .string(String(state.nextComment)), "body": body["body"] ?? .null])
                return state.nextComment
            }
            return FakeAnswer(status: 201, body: ["id": .string(String(id)), "body": body["body"] ?? .null])
        case ("GET", "comment"):
            let startAt = request.query["startAt"].flatMap(Int.init) ?? 0
            let max = min(pageSize, request.query["maxResults"].flatMap(Int.init) ?? 50)
            let page = Array(issue.comments.dropFirst(startAt).prefix(max))
            return FakeAnswer(status: 200, body: ["startAt": .number(Double(startAt)), "maxResults": .number(Double(max)),
                                                  "total": .number(Double(issue.comments.count)), "comments": .array(page)])
        case ("POST", "remotelink"):
            let globalID = body["globalId"]?.stringValue ?? ""
            let existed = state.withLock { state -> Bool in
                let existed = state.issues[key]?.links[globalID] != nil
                state.issues[key]?.links[globalID] = body
                return existed
            }
            return FakeAnswer(status: existed ? 200 : 201, body: ["id": 1, "self": .string("http://jira/rest/api/issue/\(key)/remotelink/1")])
        case ("GET", "transitions"):
            let offered = Self.workflow[issue.status] ?? []
            return FakeAnswer(status: 200, body: ["transitions": .array(offered.enumerated().map { index, transition in
                ["id": .string(String(11 + index)), "name": .string(transition.0), "to": ["name": .string(transition.1)]]
            })])
        case ("POST", "transitions"):
            let id = body["transition"]?["id"]?.stringValue ?? ""
            let offered = Self.workflow[issue.status] ?? []
            guard let index = Int(id).map({ $0 - 11 }), offered.indices.contains(index) else {
                return FakeAnswer(status: 400, body: ["errorMessages": [.string("Transition id '\(id)' is not valid for this issue.")], "errors": [:]])
            }
            state.withLock { $0.issues[key]?.status = offered[index].1 }
            return FakeAnswer(status: 204)
        default:
            return FakeAnswer(status: 404, body: ["errorMessages": ["no such resource"], "errors": [:]])
        }
    }
}
