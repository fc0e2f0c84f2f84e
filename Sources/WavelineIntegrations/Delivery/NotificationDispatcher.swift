import Foundation
import Logging
import WavelineAPI
import WavelineCore

/// Sends the outbox to Slack and Jira: in order per deployment and service, retried with capped, jittered
/// exponential back-off, honouring `Retry-After` and Slack's one message per second per channel (`ChannelPacer`,
/// shared by every deployment). It reads the store and writes delivery state only, so the engine never waits on it.
///
/// Never twice: a delivery is stored as `sending` before its call; one found `sending` (a crash, a timeout) is
/// looked for at the service first (Slack's metadata marker, Jira's comment marker) and sent only if not found.
///
/// Work happens in passes (`pass()`): each sends what is due at the time source's `now` and stops a lane at the
/// first message that must wait (its next attempt, or its channel's next slot). `run()` repeats passes; tests call
/// `pass()` on a manual time.
public final class NotificationDispatcher: Sendable {
    public struct Tuning: Sendable {
        /// Between passes in `run()`.
        public var pollInterval: Duration = .milliseconds(250)
        /// Outbox messages read per pass.
        public var batchLimit = 500
        public var backoff = Backoff()
        public init() {}
    }

    /// The parent's own marker (one parent per deployment).
    static let parentMessageID = "parent"

    let ledger: any NotificationLedger
    let settings: IntegrationsSettings
    let slack: SlackClient?
    let jira: JiraClient?
    let time: any TimeSource
    let context: RenderingContext
    let pacer: ChannelPacer
    let tuning: Tuning
    let logger: Logger
    let random: @Sendable () -> Double

    public init(ledger: any NotificationLedger, settings: IntegrationsSettings, slack: SlackClient?, jira: JiraClient?,
                time: any TimeSource, mask: @escaping @Sendable (String) -> String, pacer: ChannelPacer = ChannelPacer(),
                tuning: Tuning = Tuning(), logger: Logger = Logger(label: "waveline.notifications"),
                random: @escaping @Sendable () -> Double = { Double.random(in: 0...1) }) {
        self.ledger = ledger
        self.settings = settings
        self.slack = settings.slack == nil ? nil : slack
        self.jira = settings.jira == nil ? nil : jira
        self.time = time
        self.context = RenderingContext(publicURL: settings.publicURL, jiraBrowseURL: settings.jira?.browseURL, mask: mask)
        self.pacer = pacer
        self.tuning = tuning
        self.logger = logger
        self.random = random
    }

    /// Passes until the task is cancelled.
    public func run() async {
        while !Task.isCancelled {
            await pass()
            do { try await Task.sleep(for: tuning.pollInterval) } catch { return }
        }
    }

    /// Sends everything due now, one lane per deployment and service, lanes side by side; then updates the
    /// parents that are due.
    public func pass() async {
        let entries: [OutboxEntry]
        do {
            entries = try await ledger.openOutbox(limit: tuning.batchLimit)
        } catch {
            logger.warning("cannot read the notifications outbox", metadata: ["error": "\(error)"])
            return
        }
        let byDeployment = Dictionary(grouping: entries, by: \.message.deploymentID)
        await withTaskGroup(of: Void.self) { group in
            for (deploymentID, list) in byDeployment {
                group.addTask { await self.deliver(deploymentID: deploymentID, entries: list) }
            }
        }
        await refreshParents()
    }

    // MARK: A deployment's lanes

