/// A second person's approval of a deployment to a protected environment: who may give it, what it starts,
/// and when it is void (it stays valid for a while as the deployment waits behind busy nodes).
public enum DeploymentApproval {
    /// Refused when the approver asked for the deployment themselves (four-eyes). A deployment waits for
    /// approval only because it touches protected environments, so the approver is never the requester.
    public static func check(deployment id: Int64, approver: String, requester: String, protected: [String]) -> Refusal? {
        guard approver == requester else { return nil }
        return Refusal(.conflict, "cannot approve deployment #\(id): \(approver) requested it, and a change to the protected environment \(protected.joined(separator: ", ")) needs a second person's approval (four-eyes)")
    }

    /// What an approved deployment becomes: it starts, or it queues behind the first busy one of its nodes.
    public struct Start: Sendable, Hashable {
        public var status: DeploymentStatus
        public var statusReason: String?

        public init(status: DeploymentStatus, statusReason: String?) {
            self.status = status
            self.statusReason = statusReason
        }

        /// Whether its nodes are claimed now (it starts).
        public var claimsNodes: Bool { status == .running }
    }

    public static func start(approver: String, firstBusy: BusyNode?) -> Start {
        guard let busy = firstBusy else { return Start(status: .running, statusReason: nil) }
        return Start(status: .queued, statusReason: "approved by \(approver); queued behind deployment #\(busy.holder), which holds \(busy.node)")
    }

    /// The event's text for an approval (the caller's reason is added after it).
    public static func message(approver: String, requester: String, protected: [String], reason: String?) -> String {
        var message = "\(approver) approved the deployment requested by \(requester) (protected: \(protected.joined(separator: ", ")))"
        if let reason { message += ": \(reason)" }
        return message
    }

    /// An approval older than `validity` seconds at `now` is void, and so is a missing one, for a deployment
    /// that touches protected environments; one that touches none needs no approval.
    public static func isExpired(protected: [String], approvedAt: Double?, now: Double, validity: Double) -> Bool {
        guard !protected.isEmpty else { return false }
        guard let approvedAt else { return true }
        return now - approvedAt > validity
    }

    /// Why a deployment waits for approval. No command in it: the page shows it beside its Approve button, and the
    /// CLI adds its own hint (`waveline status`).
    public static func awaitingApproval(requester: String, protected: [String]) -> String {
        "waiting for approval by someone other than \(requester): \(protected.joined(separator: ", ")) \(protected.count == 1 ? "is" : "are") protected"
    }

    /// Why a deployment whose approval expired waits for approval again.
    public static func voided(approver: String?, validity: Double, requester: String, protected: [String]) -> String {
        "the approval by \(approver ?? "?") expired (older than \(duration(validity))) before the deployment could start; "
            + awaitingApproval(requester: requester, protected: protected)
    }

    /// `24 h`, `90 min`, `45 s`: the largest whole unit.
    public static func duration(_ seconds: Double) -> String {
        if seconds >= 3600, seconds.truncatingRemainder(dividingBy: 3600) == 0 { return "\(Int(seconds / 3600)) h" }
        if seconds >= 60, seconds.truncatingRemainder(dividingBy: 60) == 0 { return "\(Int(seconds / 60)) min" }
        return "\(Int(seconds)) s"
    }
}
