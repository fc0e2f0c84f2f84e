import Foundation
import Testing
import WavelineAPI
import WavelineCore
import WavelineIntegrations

@Suite("Rendering of Slack messages and Jira comments")
struct RenderingTests {
    static let secret = "hunter2-secret-value"
    static let context = RenderingContext(publicURL: "https://waveline.example.com/", jiraBrowseURL: "https://example.atlassian.net",
                                          mask: { $0.replacingOccurrences(of: RenderingTests.secret, with: "********") })

    static func detail(status: DeploymentStatus = .running, gate: Bool = false, failures: Int = 1, logLines: Int = 3) -> DeploymentDetail {
        var counts = StatusCounts()
        counts.succeeded = 3; counts.running = 1; counts.failed = failures > 0 ? 1 : 0; counts.pending = 5
        let summary = DeploymentSummary(
            id: 412, operation: "deploy-version", strategy: "canary", selection: "env=prod", environments: ["prod"], products: ["kafka"],
            parameters: ["version": "1.2.3"], requestedBy: "alice", reason: "Release <1.2.3> & fix, token \(secret)", ticket: "CHG-1",
            status: status, statusReason: nil, currentPhase: 1, targetCount: 10, failureBudget: 1, createdAt: 1_800_000_000,
            startedAt: 1_800_000_010, finishedAt: status.isFinal ? 1_800_000_262 : nil, protectedEnvironments: ["prod"], approvedBy: "bob", approvedAt: 1_800_000_005)
        var canary = StatusCounts(); canary.succeeded = 1
        let phases = [
            PhaseView(index: 0, name: "canary", kind: .deploy, status: gate ? .gate : .completed, gate: "manual", gateOpensAt: nil, approvedBy: gate ? nil : "bob",
                      parallelism: 1, failureBudget: nil, batches: [["kafka-1"]], counts: canary, startedAt: 1_800_000_010, finishedAt: 1_800_000_100),
            PhaseView(index: 1, name: "rest", kind: .deploy, status: gate ? .pending : .running, gate: "auto", gateOpensAt: nil, approvedBy: nil,
                      parallelism: 2, failureBudget: nil, batches: [["kafka-2", "kafka-3"]], counts: counts, startedAt: nil, finishedAt: nil),
        ]
        let lines = (1...max(1, logLines)).map { LogLineView(id: Int64($0), node: "kafka-3", seq: $0, time: 0, stream: "stderr", step: "restart", text: "line \($0) password=\(secret)") }
        let failureViews = (0..<failures).map { index in
            FailureView(node: "kafka-\(3 + index)", stage: .step, step: "restart", exitCode: 1, reason: "exit code 1", lastLines: logLines > 0 ? lines : [])
        }
        return DeploymentDetail(deployment: summary, phases: phases, targets: [], failures: failureViews, counts: counts)
    }

    /// Every string anywhere in a JSON value.
    static func strings(_ value: JSONValue) -> [String] {
        switch value {
        case .string(let text): return [text]
        case .array(let items): return items.flatMap(strings)
        case .object(let object): return object.values.flatMap(strings)
        default: return []
        }
    }

    static func buttons(_ content: SlackMessageContent) -> [JSONValue] {
        content.blocks.filter { $0["type"] == "actions" }.flatMap { $0["elements"]?.arrayValue ?? [] }
    }