    func deliver(deploymentID: Int64, entries: [OutboxEntry]) async {
        let detail: DeploymentDetail
        do {
            guard let found = try await ledger.detail(of: deploymentID) else { return }
            detail = found
        } catch {
            logger.warning("cannot read a deployment to notify about", metadata: ["deployment": "\(deploymentID)", "error": "\(error)"])
            return
        }
        let firstStart: String? = entries.contains(where: { $0.message.kind == .phaseStarted })
            ? (try? await ledger.outbox(of: deploymentID))?.first { $0.message.kind == .phaseStarted }?.message.messageID
            : nil
        let plans = entries.map { entry in
            DeliveryPlan.steps(for: entry.message, deployment: detail.deployment, settings: settings,
                               isFirstStart: entry.message.messageID == firstStart)
        }
        async let slackStates = lane("slack", detail: detail, entries: entries, plans: plans, firstStart: firstStart)
        async let jiraStates = lane("jira", detail: detail, entries: entries, plans: plans, firstStart: firstStart)
        let states = (await slackStates).merging(await jiraStates) { _, last in last }
        let settled = zip(entries, plans).compactMap { entry, plan -> OutboxMessage? in
            let done = plan.allSatisfy { step in states[Self.key(entry.message, step.destination)]?.isFinal == true }
            return done ? entry.message : nil
        }
        if !settled.isEmpty {
            do { try await ledger.save(deliveries: [], thread: nil, settled: settled) } catch {
                logger.warning("cannot record settled notifications", metadata: ["error": "\(error)"])
            }
        }
    }

    static func key(_ message: OutboxMessage, _ destination: DeliveryDestination) -> String {
        "\(message.messageID)/\(destination.rawValue)"
    }

    /// Sends one service's deliveries of a deployment in order, stopping at the first that is not final.
    func lane(_ service: String, detail: DeploymentDetail, entries: [OutboxEntry], plans: [[DeliveryPlan.Step]],
              firstStart: String?) async -> [String: DeliveryState] {
        var states: [String: DeliveryState] = [:]
        for (entry, plan) in zip(entries, plans) {
            for step in plan where step.destination.service == service {
                let message = entry.message
                var delivery = entry.deliveries.first { $0.destination == step.destination }
                    ?? NotificationDelivery(eventID: message.eventID, seq: message.seq, destination: step.destination,
                                            deploymentID: message.deploymentID, updatedAt: time.now())
                if !delivery.state.isFinal {
                    if let skip = step.skip {
                        delivery.state = .skipped
                        delivery.lastError = skip
                        delivery.updatedAt = time.now()
                        if !(await save(delivery)) { delivery.state = .pending }
                    } else if delivery.nextAttemptAt.map({ $0 <= time.now() }) ?? true {
                        if step.destination == .slack {
                            await sendSlack(&delivery, message: message, detail: detail)
                        } else {
                            let moment = DeliveryPlan.jiraMoment(message, isFirstStart: message.messageID == firstStart) ?? .end
                            await sendJira(&delivery, message: message, moment: moment, detail: detail)
                        }
                    }
                }
                states[Self.key(message, step.destination)] = delivery.state
                // Order: nothing after a message that is still to be sent.
                if !delivery.state.isFinal { return states }
            }
        }
        return states
    }

    // MARK: Slack

    enum ParentState {
        case ready(NotificationThread, ts: String)
        case waiting
        case failed(String)
    }

    func sendSlack(_ delivery: inout NotificationDelivery, message: OutboxMessage, detail: DeploymentDetail) async {
        guard let slack else { return }
        let (thread, ts): (NotificationThread, String)
        switch await ensureParent(detail) {
        case .ready(let found, let parentTS): (thread, ts) = (found, parentTS)
        case .waiting: return
        case .failed(let why):
            delivery.state = .failed
            delivery.lastError = "the thread's parent message could not be posted: \(why)"
            delivery.updatedAt = time.now()
            if !(await save(delivery)) { delivery.state = .pending }
            return
        }
        guard let notice = notice(for: message, detail: detail) else {
            // Told by the parent, which is updated in place.
            delivery.state = .sent
            delivery.externalReference = "parent \(ts)"
            delivery.updatedAt = time.now()
            if !(await save(delivery)) { delivery.state = .pending }
            return
        }
        let marker = SlackMarker(deploymentID: message.deploymentID, messageID: message.messageID)
        if delivery.state == .sending {
            do {
                if let found = try await slack.findMessage(marker: marker, channel: thread.channel, threadTS: ts) {
                    await sent(&delivery, reference: found.reference.ts)
                    return
                }
            } catch {
                await failed(&delivery, error, channel: thread.channel, afterCall: false, mayHaveSent: true)
                return
            }
        }
        guard pacer.tryReserve(thread.channel, now: time.now()) else { return }
        let channel = thread.channel
        defer { pacer.release(channel, now: time.now()) }
        let reply = SlackRendering.reply(notice, detail: detail, context: context)
        delivery.state = .sending
        delivery.attempts += 1
        delivery.updatedAt = time.now()
        guard await save(delivery) else { return }
        do {
            let posted = try await slack.postMessage(SlackMessage(channel: thread.channel, content: reply.content, threadTS: ts,
                                                                  broadcast: reply.broadcast, marker: marker))
            await sent(&delivery, reference: posted.ts)
        } catch {
            await failed(&delivery, error, channel: thread.channel, afterCall: true, mayHaveSent: true)
        }
    }

