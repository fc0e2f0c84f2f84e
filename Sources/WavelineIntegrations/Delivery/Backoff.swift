/// How long to wait before the next attempt after a temporary failure: exponential from `base`, capped, with
/// "equal jitter" (half fixed, half random) so that deliveries failing together do not retry together.
public struct Backoff: Sendable, Hashable {
    public var base: Double
    public var cap: Double

    public init(base: Double = 1, cap: Double = 60) {
        self.base = base
        self.cap = cap
    }

    /// The delay after the `attempt`-th failed attempt (1-based); `random` in 0...1.
    public func delay(afterAttempt attempt: Int, random: Double) -> Double {
        let exponent = min(max(attempt - 1, 0), 30)
        let full = min(cap, base * Double(1 << exponent))
        return full / 2 + full / 2 * min(max(random, 0), 1)
    }
}