    @Test("the parent: header, state, fields, progress per phase, the page link, and the buttons the state allows, all masked and escaped")
    func parent() throws {
        let content = SlackRendering.parent(Self.detail(), context: Self.context)
        let all = Self.strings(.array(content.blocks)) + [content.text]
        #expect(!all.contains { $0.contains(Self.secret) })
        #expect(all.contains { $0.contains("Release &lt;1.2.3&gt; &amp; fix, token ********") })
        #expect(content.blocks.first?["type"] == "header")
        #expect(content.blocks.first?["text"]?["text"] == "#412 deploy-version · prod")
        #expect(all.contains { $0.contains("<https://example.atlassian.net/browse/CHG-1|CHG-1>") })
        #expect(all.contains { $0.contains("*Progress*") && $0.contains("1. canary: 1/1 done") && $0.contains("2. rest: 3/10 done, 1 running, 1 failed") })
        #expect(all.contains { $0.contains("<https://waveline.example.com/deployments/412|Open deployment #412 in Waveline>") })
        let buttons = Self.buttons(content)
        #expect(buttons.map { $0["action_id"]?.stringValue ?? "" } == ["waveline_pause", "waveline_abort", "waveline_open"])
        #expect(buttons.allSatisfy { $0["value"] == "412" })
        #expect(buttons.last?["url"] == "https://waveline.example.com/deployments/412")
        #expect(buttons[1]["confirm"] != nil && buttons[1]["style"] == "danger")
        #expect(content.blocks.last?["block_id"]?.stringValue?.hasPrefix(SlackAction.blockIDPrefix + "412:running:1:") == true)
        #expect(SlackLimits.fit(content) == content)
    }

    @Test("buttons follow the state: approve while approval or a manual gate waits, resume when paused, only Open when over")
    func buttonsByState() {
        func ids(_ detail: DeploymentDetail) -> [String] { Self.buttons(SlackRendering.parent(detail, context: Self.context)).compactMap { $0["action_id"]?.stringValue } }
        #expect(ids(Self.detail(status: .pendingApproval)) == ["waveline_approve", "waveline_abort", "waveline_open"])
        #expect(ids(Self.detail(status: .running, gate: true)) == ["waveline_approve", "waveline_pause", "waveline_abort", "waveline_open"])
        #expect(ids(Self.detail(status: .paused)) == ["waveline_resume", "waveline_abort", "waveline_open"])
        #expect(ids(Self.detail(status: .succeeded)) == ["waveline_open"])
        // The contract the interactions endpoint parses.
        #expect(SlackAction.parse(actionID: "waveline_approve", value: "412").map { $0.action == .approve && $0.deployment == 412 } == true)
        #expect(SlackAction.parse(actionID: "waveline_approve", value: "412 ") == nil)
        #expect(SlackAction.parse(actionID: "waveline_approve", value: "-1") == nil)
        #expect(SlackAction.parse(actionID: "deployment.approve", value: "412") == nil)
        #expect(SlackAction.allCases.compactMap(\.operatorAction) == [.approve, .pause, .resume, .abort])
    }

    @Test("a failure reply names node, step and exit code, quotes the last log lines masked, links the node's log, and is broadcast")
    func failureReply() throws {
        let detail = Self.detail(logLines: 40)
        let reply = SlackRendering.reply(.failure(detail.failures[0]), detail: detail, context: Self.context)
        #expect(reply.broadcast)
        let all = Self.strings(.array(reply.content.blocks)) + [reply.content.text]
        #expect(!all.contains { $0.contains(Self.secret) })
        #expect(reply.content.text == "Deployment #412: node kafka-3 failed at step 'restart' (exit code 1)")
        #expect(all.contains { $0.contains("*kafka-3* failed in <https://waveline.example.com/deployments/412|deployment #412> at step `restart`, exit code 1") })
        let log = try #require(all.first { $0.hasPrefix("```") })
        #expect(log.contains("line 40 password=********") && !log.contains("line 25 "))
        #expect(all.contains { $0.contains("<https://waveline.example.com/deployments/412/nodes/kafka-3|Full log of kafka-3>") })
    }