    /// What the thread says about a message; nil for what only the parent shows (requested, a phase started,
    /// Waveline's own state changes).
    func notice(for message: OutboxMessage, detail: DeploymentDetail) -> DeploymentNotice? {
        switch message.kind {
        case .requested, .phaseStarted, .progress: return nil
        case .approvalNeeded: return .approvalNeeded
        case .gateWaiting: return .gateWaiting(phase: message.subject ?? detail.deployment.currentPhase)
        case .outcome: return .outcome
        case .operatorAction:
            guard let action = message.action.flatMap(OperatorAction.init(rawValue:)) else { return nil }
            return .operatorAction(action, by: message.actor, reason: message.reason)
        case .failure:
            let target = message.subject.flatMap { index in detail.targets.first { $0.index == index } }
            if let target, let failure = detail.failures.first(where: { $0.node == target.node }) { return .failure(failure) }
            if let target, let point = target.failure {
                return .failure(FailureView(node: target.node, stage: point.stage, step: point.step, exitCode: point.exitCode,
                                            reason: point.reason, lastLines: []))
            }
            return detail.failures.first.map { .failure($0) }
        }
    }

    /// The deployment's thread with its parent posted: posts it when it is not (once: a parent left `sending` is
    /// looked for by its marker first).
    func ensureParent(_ detail: DeploymentDetail) async -> ParentState {
        guard let slack, let slackSettings = settings.slack else { return .waiting }
        let id = detail.deployment.id
        let now = time.now()
        var thread: NotificationThread
        do {
            thread = try await ledger.thread(of: id) ?? NotificationThread(
                deploymentID: id, channel: slackSettings.channel(environments: detail.deployment.environments, products: detail.deployment.products),
                createdAt: now, updatedAt: now)
        } catch {
            return .waiting
        }
        if thread.state == .sent, let ts = thread.parentTS { return .ready(thread, ts: ts) }
        if thread.state == .failed { return .failed(thread.lastError ?? "unknown error") }
        if let next = thread.nextAttemptAt, next > now { return .waiting }
        let marker = SlackMarker(deploymentID: id, messageID: Self.parentMessageID)
        let content = SlackRendering.parent(detail, context: context)
        if thread.state == .sending {
            do {
                if let found = try await slack.findMessage(marker: marker, channel: thread.channel) {
                    thread.parentTS = found.reference.ts
                    thread.state = .sent
                    thread.lastError = nil
                    thread.nextAttemptAt = nil
                    thread.updatedAt = time.now()
                    // Rendered before the crash, maybe older: the next refresh brings it up to date.
                    thread.lastRenderedAt = nil
                    return await save(thread) ? .ready(thread, ts: found.reference.ts) : .waiting
                }
            } catch {
                await failedParent(&thread, error)
                return .waiting
            }
        }
        guard pacer.tryReserve(thread.channel, now: time.now()) else { return .waiting }
        let channel = thread.channel
        defer { pacer.release(channel, now: time.now()) }
        thread.state = .sending
        thread.attempts += 1
        thread.updatedAt = time.now()
        guard await save(thread) else { return .waiting }
        do {
            let posted = try await slack.postMessage(SlackMessage(channel: thread.channel, content: content, marker: marker))
            thread.parentTS = posted.ts
            thread.channel = posted.channel
            thread.state = .sent
            thread.lastError = nil
            thread.nextAttemptAt = nil
            thread.lastRenderedAt = time.now()
            thread.renderedDigest = Self.digest(content)
            thread.updatedAt = time.now()
            return await save(thread) ? .ready(thread, ts: posted.ts) : .waiting
        } catch {
            await failedParent(&thread, error)
            return thread.state == .failed ? .failed(thread.lastError ?? "\(error)") : .waiting
        }
    }

