import Foundation
import Testing
import WavelineCore
import WavelineIntegrations

@Suite("Jira client against the fake Jira, both flavours")
struct JiraClientTests {
    static let flavours: [JiraSettings.Flavour] = [.cloud, .dataCenter]

    static func client(_ url: String, _ flavour: JiraSettings.Flavour) -> JiraClient {
        JiraClient(baseURL: url, flavour: flavour,
                   authorization: flavour == .cloud ? .basic(email: "bot@example.com", apiToken: "cloud-token") : .bearer(personalAccessToken: "dc-token"))
    }

    static func service(_ flavour: JiraSettings.Flavour) -> FakeService { flavour == .cloud ? .jiraCloud : .jiraDataCenter }

    @Test("every call, each request conforming: get (a moved key answers with the new one), comment, list and find comments, remote link twice, transitions, create", arguments: flavours)
    func everyCall(flavour: JiraSettings.Flavour) async throws {
        let jira = FakeJira(Self.service(flavour))
        try await withFakeServer(jira) { url, recorder in
            let client = Self.client(url, flavour)
            let issue = try #require(try await client.issue("CHG-1"))
            #expect(issue == JiraIssue(id: "10001", key: "CHG-1", projectKey: "CHG", statusName: "Approved", statusCategory: "indeterminate", summary: "Change"))
            let moved = try await client.issue("OLD-3")
            #expect(moved?.key == "OPS-7" && moved?.projectKey == "OPS")
            #expect(try await client.issue("NOPE-1") == nil)

            for index in 1...3 {
                try await client.addComment(issue: "CHG-1", JiraDocument([.paragraph([.text("comment "), .bold("\(index)")]),
                                                                        .paragraph([.text(JiraRendering.marker(deployment: 412, message: "m\(index)"))])]))
            }
            let found = try await client.findComment(issue: "CHG-1", containing: JiraRendering.marker(deployment: 412, message: "m3"))
            #expect(found?.text.contains("comment 3") == true)
            #expect(try await client.findComment(issue: "CHG-1", containing: "[waveline deployment 412 message m9]") == nil)
            let body = try #require(jira.issue("CHG-1")?.comments.first?["body"])
            if flavour == .cloud {
                #expect(body["type"] == "doc" && body["version"] == 1)
            } else {
                #expect(body.stringValue?.hasPrefix("comment 1") == true)
            }

            let link = JiraRemoteLink(globalID: JiraRemoteLink.globalID(deploymentURL: "https://w/deployments/412"), url: "https://w/deployments/412", title: "Waveline #412")
            #expect(try await client.addRemoteLink(issue: "CHG-1", link) == true)
            #expect(try await client.addRemoteLink(issue: "CHG-1", link) == false)
            #expect(jira.issue("CHG-1")?.links.count == 1)

            let offered = try await client.transitions(issue: "CHG-1")
            #expect(offered.map(\.name) == ["Start deployment"])
            let applied = try await client.transition(issue: "CHG-1", named: "start DEPLOYMENT")
            #expect(applied.toStatus == "Deploying" && jira.issue("CHG-1")?.status == "Deploying")
            if let error = await deliveryFailure({
                try await client.transition(issue: "CHG-1", named: "Start deployment")
            }) {
                #expect(error == .permanent(detail: "Jira transition 'Start deployment' is not offered on CHG-1 from its current status; offered: 'Deployed', 'Deployment failed'"))
            }

            let created = try await client.createIssue(JiraIssueDraft(projectKey: "OPS", issueType: "Task", summary: "Ad-hoc", description: JiraDocument([.paragraph([.text("why")])])))
            #expect(created.key.hasPrefix("OPS-") && jira.issue(created.key) != nil)

            #expect(recorder.problems == [])
            let expectedAuth = flavour == .cloud ? "Basic " + Data("bot@example.com:cloud-token".utf8).base64EncodedString() : "Bearer dc-token"
            #expect(recorder.requests.allSatisfy { $0.headers["authorization"] == expectedAuth })
            #expect(recorder.requests.allSatisfy { $0.path.hasPrefix(flavour == .cloud ? "/rest/api/3/" : "/rest/api/2/") })
        }
    }

    @Test("Jira's error collection is shown; 4xx is permanent, 409 and 5xx transient, 429 rate limited with Retry-After", arguments: flavours)
    func classification(flavour: JiraSettings.Flavour) async throws {
        try await withFakeServer(FakeJira(Self.service(flavour))) { url, recorder in
            let client = Self.client(url, flavour)
            let draft = JiraIssueDraft(projectKey: "XYZ", issueType: "Task", summary: "s", description: JiraDocument([]))
            if let error = await deliveryFailure({ _ = try await client.createIssue(draft) }) {
                #expect(error == .permanent(detail: "Jira create issue in XYZ: HTTP 400: project: valid project is required"))
            }
            recorder.mode = .rateLimited(retryAfter: 30)
            if let error = await deliveryFailure({ _ = try await client.issue("CHG-1") }) {
                guard case .rateLimited(let delay, _) = error else { Issue.record("got \(error)"); return }
                #expect(delay == .seconds(30))
            }
            recorder.mode = .serverError(502)
            if let error = await deliveryFailure({ _ = try await client.issue("CHG-1") }) {
                guard case .transient = error else { Issue.record("got \(error)"); return }
            }
        }
        let closed = try await closedPortURL()
        if let error = await deliveryFailure({ _ = try await Self.client(closed, flavour).issue("CHG-1") }) {
            guard case .transient(let detail, _) = error else { Issue.record("got \(error)"); return }
            #expect(detail.contains("cannot reach") && !detail.contains("token"))
        }
    }

    @Test("a comment over Jira's limit is cut with a note, keeping the end of the log and the marker", arguments: flavours)
    func commentLimit(flavour: JiraSettings.Flavour) async throws {
        let jira = FakeJira(Self.service(flavour))
        try await withFakeServer(jira) { url, recorder in
            let log = (1...5_000).map { "log line \($0) with some text" }.joined(separator: "\n")
            let marker = JiraRendering.marker(deployment: 9, message: "end")
            try await Self.client(url, flavour).addComment(issue: "CHG-1", JiraDocument([.paragraph([.text("Failed")]), .codeBlock(log), .paragraph([.text(marker)])]))
            let comment = try #require(jira.issue("CHG-1")?.comments.first?["body"])
            let text = flavour == .cloud ? Self.adfText(comment) : (comment.stringValue ?? "")
            #expect(text.utf16.count <= JiraDocument.maximumCharacters)
            #expect(text.contains("earlier characters not shown") && text.contains("log line 5000 with some text") && text.contains(marker))
            #expect(recorder.problems == [])
        }
    }

    static func adfText(_ value: JSONValue) -> String {
        if let text = value["text"]?.stringValue { return text }
        return (value["content"]?.arrayValue ?? []).map(adfText).joined(separator: "\n")
    }
}
