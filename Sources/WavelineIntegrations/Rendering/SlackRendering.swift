import Foundation
import WavelineAPI
import WavelineCore

/// A thread reply as rendered: its content, and whether it is also shown in the channel (`reply_broadcast`,
/// for failures and bad outcomes).
public struct SlackReply: Sendable, Hashable {
    public var content: SlackMessageContent
    public var broadcast: Bool
}

/// Slack messages of a deployment, as pure functions of its detail (the API's wire type). Block Kit texts are
/// `mrkdwn` with `&`, `<`, `>` escaped, so no deployment text can forge a link or a mention; every text from the
/// deployment is masked first. The results are within `SlackLimits` already; the client fits them again anyway.
public enum SlackRendering {
    /// Phases listed one per line in the parent; beyond it, a count.
    static let maximumPhaseLines = 20
    /// Log lines quoted in a failure reply.
    static let maximumLogLines = 15

    // MARK: The parent

    /// The thread's parent: operation, environments, products, requester, ticket, state, progress per phase, a link
    /// to the page, and the buttons that fit the state (`SlackAction`).
    public static func parent(_ detail: DeploymentDetail, context: RenderingContext) -> SlackMessageContent {
        let d = detail.deployment
        let m = context.mask
        let done = detail.counts.succeeded + detail.counts.skipped
        let state = "\(Wording.emoji(d.status)) *\(Wording.status(d.status))*"
            + (d.statusReason.map { ": " + escape(m($0)) } ?? "")
            + " · \(done)/\(d.targetCount) nodes done"
            + (detail.counts.failed > 0 ? ", \(detail.counts.failed) failed" : "")
        var fields: [JSONValue] = [
            field("Environments", escape(m(Wording.list(d.environments)))),
            field("Products", escape(m(Wording.list(d.products)))),
            field("Requested by", escape(m(d.requestedBy))),
            field("Ticket", ticket(d.ticket, context: context)),
        ]
        if let approver = d.approvedBy { fields.append(field("Approved by", escape(m(approver)))) }
        var blocks: [JSONValue] = [
            ["type": "header", "text": ["type": "plain_text", "text": .string(m("#\(d.id) \(d.operation) · \(Wording.list(d.environments))"))]],
            ["type": "section", "text": mrkdwn(state), "fields": .array(fields)],
        ]
        if !d.reason.isEmpty {
            blocks.append(["type": "section", "text": mrkdwn("*Reason*\n" + escape(m(d.reason)))])
        }
        if !detail.phases.isEmpty {
            blocks.append(["type": "section", "text": mrkdwn(progress(detail, context: context))])
        }
        blocks.append(["type": "context", "elements": [mrkdwn("<\(context.deploymentURL(d.id))|Open deployment #\(d.id) in Waveline>")]])
        blocks.append(SlackAction.block(SlackAction.available(for: detail), detail: detail, context: context))
        let text = m("Deployment #\(d.id) \(d.operation) on \(Wording.list(d.environments)) (\(Wording.list(d.products))): "
            + "\(Wording.status(d.status).lowercased()), \(done)/\(d.targetCount) nodes done")
        return SlackLimits.fit(SlackMessageContent(text: text, blocks: blocks))
    }

    /// One line per phase: its state and counts.
    static func progress(_ detail: DeploymentDetail, context: RenderingContext) -> String {
        let m = context.mask
        var lines = detail.phases.prefix(maximumPhaseLines).map { phase -> String in
            let c = phase.counts
            let total = c.pending + c.running + c.succeeded + c.failed + c.skipped + c.cancelled + c.interrupted
            let symbol: String
            switch phase.status {
            case .pending: symbol = ":white_circle:"
            case .running: symbol = ":large_blue_circle:"
            case .gate: symbol = ":double_vertical_bar:"
            case .completed: symbol = c.failed > 0 ? ":warning:" : ":large_green_circle:"
            }
            var line = "\(symbol) \(phase.index + 1). \(escape(m(phase.name)))\(phase.kind == .rollback ? " (rollback)" : ""): \(c.succeeded + c.skipped)/\(total) done"
            if c.running > 0 { line += ", \(c.running) running" }
            if c.failed > 0 { line += ", \(c.failed) failed" }
            if phase.status == .gate { line += " · " + gateText(phase, context: context) }
            return line
        }
        if detail.phases.count > maximumPhaseLines {
            lines.append("… and \(detail.phases.count - maximumPhaseLines) more phases")
        }
        return "*Progress*\n" + lines.joined(separator: "\n")
    }

    static func gateText(_ phase: PhaseView, context: RenderingContext) -> String {
        if phase.gate == "manual" {
            return phase.approvedBy.map { "gate approved by \(escape(context.mask($0)))" } ?? "waiting for approval"
        }
        if let opens = phase.gateOpensAt { return "baking until \(Wording.time(opens))" }
        return "gate \(escape(phase.gate))"
    }

    // MARK: Thread replies