    func failedParent(_ thread: inout NotificationThread, _ error: any Error) async {
        let failure = error as? DeliveryError ?? .transient(detail: "\(error)")
        let now = time.now()
        switch failure {
        case .rateLimited(let after, _):
            thread.state = .pending
            thread.nextAttemptAt = now + Self.seconds(after)
            pacer.block(thread.channel, until: now + Self.seconds(after))
        case .transient(_, let after):
            // It may have been posted: look for it before posting again.
            thread.state = .sending
            thread.nextAttemptAt = now + max(tuning.backoff.delay(afterAttempt: max(thread.attempts, 1), random: random()), after.map(Self.seconds) ?? 0)
        case .permanent:
            thread.state = .failed
            thread.nextAttemptAt = nil
        }
        thread.lastError = context.mask(failure.detail)
        thread.updatedAt = now
        _ = await save(thread)
    }

    /// Brings each open thread's parent up to date, at most once per `updateInterval` per deployment and only
    /// when it would say something new; a parent rendered final is not updated again.
    func refreshParents() async {
        guard slack != nil, let interval = settings.slack.map({ Self.seconds($0.updateInterval) }) else { return }
        let threads: [NotificationThread]
        do { threads = try await ledger.openThreads(limit: 1000) } catch { return }
        await withTaskGroup(of: Void.self) { group in
            for thread in threads where thread.state == .sent && thread.parentTS != nil {
                if let last = thread.lastRenderedAt, time.now() - last < interval { continue }
                group.addTask { await self.refresh(thread) }
            }
        }
    }

    func refresh(_ original: NotificationThread) async {
        guard let slack, let ts = original.parentTS else { return }
        var thread = original
        guard let detail = try? await ledger.detail(of: thread.deploymentID) else { return }
        let content = SlackRendering.parent(detail, context: context)
        let digest = Self.digest(content)
        let final = detail.deployment.status.isFinal
        if digest == thread.renderedDigest {
            if final {
                thread.closed = true
                thread.updatedAt = time.now()
                _ = await save(thread)
            }
            return
        }
        guard pacer.tryReserve(thread.channel, now: time.now()) else { return }
        let channel = thread.channel
        defer { pacer.release(channel, now: time.now()) }
        do {
            _ = try await slack.updateMessage(SlackMessageReference(channel: thread.channel, ts: ts), content: content,
                                              marker: SlackMarker(deploymentID: thread.deploymentID, messageID: Self.parentMessageID))
            thread.renderedDigest = digest
            thread.lastRenderedAt = time.now()
            thread.closed = final
            thread.lastError = nil
        } catch {
            let failure = error
            if case .rateLimited(let after, _) = failure { pacer.block(thread.channel, until: time.now() + Self.seconds(after)) }
            // A parent that cannot be updated (deleted, too old to edit) is left as it is; the thread goes on.
            if case .permanent = failure { thread.closed = true }
            thread.lastError = context.mask("update of the parent: " + failure.detail)
        }
        thread.updatedAt = time.now()
        _ = await save(thread)
    }

    // MARK: Jira

