import Hummingbird
import WavelineCore
import WavelineEngine

/// The ticket check of a requested deployment (`POST /api/v1/deployments`), when `integrations.yaml` gives ticket
/// policies: the rules are `TicketAdmission`'s, the asking is the directory's (Jira), and the engine is handed the
/// ticket as Jira answered, to store with the deployment. The engine never waits on Jira.
///
/// Every refusal stores nothing. Jira unreachable, slow or rate limiting answers 503 (with `Retry-After` when
/// Jira gave one); Jira refusing Waveline's own request (credentials, permissions) answers 502.
public struct TicketGate: Sendable {
    public var policies: [String: TicketPolicy]
    public var directory: any TicketDirectory
    /// Where `checkedAt` comes from.
    public var time: any TimeSource

    public init(policies: [String: TicketPolicy], directory: any TicketDirectory, time: any TimeSource = SystemTime()) {
        self.policies = policies
        self.directory = directory
        self.time = time
    }

    /// The ticket to store with the deployment `request` asks for, touching `environments`; nil when no touched
    /// environment has a policy and no ticket policy applies. `mask` (the engine's secret masker) is applied to
    /// what a made ticket says: it leaves Waveline.
    ///
    /// - Throws: `APIError`: 422 with the rule's refusal, 503 or 502 when Jira could not be asked.
    func admit(_ request: DeploymentRequest, environments: [String],
               mask: (String) -> String = { $0 }) async throws(APIError) -> CheckedTicket? {
        let plan: TicketAdmission.Plan
        switch TicketAdmission.plan(ticket: request.ticket, environments: environments, policies: policies) {
        case .success(let planned): plan = planned
        case .failure(let refusal): throw Self.refused(refusal)
        }
        switch plan {
        case .none:
            return nil
        case .check(let key, let governed):
            let found: TicketFacts?
            do {
                found = try await directory.ticket(key)
            } catch {
                throw Self.answer(error, doing: "check ticket \(key)")
            }
            if let refusal = TicketAdmission.judge(found, asked: key, environments: governed, policies: policies) {
                throw Self.refused(refusal)
            }
            guard let found else { return nil }
            return CheckedTicket(facts: found, requestedKey: key, checkedAt: time.now())
        case .create(let creation, let environment):
            // Nothing is made in Jira for a request the engine refuses at once.
            if let refusal = DeploymentAdmission.checkRequest(reason: request.reason, requestedBy: request.requestedBy) {
                throw Self.refused(refusal)
            }
            let draft = TicketDraft(
                project: creation.project, issueType: creation.issueType,
                summary: mask(TicketAdmission.createdSummary(operation: request.operation, selection: request.selection.summary, reason: request.reason)),
                description: [
                    "Made by Waveline for a deployment requested by \(request.requestedBy) without a ticket: the ticket policy of environment \(environment) has Waveline make one for ad-hoc work.",
                    "Operation: \(request.operation). Selection: \(request.selection.summary).",
                    "Reason: \(request.reason)",
                ].map(mask))
            let made: TicketFacts
            do {
                made = try await directory.createTicket(draft)
            } catch {
                throw Self.answer(error, doing: "make a \(creation.issueType) ticket in Jira project \(creation.project) for this ad-hoc deployment (environment \(environment))")
            }
            return CheckedTicket(facts: made, requestedKey: nil, checkedAt: time.now())
        }
    }

    /// The answer when Jira could not be asked: retryable (503) or not (502); nothing was stored either way.
    static func answer(_ error: TicketDirectoryError, doing what: String) -> APIError {
        switch error.kind {
        case .unavailable(let retryAfter):
            let seconds = retryAfter.map(Self.wholeSeconds)
            let when = seconds.map { "ask again in \($0) s" } ?? "ask again shortly"
            var answer = APIError(.serviceUnavailable, "cannot \(what): Jira is not available (\(error.detail)); nothing was stored, \(when)")
            if let seconds { answer.headers[.retryAfter] = String(seconds) }
            return answer
        case .refused:
            return APIError(.badGateway, "cannot \(what): Jira refused Waveline's request (\(error.detail)); nothing was stored. An administrator must fix Waveline's Jira settings or permissions")
        }
    }

    /// A rule's refusal with the status the engine's refusals get (a ticket refusal is 422).
    static func refused(_ refusal: Refusal) -> APIError {
        switch refusal.kind {
        case .invalid: return APIError(.unprocessableContent, refusal.message)
        case .notFound: return APIError(.notFound, refusal.message)
        case .conflict: return APIError(.conflict, refusal.message)
        }
    }

    /// A duration as whole seconds, rounded up, at least 1.
    static func wholeSeconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return max(1, Int(seconds) + (attoseconds > 0 ? 1 : 0))
    }
}
