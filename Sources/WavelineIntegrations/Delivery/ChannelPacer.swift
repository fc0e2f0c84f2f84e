import Synchronization

/// Slack's one message per second per channel, for every deployment at once. A sender takes the channel (it is
/// then busy) and gives it back when its call has ended; the next one may start `interval` after that. Spacing
/// from the end of a call, not its start, is what bounds the arrivals: the next request leaves after the previous
/// one was answered, so after it arrived. A 429 on a channel closes it until its `Retry-After` has passed.
public final class ChannelPacer: Sendable {
    private struct Channel {
        var busy = false
        var freeAt: Double = 0
    }

    private let channels = Mutex<[String: Channel]>([:])
    /// Seconds between the end of one call to a channel and the start of the next.
    public let interval: Double

    public init(interval: Double = 1) { self.interval = interval }

    /// Takes the channel when no call to it is under way and its next slot has come; the caller must `release` it.
    public func tryReserve(_ channel: String, now: Double) -> Bool {
        channels.withLock { channels in
            var state = channels[channel] ?? Channel()
            if state.busy || state.freeAt > now { return false }
            state.busy = true
            channels[channel] = state
            return true
        }
    }

    /// The call to the channel has ended (however): the next may start `interval` from `now`.
    public func release(_ channel: String, now: Double) {
        channels.withLock { channels in
            var state = channels[channel] ?? Channel()
            state.busy = false
            state.freeAt = max(state.freeAt, now + interval)
            channels[channel] = state
        }
    }

    /// Nothing is sent to the channel before `time`.
    public func block(_ channel: String, until time: Double) {
        channels.withLock { channels in
            var state = channels[channel] ?? Channel()
            state.freeAt = max(state.freeAt, time)
            channels[channel] = state
        }
    }

    /// When the channel is free next (at the soonest, for one whose call is under way); nil when it is free.
    public func nextFree(_ channel: String, now: Double) -> Double? {
        channels.withLock { channels in
            guard let state = channels[channel] else { return nil }
            if state.busy { return max(state.freeAt, now + interval) }
            return state.freeAt > now ? state.freeAt : nil
        }
    }
}
