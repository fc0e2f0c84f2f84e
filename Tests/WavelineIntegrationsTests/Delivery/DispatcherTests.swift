import Foundation
import Synchronization
import Testing
import WavelineAPI
import WavelineCore
import WavelineIntegrations
import WavelineStore
import WavelineTesting

/// The notifications dispatcher on a real SQLite store, against the fake Slack and Jira as real HTTP servers,
/// on a manual time.
@Suite("Notification delivery")
struct DispatcherTests {
    /// The replies of one deployment's thread, in the order Slack holds them, by the kind of their outbox message.
    static func threadKinds(_ messages: [FakeSlack.Message], deployment: Int64, store: SQLDeploymentStore) async throws -> [String] {
        let kinds = Dictionary(uniqueKeysWithValues: try await store.outbox(of: deployment).map { ($0.message.messageID, $0.message.kind.rawValue) })
        return messages.filter { $0.markerDeploymentID == deployment && $0.threadTS != nil }.compactMap { $0.markerMessageID.flatMap { kinds[$0] } }
    }

    static let expectedReplies = ["failure", "operator_action", "operator_action", "outcome"]

    @Test("Several deployments at once: one parent each, every reply in order in its thread, never two posts in a second on the channel")
    func orderPerDeploymentUnderConcurrency() async throws {
        let slack = FakeSlack(pageSize: 200)
        try await withFakeServer(slack) { url, recorder in
            let bench = try await DeliveryBench(slackURL: url, slackRecorder: recorder)
            defer { Task { await bench.close() } }
            // Writers side by side, as the engine's drivers write.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for id: Int64 in 1...6 { group.addTask { try await bench.writeLife(id) } }
                try await group.waitForAll()
            }
            #expect(try await bench.drive { try await bench.allSettled() })
            #expect(recorder.problems.isEmpty, "\(recorder.problems)")
            let messages = slack.messages
            for id: Int64 in 1...6 {
                let parents = messages.filter { $0.markerDeploymentID == id && $0.threadTS == nil }
                #expect(parents.count == 1, "deployment \(id) has \(parents.count) parents")
                #expect(try await Self.threadKinds(messages, deployment: id, store: bench.store) == Self.expectedReplies)
                #expect(messages.filter { $0.markerDeploymentID == id && $0.threadTS != nil }.allSatisfy { $0.threadTS == parents.first?.ts })
            }
            let posts = bench.slackRequestTimes.enumerated().filter { recorder.requests[$0.offset].path.hasSuffix("chat.postMessage") }.map(\.element)
            for (earlier, later) in zip(posts, posts.dropFirst()) { #expect(later - earlier >= 1, "two posts \(later - earlier)s apart") }
            // The failure and the non-successful outcome are also shown in the channel.
            #expect(messages.filter(\.broadcast).count == 12)
            // Masked in every payload.
            #expect(!recorder.requests.contains { $0.body?.jsonText.contains(DeliveryBench.secretValue) == true })
        }
    }

