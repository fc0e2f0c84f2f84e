/// Whether a requested deployment is taken, and how it starts: at once, queued behind busy nodes, or waiting
/// for a second person's approval.
public enum DeploymentAdmission {
    /// Every deployment says why it is made and who asks: refused before anything else is looked at.
    public static func checkRequest(reason: String, requestedBy: String) -> Refusal? {
        if reason.isBlank { return Refusal(.invalid, "a reason is required: say why this change is made (--reason)") }
        if requestedBy.isBlank { return Refusal(.invalid, "the requester is missing") }
        return nil
    }

    /// How an admitted deployment begins.
    public struct Admission: Sendable, Hashable {
        public var status: DeploymentStatus
        public var statusReason: String?
        /// Its nodes are claimed now: it starts at once.
        public var claimsNodes: Bool { status == .running }
        public var needsApproval: Bool { status == .pendingApproval }
    }

    /// Four-eyes: a deployment touching a protected environment needs a ticket, and waits for a second person's
    /// approval before it claims any node (busy nodes are looked at when it is approved, so `busy` is ignored).
    /// Otherwise a busy node refuses it, or queues it when the requester asked to queue.
    public static func admit(
        requester: String, protected: [String], ticket: String?, busy: [BusyNode], queue: Bool
    ) -> Result<Admission, Refusal> {
        if !protected.isEmpty {
            guard !(ticket ?? "").isBlank else {
                return .failure(Refusal(.invalid, "a ticket is required: this deployment touches the protected \(protected.count == 1 ? "environment" : "environments") \(protected.joined(separator: ", ")) (--ticket)"))
            }
            return .success(Admission(status: .pendingApproval, statusReason: DeploymentApproval.awaitingApproval(requester: requester, protected: protected)))
        }
        guard let first = busy.first else { return .success(Admission(status: .running, statusReason: nil)) }
        guard queue else {
            let names = busy.prefix(5).map { "\($0.node) (deployment #\($0.holder))" }.joined(separator: ", ")
            let more = busy.count > 5 ? " and \(busy.count - 5) more" : ""
            return .failure(Refusal(.conflict, "node \(names)\(more) is busy in another unfinished deployment; wait for it to finish, or queue this one (--queue)"))
        }
        return .success(Admission(status: .queued, statusReason: "queued behind deployment #\(first.holder), which holds \(first.node)"))
    }
}

extension String {
    /// Empty, or only white space.
    public var isBlank: Bool { allSatisfy(\.isWhitespace) }
}
