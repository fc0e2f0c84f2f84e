import Foundation
import Subprocess
import Testing
import WavelineAPI
import WavelineCore
import WavelineTesting

/// `waveline demo` runs local stand-ins for Slack and Jira: its deployments' messages reach them (the thread, the
/// ticket's comments, link and transition) and read back as sent through the notifications API, and the stand-ins
/// show what they received.
@Suite(.serialized) struct DemoNotificationsTests {
    static func notifications(_ server: RunningServer, _ id: Int64) async throws -> [NotificationView] {
        try await server.get("/api/v1/deployments/\(id)/notifications", as: NotificationList.self).notifications
    }

    @Test func theDemosDeploymentsReachItsSlackAndJiraStandInsAndReadAsSent() async throws {
        let folder = ListenAndPaceTests.temporaryFolder()
        defer {
            for pid in ListenAndPaceTests.servicePIDs(folder).values { kill(pid, SIGKILL) }
            try? FileManager.default.removeItem(atPath: folder)
        }
        let ended = try await ListenAndPaceTests.withDemo(["--data", folder, "--port", "0", "--pace", "0.05"]) { _, lines in
            var url: String?
            var slackPage: String?
            while let line = try await lines.next() {
                if let range = line.range(of: "Waveline demo is running at ") {
                    url = line[range.upperBound...].split(separator: " ").first.map(String.init)
                }
                if let range = line.range(of: "the thread as posted: ") {
                    slackPage = line[range.upperBound...].split(separator: ",").first.map(String.init)
                    break
                }
            }
            let port = try #require(url.flatMap { $0.split(separator: ":").last }.flatMap { Int($0) }, "the demo did not say where it runs")
            let standIns = try #require(slackPage.flatMap(URL.init(string:)), "the demo did not say where its Slack stand-in is")
            let anonymous = RunningServer(port: port, pid: 0, token: nil)
            let basic = Data("admin:\(Workbench.adminPassword)".utf8).base64EncodedString()
            let (status, body) = try await anonymous.request(
                "POST", "/api/v1/tokens", body: try JSONEncoder().encode(CreateTokenBody(name: "test", expiresInDays: 1)),
                headers: [("Authorization", "Basic \(basic)")]
            )
            #expect(status == 201, "\(String(decoding: body, as: UTF8.self))")
            let server = RunningServer(port: port, pid: 0, token: try JSONDecoder().decode(CreatedToken.self, from: body).token)

            // #1 (Kafka, prod, ticket CHG-2041 checked in the stand-in Jira): its failure point in the thread, and the
            // start comment, link and transition on the ticket.
            let first = try await server.detail(1)
            #expect(first.deployment.jiraTicket?.key == "CHG-2041")
            #expect(first.deployment.jiraTicket?.status == "Approved")
            let firstDelivered = try await eventually(timeout: .seconds(90)) {
                let rows = try await Self.notifications(server, 1)
                return rows.contains { $0.destination == "slack" && $0.kind == "failure" && $0.state == "sent" }
                    && rows.contains { $0.destination == "jira_comment" && $0.state == "sent" }
                    && rows.contains { $0.destination == "jira_link" && $0.state == "sent" }
                    && rows.contains { $0.destination == "jira_transition" && $0.state == "sent" }
            }
            let firstRows = try await Self.notifications(server, 1)
            #expect(firstDelivered, "\(firstRows)")
            #expect(firstRows.allSatisfy { $0.state != "failed" }, "\(firstRows)")
            #expect(firstRows.filter { $0.state == "sent" }.allSatisfy { $0.externalReference != nil }, "\(firstRows)")

            // #2 (dev, no ticket): its outcome in the thread; nothing for Jira, and it says why.
            _ = try await server.waitUntilFinal(2, timeout: .seconds(60))
            let secondDelivered = try await eventually(timeout: .seconds(90)) {
                try await Self.notifications(server, 2).contains { $0.destination == "slack" && $0.kind == "outcome" && $0.state == "sent" }
            }
            let secondRows = try await Self.notifications(server, 2)
            #expect(secondDelivered, "\(secondRows)")
            #expect(secondRows.filter { $0.destination.hasPrefix("jira") }.allSatisfy { $0.state == "skipped" && $0.lastError == "the deployment has no ticket" },
                    "\(secondRows)")

            // The stand-ins show what they received: the thread, and the ticket with Waveline's comment on it.
            let standInPort = try #require(standIns.port)
            let standIn = RunningServer(port: standInPort, pid: 0, token: nil)
            let (slackStatus, slackText) = try await standIn.request("GET", "/demo/slack")
            #expect(slackStatus == 200)
            #expect(String(decoding: slackText, as: UTF8.self).contains("#deploys"))
            let (jiraStatus, jiraText) = try await standIn.request("GET", "/jira/browse/CHG-2041")
            #expect(jiraStatus == 200)
            let ticket = String(decoding: jiraText, as: UTF8.self)
            #expect(ticket.contains("Comments ("), "\(ticket)")
            #expect(ticket.contains("http://127.0.0.1:\(port)/deployments/1"), "\(ticket)")
            // The stand-ins check the credentials Waveline was given.
            let (refused, _) = try await standIn.request("GET", "/jira/rest/api/3/issue/CHG-2041", headers: [("Authorization", "Basic d3Jvbmc6d3Jvbmc=")])
            #expect(refused == 401)
        }
        #expect(ended.exit == .exited(0), "\(ended)")
    }

    @Test func theDemosIntegrationsFileRefersToSecretFilesOnlyItsOwnerReads() async throws {
        let folder = ListenAndPaceTests.temporaryFolder()
        defer {
            for pid in ListenAndPaceTests.servicePIDs(folder).values { kill(pid, SIGKILL) }
            try? FileManager.default.removeItem(atPath: folder)
        }
        let ended = try await ListenAndPaceTests.withDemo(["--data", folder, "--port", "0", "--pace", "0.05"]) { _, lines in
            while let line = try await lines.next() {
                if line.contains("Waveline demo is running at ") { break }
            }
            let yaml = try String(contentsOfFile: folder + "/integrations.yaml", encoding: .utf8)
            for name in ["slack-bot-token", "slack-signing-secret", "jira-api-token"] {
                let path = folder + "/secrets/" + name
                #expect(yaml.contains("file:\(path)"), "\(yaml)")
                let mode = try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber).intValue
                #expect(mode == 0o600, "\(name) has mode \(String(mode, radix: 8))")
                let value = try String(contentsOfFile: path, encoding: .utf8)
                #expect(!value.isEmpty && !yaml.contains(value), "the value of \(name) is in the integrations file")
            }
        }
        #expect(ended.exit == .exited(0), "\(ended)")
    }
}
