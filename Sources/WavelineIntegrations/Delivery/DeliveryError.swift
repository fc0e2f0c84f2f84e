/// Why a call to Slack or Jira did not succeed, sorted by what the sender should do next. Every client method
/// throws only this, so the delivery worker decides with one `switch`.
///
/// `detail` is a sentence for the Notifications panel and the logs: the service's own error code or messages,
/// never a credential (the request's headers are not in it, and response bodies are cut short).
public enum DeliveryError: Error, Sendable, Hashable, CustomStringConvertible {
    /// HTTP 429: wait `retryAfter` (the `Retry-After` header, one second when it is missing or unreadable) and
    /// send the same request again.
    case rateLimited(retryAfter: Duration, detail: String)
    /// Worth retrying with back-off: 5xx, a connection refused or cut, a timeout, or a service error code known to
    /// be temporary. `retryAfter` when the service said (a 503 may carry `Retry-After`).
    case transient(detail: String, retryAfter: Duration? = nil)
    /// Retrying the same request will fail the same way: bad credentials, a channel or issue that does not exist,
    /// a body the service refuses. Needs a person (or a changed request).
    case permanent(detail: String)

    public var detail: String {
        switch self {
        case .rateLimited(_, let detail), .transient(let detail, _), .permanent(let detail): return detail
        }
    }

    public var isRetryable: Bool {
        if case .permanent = self { return false }
        return true
    }

    public var description: String {
        switch self {
        case .rateLimited(let delay, let detail): return "rate limited (retry after \(delay)): \(detail)"
        case .transient(let detail, _): return "temporary failure: \(detail)"
        case .permanent(let detail): return "failed: \(detail)"
        }
    }
}