    /// A reply in the deployment's thread for `notice`.
    public static func reply(_ notice: DeploymentNotice, detail: DeploymentDetail, context: RenderingContext) -> SlackReply {
        let d = detail.deployment
        let m = context.mask
        let page = "<\(context.deploymentURL(d.id))|deployment #\(d.id)>"
        var blocks: [JSONValue] = []
        var text: String
        var broadcast = false
        var actions: [SlackAction] = []
        switch notice {
        case .approvalNeeded:
            let protected = Wording.list(d.protectedEnvironments ?? d.environments)
            text = "Approval needed: deployment #\(d.id) touches \(protected); requested by \(d.requestedBy)."
            blocks.append(section(":raised_hand: *Approval needed* for \(page): it touches the protected environment(s) "
                + "\(escape(m(protected))). Requested by \(escape(m(d.requestedBy))); someone else with the approver role approves it."))
            actions = [.approve, .abort, .open]
        case .gateWaiting(let index):
            let phase = detail.phases.first { $0.index == index }
            let name = phase.map { m($0.name) } ?? "phase \(index + 1)"
            let next = detail.phases.first { $0.index == index + 1 }.map { " before phase '\(escape(m($0.name)))'" } ?? ""
            let gate = phase.map { gateText($0, context: context) } ?? "waiting"
            text = "Deployment #\(d.id): phase '\(name)' is done; \(gate)."
            blocks.append(section(":double_vertical_bar: Phase '\(escape(name))' of \(page) is done; the gate\(next): \(gate)."))
            if phase?.gate == "manual", phase?.approvedBy == nil { actions = [.approve, .abort, .open] }
        case .failure(let failure):
            broadcast = true
            text = "Deployment #\(d.id): node \(failure.node) failed at \(failure.stage.word) '\(failure.step)'"
                + (failure.exitCode.map { " (exit code \($0))" } ?? "")
            var lines = ":x: *\(escape(m(failure.node)))* failed in \(page) at \(failure.stage.word) `\(escape(m(failure.step)))`"
            if let code = failure.exitCode { lines += ", exit code \(code)" }
            if !failure.reason.isEmpty { lines += "\n" + escape(m(failure.reason)) }
            blocks.append(section(lines))
            let logLines = failure.lastLines.suffix(maximumLogLines).map { m($0.text) }
            if !logLines.isEmpty {
                // The end of the log matters most: cut from the start.
                let quoted = JiraDocument.suffix(of: logLines.joined(separator: "\n").replacingOccurrences(of: "```", with: "ʼʼʼ"),
                                                 utf16Units: SlackLimits.maximumSectionText - 200)
                blocks.append(section("```\n" + escape(String(quoted)) + "\n```"))
            }
            blocks.append(["type": "context", "elements": [mrkdwn("<\(context.nodeLogURL(d.id, node: failure.node))|Full log of \(escape(m(failure.node)))>")]])
            actions = SlackAction.available(for: detail)
        case .operatorAction(let action, let by, let reason):
            let verb: String
            switch action {
            case .pause: verb = "paused"
            case .resume: verb = "resumed"
            case .abort: verb = "aborted"; broadcast = true
            case .rollback: verb = "started a rollback of"; broadcast = true
            case .retry: verb = "retried failed nodes of"
            case .skip: verb = "skipped nodes of"
            case .approve: verb = "approved"
            }
            let why = reason.flatMap { $0.isEmpty ? nil : m($0) }
            text = "\(m(by)) \(verb) deployment #\(d.id)" + (why.map { ": \($0)" } ?? "")
            blocks.append(section("*\(escape(m(by)))* \(verb) \(page)" + (why.map { ": " + escape($0) } ?? "")))
            actions = SlackAction.available(for: detail)
        case .outcome:
            broadcast = d.status != .succeeded
            let elapsed = Wording.elapsed(d).map { " in " + Wording.duration(seconds: $0) } ?? ""
            text = "Deployment #\(d.id) \(d.operation): \(Wording.status(d.status).lowercased())\(elapsed)"
            var body = "\(Wording.emoji(d.status)) \(page) *\(Wording.status(d.status).lowercased())*\(elapsed): "
                + "\(detail.counts.succeeded) succeeded, \(detail.counts.failed) failed, \(detail.counts.skipped) skipped"
            if let reason = d.statusReason { body += "\n" + escape(m(reason)) }
            if !detail.failures.isEmpty {
                let listed = detail.failures.prefix(10).map { f in
                    "• *\(escape(m(f.node)))*: \(f.stage.word) `\(escape(m(f.step)))`" + (f.exitCode.map { ", exit code \($0)" } ?? "")
                }
                body += "\n" + listed.joined(separator: "\n")
                if detail.failures.count > 10 { body += "\n… and \(detail.failures.count - 10) more" }
            }
            blocks.append(section(body))
            actions = [.open]
        }
        if !actions.isEmpty { blocks.append(SlackAction.block(actions, detail: detail, context: context)) }
        return SlackReply(content: SlackLimits.fit(SlackMessageContent(text: m(text), blocks: blocks)), broadcast: broadcast)
    }

    /// A refusal or an answer to one person (`chat.postEphemeral`), e.g. "you need the approver role".
    public static func ephemeral(_ sentence: String, context: RenderingContext) -> SlackMessageContent {
        let text = context.mask(sentence)
        return SlackLimits.fit(SlackMessageContent(text: text, blocks: [section(escape(text))]))
    }

    // MARK: Pieces

    /// Escapes the three characters Slack's mrkdwn gives a meaning to (links, mentions).
    public static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;")
            .replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }

    static func mrkdwn(_ text: String) -> JSONValue { ["type": "mrkdwn", "text": .string(text)] }

    static func section(_ text: String) -> JSONValue { ["type": "section", "text": mrkdwn(text)] }

    static func field(_ title: String, _ value: String) -> JSONValue { mrkdwn("*\(title)*\n\(value)") }

    static func ticket(_ key: String?, context: RenderingContext) -> String {
        guard let key, !key.isEmpty else { return "none" }
        let shown = escape(context.mask(key))
        guard let url = context.ticketURL(key), !context.mask(key).contains(SecretReference.mask) else { return shown }
        return "<\(url)|\(shown)>"
    }
}
