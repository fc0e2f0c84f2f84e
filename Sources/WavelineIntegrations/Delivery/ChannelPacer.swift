import Synchronization

/// Slack's one message per second per channel, for every deployment at once: a sender takes the channel's next
/// slot or waits for a later pass. A 429 on a channel closes it until its `Retry-After` has passed.
public final class ChannelPacer: Sendable {
    private let nextSlot = Mutex<[String: Double]>([:])
    /// Seconds between two messages to one channel.
    public let interval: Double

    public init(interval: Double = 1) { self.interval = interval }

    /// Takes the channel's slot if it is free at `now`.
    public func tryReserve(_ channel: String, now: Double) -> Bool {
        nextSlot.withLock { slots in
            if let next = slots[channel], next > now { return false }
            slots[channel] = now + interval
            return true
        }
    }

    /// Nothing is sent to the channel before `time`.
    public func block(_ channel: String, until time: Double) {
        nextSlot.withLock { slots in slots[channel] = max(slots[channel] ?? time, time) }
    }

    /// When the channel is free next; nil when it is free.
    public func nextFree(_ channel: String, now: Double) -> Double? {
        nextSlot.withLock { slots in slots[channel].flatMap { $0 > now ? $0 : nil } }
    }
}
