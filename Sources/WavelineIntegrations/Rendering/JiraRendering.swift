import WavelineAPI
import WavelineCore

/// Jira comments and the ad-hoc ticket of a deployment, as pure functions of its detail. A `JiraDocument` renders
/// to ADF (Cloud) or plain text (Data Center) in `JiraClient`. Every text from the deployment is masked first.
///
/// Each comment ends with Waveline's marker (`marker(deployment:message:)`), a short visible line, so that a
/// comment whose sending was not recorded is found again (`JiraClient.findComment`) instead of posted twice.
public enum JiraRendering {
    /// `[waveline deployment 412 message m-17]`: unique per outbox message, greppable in a comment's text.
    public static func marker(deployment: Int64, message: String) -> String {
        "[waveline deployment \(deployment) message \(message)]"
    }

    /// The comment when the deployment starts: what, where, who, and the link to follow it.
    public static func startComment(_ detail: DeploymentDetail, marker: String, context: RenderingContext) -> JiraDocument {
        let d = detail.deployment
        let m = context.mask
        var blocks: [JiraDocument.Block] = [
            .paragraph([.text("Waveline started "), .link("deployment #\(d.id)", url: context.deploymentURL(d.id)),
                        .text(": "), .bold(m(d.operation)), .text(" on \(m(Wording.list(d.environments))) for \(m(Wording.list(d.products))), "
                        + "\(d.targetCount) nodes, requested by \(m(d.requestedBy))" + (d.approvedBy.map { ", approved by \(m($0))" } ?? "") + ".")]),
        ]
        if !d.reason.isEmpty { blocks.append(.paragraph([.bold("Reason: "), .text(m(d.reason))])) }
        blocks.append(.paragraph([.text(marker)]))
        return JiraDocument(blocks).fitted()
    }

    /// The comment at the end: the outcome, its duration, the failure points (node, step, exit code, reason, the
    /// last log lines of the first few), and the link.
    public static func endComment(_ detail: DeploymentDetail, marker: String, context: RenderingContext) -> JiraDocument {
        let d = detail.deployment
        let m = context.mask
        let elapsed = Wording.elapsed(d).map { " in " + Wording.duration(seconds: $0) } ?? ""
        var blocks: [JiraDocument.Block] = [
            .paragraph([.link("Deployment #\(d.id)", url: context.deploymentURL(d.id)), .text(" (\(m(d.operation))) "),
                        .bold(Wording.status(d.status).lowercased()), .text("\(elapsed): \(detail.counts.succeeded) nodes succeeded, "
                        + "\(detail.counts.failed) failed, \(detail.counts.skipped) skipped.")]),
        ]
        if let reason = d.statusReason { blocks.append(.paragraph([.text(m(reason))])) }
        if !detail.failures.isEmpty {
            blocks.append(.paragraph([.bold("Failure points")]))
            blocks.append(.bulletList(detail.failures.prefix(20).map { f in
                [.link(m(f.node), url: context.nodeLogURL(d.id, node: f.node)),
                 .text(": \(f.stage.word) "), .code(m(f.step)),
                 .text((f.exitCode.map { ", exit code \($0)" } ?? "") + (f.reason.isEmpty ? "" : " — " + m(f.reason)))]
            }))
            if detail.failures.count > 20 { blocks.append(.paragraph([.text("… and \(detail.failures.count - 20) more; see the deployment page.")])) }
            for failure in detail.failures.prefix(3) where !failure.lastLines.isEmpty {
                blocks.append(.paragraph([.text("Last lines of \(m(failure.node)):")]))
                blocks.append(.codeBlock(failure.lastLines.suffix(20).map { m($0.text) }.joined(separator: "\n")))
            }
        }
        blocks.append(.paragraph([.text(marker)]))
        return JiraDocument(blocks).fitted()
    }

    /// The link from the ticket to the deployment's page (`JiraClient.addRemoteLink`), resolved once it is over.
    public static func remoteLink(_ detail: DeploymentDetail, context: RenderingContext) -> JiraRemoteLink {
        let d = detail.deployment
        let url = context.deploymentURL(d.id)
        return JiraRemoteLink(globalID: JiraRemoteLink.globalID(deploymentURL: url), url: url,
                              title: String(context.mask("Waveline deployment #\(d.id): \(d.operation)").prefix(255)),
                              summary: context.mask("\(Wording.status(d.status)) · \(Wording.list(d.environments)) · \(Wording.list(d.products))"),
                              resolved: d.status.isFinal)
    }

    /// The ticket Waveline makes for ad-hoc work when the environment's policy says so.
    public static func issueDraft(_ detail: DeploymentDetail, creation: TicketCreation, context: RenderingContext) -> JiraIssueDraft {
        let d = detail.deployment
        let m = context.mask
        let summary = m("Deployment: \(d.operation) on \(Wording.list(d.environments)) (\(Wording.list(d.products)))")
        let description = JiraDocument([
            .paragraph([.text("Created by Waveline for "), .link("deployment #\(d.id)", url: context.deploymentURL(d.id)),
                        .text(", requested by \(m(d.requestedBy)), which had no ticket.")]),
            .paragraph([.bold("Reason: "), .text(m(d.reason))]),
        ])
        return JiraIssueDraft(projectKey: creation.project, issueType: creation.issueType, summary: summary, description: description)
    }
}