    func sendJira(_ delivery: inout NotificationDelivery, message: OutboxMessage, moment: DeliveryPlan.JiraMoment,
                  detail: DeploymentDetail) async {
        guard let jira, let ticket = detail.deployment.jiraTicket?.key else { return }
        let marker = JiraRendering.marker(deployment: message.deploymentID, message: message.messageID)
        let transition = DeliveryPlan.transitionName(moment, deployment: detail.deployment, settings: settings)
        var called = false
        do {
            if delivery.state == .sending {
                switch delivery.destination {
                case .jiraComment:
                    if let found = try await jira.findComment(issue: ticket, containing: marker) {
                        await sent(&delivery, reference: found.id)
                        return
                    }
                case .jiraTransition:
                    // Not offered any more from the ticket's status: the call before the restart went through.
                    if let transition, !(try await jira.transitions(issue: ticket)).contains(where: { $0.name.lowercased() == transition.lowercased() }) {
                        await sent(&delivery, reference: "\(transition) (applied before a restart)")
                        return
                    }
                default: break
                }
            }
            delivery.state = .sending
            delivery.attempts += 1
            delivery.updatedAt = time.now()
            guard await save(delivery) else { return }
            called = true
            switch delivery.destination {
            case .jiraComment:
                let document = moment == .start
                    ? JiraRendering.startComment(detail, marker: marker, context: context)
                    : JiraRendering.endComment(detail, marker: marker, context: context)
                let id = try await jira.addComment(issue: ticket, document)
                await sent(&delivery, reference: id)
            case .jiraLink:
                let link = JiraRendering.remoteLink(detail, context: context)
                try await jira.addRemoteLink(issue: ticket, link)
                await sent(&delivery, reference: link.globalID)
            case .jiraTransition:
                guard let transition else { return }
                let applied = try await jira.transition(issue: ticket, named: transition)
                await sent(&delivery, reference: applied.name + (applied.toStatus.map { " → \($0)" } ?? ""))
            case .slack:
                return
            }
        } catch {
            // A remote link is made idempotent by its global id: sending it again is safe.
            await failed(&delivery, error, channel: nil, afterCall: called, mayHaveSent: delivery.destination != .jiraLink)
        }
    }

    // MARK: Recording

    func sent(_ delivery: inout NotificationDelivery, reference: String) async {
        delivery.state = .sent
        delivery.externalReference = reference
        delivery.lastError = nil
        delivery.nextAttemptAt = nil
        delivery.updatedAt = time.now()
        // Not recorded: the store still says `sending`, and so must the lane (the next pass looks for it).
        if !(await save(delivery)) { delivery.state = .sending }
    }

    /// Records a failed attempt: 429 waits its `Retry-After` (and closes the channel as long); a temporary failure
    /// waits its back-off; a permanent one is final. After the call itself (`afterCall`), a 429 means nothing was
    /// done (`pending`), and a temporary failure may hide a success, so a creating call stays `sending`
    /// (`mayHaveSent`) and the next attempt looks for it first. A failed look-up leaves the state as it was.
    func failed(_ delivery: inout NotificationDelivery, _ error: any Error, channel: String?, afterCall: Bool, mayHaveSent: Bool) async {
        let failure = error as? DeliveryError ?? .transient(detail: "\(error)")
        let now = time.now()
        switch failure {
        case .rateLimited(let after, _):
            let until = now + Self.seconds(after)
            if afterCall { delivery.state = .pending }
            delivery.nextAttemptAt = until
            if let channel { pacer.block(channel, until: until) }
        case .transient(_, let after):
            if afterCall { delivery.state = mayHaveSent ? .sending : .pending }
            let wait = tuning.backoff.delay(afterAttempt: max(delivery.attempts, 1), random: random())
            delivery.nextAttemptAt = now + max(wait, after.map(Self.seconds) ?? 0)
        case .permanent:
            delivery.state = .failed
            delivery.nextAttemptAt = nil
        }
        delivery.lastError = context.mask(failure.detail)
        delivery.updatedAt = now
        if !(await save(delivery)) { delivery.state = .sending }
    }

    func save(_ delivery: NotificationDelivery) async -> Bool {
        do {
            try await ledger.save(deliveries: [delivery], thread: nil, settled: [])
            return true
        } catch {
            logger.warning("cannot record a notification's delivery", metadata: ["error": "\(error)"])
            return false
        }
    }

    func save(_ thread: NotificationThread) async -> Bool {
        do {
            try await ledger.save(deliveries: [], thread: thread, settled: [])
            return true
        } catch {
            logger.warning("cannot record a deployment's Slack thread", metadata: ["error": "\(error)"])
            return false
        }
    }

    static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    /// FNV-1a over the rendered payload: stable across restarts (Swift's `Hasher` is seeded per process).
    static func digest(_ content: SlackMessageContent) -> String {
        let bytes = JSONValue.object(["text": .string(content.text), "blocks": .array(content.blocks)]).encoded()
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return String(hash, radix: 16)
    }
}
