import Foundation
import Testing
import WavelineAPI
import WavelineCore
@testable import WavelineServer

/// The deployment page's Notifications panel: one row per message and destination, each with a stable key, its
/// state in words (why it waits, failed or was skipped), tries and reference; a hostile error text is shown as
/// text; no panel when the server has no integrations and the deployment nothing in its outbox.
struct NotificationsPanelTests {
    static let now = 1_800_000_000.0
    static let hostile = #"channel_not_found <script>alert('x')</script> "><img src=x onerror=alert(1)>"#

    static func page(_ notifications: NotificationList?) -> DeploymentPage {
        let deployment = DeploymentSummary(
            id: 7, operation: "deploy-version", strategy: "one-by-one", selection: "kafka", environments: ["prod"], products: ["kafka"],
            parameters: [:], requestedBy: "ana", reason: "roll out", ticket: "CHG-1", status: .running, statusReason: nil, currentPhase: 0,
            targetCount: 1, failureBudget: 0, createdAt: now - 100, startedAt: now - 90, finishedAt: nil, protectedEnvironments: nil,
            approvedBy: nil, approvedAt: nil,
            jiraTicket: JiraTicketView(key: "CHG-1", issueId: "10001", project: "CHG", status: "Approved", url: "https://jira.example/browse/CHG-1",
                                       requestedKey: nil, createdByWaveline: false, checkedAt: now - 100)
        )
        return DeploymentPage(detail: DeploymentDetail(deployment: deployment, phases: [], targets: [], failures: [], counts: StatusCounts()),
                              hasRollbackSteps: false, events: [], now: now, notifications: notifications)
    }

    static func row(_ id: String, _ destination: String, _ kind: String, _ state: String, attempts: Int = 1, error: String? = nil,
                    reference: String? = nil, next: Double? = nil) -> NotificationView {
        NotificationView(messageId: id, eventId: 3, destination: destination, kind: kind, state: state, attempts: attempts, lastError: error,
                         externalReference: reference, createdAt: now - 60, updatedAt: now - 30, nextAttemptAt: next)
    }

    static let list = NotificationList(
        deploymentId: 7,
        thread: NotificationThreadView(channel: "C0DEPLOYS1", parentTs: "1700000000.000001", state: "sent", attempts: 1, lastError: nil,
                                       lastRenderedAt: now - 20),
        notifications: [
            row("e3-0", "slack", "requested", "sent", reference: "parent 1700000000.000001"),
            row("e5-0", "slack", "failure", "pending", attempts: 2, error: "Slack chat.postMessage: HTTP 429", next: now + 40),
            row("e6-0", "slack", "outcome", "failed", attempts: 1, error: hostile),
            row("e4-0", "jira_comment", "phase_started", "sent", attempts: 3, reference: "10042"),
            row("e4-0", "jira_transition", "phase_started", "skipped", attempts: 0, error: "the deployment has no ticket"),
        ]
    )

    func render(_ page: DeploymentPage) -> String {
        page.renderLive(viewer: Viewer(identity: Identity(name: "ana", grants: [Grant(role: .admin)], credential: .token(id: "t", name: "t")))).description
    }

    @Test func eachMessageIsARowWithItsStateInWordsAndItsKey() {
        let html = render(Self.page(Self.list))
        #expect(html.contains("data-key=\"notifications\""))
        #expect(html.contains("<h2 id=\"notifications-heading\">Notifications</h2>"))
        for key in ["notification-e3-0-slack", "notification-e5-0-slack", "notification-e6-0-slack", "notification-e4-0-jira_comment",
                    "notification-e4-0-jira_transition", "notification-thread"] {
            #expect(html.contains("data-key=\"\(key)\""), "no row \(key)")
        }
        #expect(html.contains("thread parent: requested"))
        #expect(html.contains("waiting to retry in 40s (Slack chat.postMessage: HTTP 429)"))
        #expect(html.contains("sent (after 3 tries)"))
        #expect(html.contains("skipped: the deployment has no ticket"))
        #expect(html.contains("comment: started, with a link"))
        #expect(html.contains("<a href=\"https://jira.example/browse/CHG-1\" rel=\"noopener noreferrer\">CHG-1</a> <span class=\"reference\">10042</span>"))
        #expect(html.contains("Slack thread in <strong>C0DEPLOYS1</strong>: parent message sent"))
        // Wide: in its own scrolling box, named for screen readers.
        #expect(html.contains("class=\"scroll-box\" tabindex=\"0\" role=\"region\" aria-label=\"Notifications of deployment #7\""))
    }

    @Test func aHostileErrorIsShownAsText() {
        let html = render(Self.page(Self.list))
        #expect(!html.contains("<script>alert"))
        #expect(!html.contains("<img src=x"))
        #expect(html.contains("failed: channel_not_found &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &quot;&gt;&lt;img src=x onerror=alert(1)&gt;"))
    }

    @Test func noPanelWithoutIntegrationsAndAnEmptyOneSaysWhy() {
        #expect(!render(Self.page(nil)).contains("notifications-heading"))
        let empty = render(Self.page(NotificationList(deploymentId: 7, thread: nil, notifications: [])))
        #expect(empty.contains("Nothing was sent about this deployment: it was requested before Slack and Jira were configured."))
    }
}