    @Test("approval, gate, operator action and outcome replies")
    func otherReplies() {
        let approval = SlackRendering.reply(.approvalNeeded, detail: Self.detail(status: .pendingApproval), context: Self.context)
        #expect(approval.content.text == "Approval needed: deployment #412 touches prod; requested by alice.")
        #expect(Self.buttons(approval.content).first?["action_id"] == "waveline_approve")
        let gate = SlackRendering.reply(.gateWaiting(phase: 0), detail: Self.detail(gate: true), context: Self.context)
        #expect(gate.content.text == "Deployment #412: phase 'canary' is done; waiting for approval.")
        #expect(!gate.broadcast)
        let abort = SlackRendering.reply(.operatorAction(.abort, by: "carol", reason: "bad metrics \(Self.secret)"), detail: Self.detail(status: .cancelled), context: Self.context)
        #expect(abort.content.text == "carol aborted deployment #412: bad metrics ********" && abort.broadcast)
        let outcome = SlackRendering.reply(.outcome, detail: Self.detail(status: .failed), context: Self.context)
        #expect(outcome.content.text == "Deployment #412 deploy-version: failed in 4m 12s" && outcome.broadcast)
        let success = SlackRendering.reply(.outcome, detail: Self.detail(status: .succeeded, failures: 0), context: Self.context)
        #expect(!success.broadcast)
    }

    @Test("many failures and huge log lines stay within Slack's limits")
    func limits() {
        var detail = Self.detail(failures: 200, logLines: 15)
        detail.failures = detail.failures.map { failure in
            var failure = failure
            failure.lastLines = failure.lastLines.map { var line = $0; line.text = String(repeating: "y", count: 5_000); return line }
            return failure
        }
        for content in [SlackRendering.parent(detail, context: Self.context),
                        SlackRendering.reply(.failure(detail.failures[0]), detail: detail, context: Self.context).content,
                        SlackRendering.reply(.outcome, detail: detail, context: Self.context).content] {
            #expect(content.blocks.count <= SlackLimits.maximumBlocks)
            for block in content.blocks {
                #expect((block["text"]?["text"]?.stringValue?.utf16.count ?? 0) <= SlackLimits.maximumSectionText)
            }
            #expect(Self.strings(.array(content.blocks)).reduce(0) { $0 + $1.utf16.count } < 14_000)
        }
    }

    @Test("Jira comments: start with the link, end with outcome, failure points and duration, marker last; ADF and plain text; masked")
    func jiraComments() throws {
        let marker = JiraRendering.marker(deployment: 412, message: "m-3")
        let start = JiraRendering.startComment(Self.detail(), marker: marker, context: Self.context)
        #expect(start.plainText.hasPrefix("Waveline started deployment #412 (https://waveline.example.com/deployments/412): deploy-version on prod for kafka, 10 nodes, requested by alice, approved by bob."))
        #expect(start.plainText.hasSuffix(marker))
        let end = JiraRendering.endComment(Self.detail(status: .failed, failures: 2), marker: marker, context: Self.context)
        let text = end.plainText
        #expect(text.contains("failed in 4m 12s: 3 nodes succeeded, 1 failed, 0 skipped."))
        #expect(text.contains("- kafka-3 (https://waveline.example.com/deployments/412/nodes/kafka-3): step restart, exit code 1 — exit code 1"))
        #expect(!text.contains(Self.secret) && text.contains("password=********"))
        let adf = end.adf
        #expect(adf["type"] == "doc" && adf["version"] == 1)
        #expect(!Self.strings(adf).contains { $0.contains(Self.secret) })
        let kinds = (adf["content"]?.arrayValue ?? []).compactMap { $0["type"]?.stringValue }
        #expect(kinds.contains("bulletList") && kinds.contains("codeBlock") && kinds.last == "paragraph")
        // Every ADF text node has text: Jira refuses empty ones.
        func textNodes(_ value: JSONValue) -> [JSONValue] {
            if value["type"] == "text" { return [value] }
            return (value["content"]?.arrayValue ?? []).flatMap(textNodes)
        }
        #expect(textNodes(adf).allSatisfy { !($0["text"]?.stringValue ?? "").isEmpty })
        let link = JiraRendering.remoteLink(Self.detail(status: .succeeded), context: Self.context)
        #expect(link.globalID == "system=waveline&id=https://waveline.example.com/deployments/412" && link.resolved == true)
    }
}