    @Test("A storm of 429s: nothing is sent before Retry-After has passed, then everything arrives in order")
    func stormOf429s() async throws {
        let slack = FakeSlack(pageSize: 200)
        try await withFakeServer(slack) { url, recorder in
            let bench = try await DeliveryBench(slackURL: url, slackRecorder: recorder)
            defer { Task { await bench.close() } }
            for id: Int64 in 1...3 { try await bench.writeLife(id) }
            recorder.mode = .rateLimited(retryAfter: 7)
            // Every 429 closes the channel for 7 s: a pass within them sends nothing.
            var refusedAt: [Double] = []
            for _ in 0..<60 {
                let before = recorder.requests.count
                await bench.pass()
                if recorder.requests.count > before { refusedAt.append(bench.time.now()) }
                bench.time.advance(by: 0.5)
            }
            #expect(refusedAt.count >= 3)
            for (earlier, later) in zip(refusedAt, refusedAt.dropFirst()) { #expect(later - earlier >= 7, "asked again \(later - earlier)s after a 429 saying 7") }
            recorder.mode = .normal
            #expect(try await bench.drive { try await bench.allSettled() })
            let messages = slack.messages
            for id: Int64 in 1...3 {
                #expect(messages.filter { $0.markerDeploymentID == id && $0.threadTS == nil }.count == 1)
                #expect(try await Self.threadKinds(messages, deployment: id, store: bench.store) == Self.expectedReplies)
            }
            let deliveries = try await bench.store.outbox(of: 1).flatMap(\.deliveries)
            #expect(deliveries.allSatisfy { $0.state == .sent })
        }
    }

    @Test("Ten minutes of Slack and Jira outage: deployments are written on without waiting, and everything arrives afterwards, in order")
    func tenMinuteOutage() async throws {
        let slack = FakeSlack(pageSize: 200)
        let jira = FakeJira(.jiraCloud, pageSize: 50)
        try await withFakeServer(slack) { slackURL, slackRecorder in
            try await withFakeServer(jira) { jiraURL, jiraRecorder in
                let bench = try await DeliveryBench(slackURL: slackURL, slackRecorder: slackRecorder, jiraURL: jiraURL, jiraRecorder: jiraRecorder)
                defer { Task { await bench.close() } }
                slackRecorder.mode = .serverError(503)
                jiraRecorder.mode = .serverError(503)
                let start = bench.time.now()
                var written: Int64 = 0
                // Deployments keep being written while both services are down; the dispatcher keeps failing.
                while bench.time.now() - start < 600 {
                    if written < 4, bench.time.now() - start >= Double(written) * 120 {
                        written += 1
                        try await bench.writeLife(written, outcome: written % 2 == 0 ? .succeeded : .failed)
                    }
                    await bench.pass()
                    bench.time.advance(by: 5)
                }
                #expect(written == 4)
                #expect(slack.messages.isEmpty)
                #expect(!(try await bench.allSettled()))
                slackRecorder.mode = .normal
                jiraRecorder.mode = .normal
                #expect(try await bench.drive(step: 1) { try await bench.allSettled() })
                #expect(slackRecorder.problems.isEmpty && jiraRecorder.problems.isEmpty, "\(slackRecorder.problems) \(jiraRecorder.problems)")
                let messages = slack.messages
                for id: Int64 in 1...4 {
                    #expect(messages.filter { $0.markerDeploymentID == id && $0.threadTS == nil }.count == 1)
                    #expect(try await Self.threadKinds(messages, deployment: id, store: bench.store) == Self.expectedReplies)
                }
                // Each deployment: a start and an end comment on the ticket, in order, none twice.
                let comments = jira.issue("CHG-1")?.comments.map { JiraClientText.text($0) } ?? []
                for id: Int64 in 1...4 {
                    let mine = comments.filter { $0.contains("[waveline deployment \(id) message") }
                    #expect(mine.count == 2, "deployment \(id): \(mine.count) comments")
                    #expect(mine.first?.contains("started") == true)
                }
            }
        }
    }

    @Test("Jira, both flavours: a start comment, the remote link and the start transition; an end comment and the outcome's transition",
          arguments: [FakeService.jiraCloud, .jiraDataCenter])
    func jiraCommentsAndTransitions(_ service: FakeService) async throws {
        let jira = FakeJira(service, pageSize: 50)
        try await withFakeServer(jira) { url, recorder in
            let bench = try await DeliveryBench(slackURL: nil, slackRecorder: nil, jiraURL: url, jiraRecorder: recorder,
                                                jiraFlavour: service == .jiraCloud ? .cloud : .dataCenter)
            defer { Task { await bench.close() } }
            try await bench.writeLife(1, outcome: .succeeded)
            #expect(try await bench.drive { try await bench.allSettled() })
            #expect(recorder.problems.isEmpty, "\(recorder.problems)")
            let issue = try #require(jira.issue("CHG-1"))
            #expect(issue.comments.count == 2)
            #expect(issue.links.count == 1)
            #expect(issue.status == "Done")
            let texts = issue.comments.map { JiraClientText.text($0) }
            #expect(texts.first?.contains("started") == true)
            #expect(texts.last?.contains("succeeded") == true)
            #expect(!texts.contains { $0.contains(DeliveryBench.secretValue) })
            let deliveries = try await bench.store.outbox(of: 1).flatMap(\.deliveries).filter { $0.destination != .slack }
            #expect(deliveries.count == 6)
            #expect(deliveries.allSatisfy { $0.state == .sent })
        }
    }

    @Test("No ticket: nothing is sent to Jira, and the Jira deliveries say why")
    func noTicketNothingSent() async throws {
        let jira = FakeJira(.jiraCloud)
        try await withFakeServer(jira) { url, recorder in
            let bench = try await DeliveryBench(slackURL: nil, slackRecorder: nil, jiraURL: url, jiraRecorder: recorder)
            defer { Task { await bench.close() } }
            try await bench.writeLife(1, ticket: nil)
            #expect(try await bench.drive { try await bench.allSettled() })
            #expect(recorder.requests.isEmpty)
            let jiraDeliveries = try await bench.store.outbox(of: 1).flatMap(\.deliveries).filter { $0.destination != .slack }
            #expect(jiraDeliveries.count == 6)
            #expect(jiraDeliveries.allSatisfy { $0.state == .skipped && $0.lastError == "the deployment has no ticket" })
        }
    }

    @Test("A ticket no policy had checked in Jira (free text in another environment) is never commented on")
    func uncheckedTicketNothingSent() async throws {
        let jira = FakeJira(.jiraCloud)
        try await withFakeServer(jira) { url, recorder in
            let bench = try await DeliveryBench(slackURL: nil, slackRecorder: nil, jiraURL: url, jiraRecorder: recorder)
            defer { Task { await bench.close() } }
            try await bench.writeLife(1, ticket: "CHG-1", checked: false)
            #expect(try await bench.drive { try await bench.allSettled() })
            #expect(recorder.requests.isEmpty)
            let jiraDeliveries = try await bench.store.outbox(of: 1).flatMap(\.deliveries).filter { $0.destination != .slack }
            #expect(jiraDeliveries.count == 6)
            #expect(jiraDeliveries.allSatisfy { $0.state == .skipped && $0.lastError?.contains("not checked in Jira") == true })
        }
    }

    @Test("A send whose record is lost (a crash after the post) is found by its marker and not posted again")
    func sendingIsReconciledNotResent() async throws {
        let slack = FakeSlack(pageSize: 2)
        try await withFakeServer(slack) { url, recorder in
            let losing = Mutex<LosingLedger?>(nil)
            let bench = try await DeliveryBench(slackURL: url, slackRecorder: recorder, wrapLedger: { base in
                let ledger = LosingLedger(base, losing: .operatorAction)
                losing.withLock { $0 = ledger }
                return ledger
            })
            defer { Task { await bench.close() } }
            try await bench.writeLife(1)
            #expect(try await bench.drive { try await bench.allSettled() })
            #expect(losing.withLock { $0?.hasLost } == true)
            #expect(try await Self.threadKinds(slack.messages, deployment: 1, store: bench.store) == Self.expectedReplies)
            #expect(recorder.requests.contains { $0.path.hasSuffix("conversations.replies") })
            let deliveries = try await bench.store.outbox(of: 1).flatMap(\.deliveries).filter { $0.destination == .slack }
            #expect(deliveries.allSatisfy { $0.state == .sent })
        }
    }
}

/// Comment bodies as text, ADF or plain.
enum JiraClientText {
    static func text(_ body: JSONValue) -> String {
        switch body {
        case .string(let text): return text
        case .object(let object):
            if let text = object["text"]?.stringValue, object["type"]?.stringValue == "text" { return text }
            if let inner = object["body"] { return text(inner) }
            return (object["content"]?.arrayValue ?? []).map(text).joined(separator: " ")
        case .array(let items): return items.map(text).joined(separator: " ")
        default: return ""
        }
    }
}
