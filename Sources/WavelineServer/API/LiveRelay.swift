import NIOCore
import ServiceLifecycle
import Synchronization
import WavelineEngine

/// What a live response receives: an update from the engine's feed, or a heartbeat.
enum LiveRelayEvent: Sendable {
    case update(LiveUpdate)
    case heartbeat

    /// About how many bytes the event holds while it waits in a relay.
    var weight: Int {
        guard case .update(.logLines(let lines)) = self else { return 64 }
        return SharedLogEvents.weight(of: lines)
    }
}

/// The events of a relay, as its response reads them: each one read no longer counts as held.
struct LiveRelayEvents: AsyncSequence, Sendable {
    typealias Element = LiveRelayEvent
    typealias Failure = Never
    fileprivate let base: AsyncStream<LiveRelayEvent>
    fileprivate let held: HeldBytes

    struct AsyncIterator: AsyncIteratorProtocol {
        fileprivate var base: AsyncStream<LiveRelayEvent>.AsyncIterator
        fileprivate let held: HeldBytes

        mutating func next() async -> LiveRelayEvent? {
            guard let event = await base.next() else { return nil }
            held.add(-event.weight)
            return event
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: base.makeAsyncIterator(), held: held) }
}

/// What keeps a live response honest while it is open: whether its caller may still follow it, and how to end
/// its connection when writing to it is stuck.
struct LiveWatch: Sendable {
    /// How often the caller's credential is checked again.
    var interval: Duration = .seconds(1)
    /// How long one write may wait for the client before its connection is closed: a client that stopped
    /// reading never lets a write finish, and nothing else can end the response then.
    var stallTime: Duration = .seconds(20)
    /// When the write under way started, if one is.
    private let pendingWrite = PendingWrite()
    /// False once the credential is revoked or expired, its session ended, or its user changed or removed.
    var stillAllowed: @Sendable () async -> Bool
    /// Most bytes of events a relay holds for a response that has not written them yet: a busy log's batches
    /// are large, so a count of events alone would not bound memory.
    var byteLimit = 8 << 20
    /// Closes the connection: the only way to end a response whose write waits on a client that does not read.
    var closeConnection: @Sendable () -> Void

    init(context: WavelineRequestContext, accounts: IdentityService) {
        let identity = context.identity
        stillAllowed = {
            guard let identity else { return false }
            return await accounts.isStillValid(identity)
        }
        let channel = context.channel
        closeConnection = { channel.close(promise: nil) }
    }

    /// Runs one write of the response, timed: the watch closes the connection when it waits too long.
    func timed<T>(_ write: () async throws -> T) async throws -> T {
        pendingWrite.started(at: ContinuousClock.now)
        defer { pendingWrite.ended() }
        return try await write()
    }

    /// Whether the write under way has waited longer than `stallTime`.
    func isStalled(now: ContinuousClock.Instant) -> Bool {
        guard let since = pendingWrite.since else { return false }
        return now - since >= stallTime
    }
}

private final class PendingWrite: Sendable {
    private let start = Mutex<ContinuousClock.Instant?>(nil)
    func started(at instant: ContinuousClock.Instant) { start.withLock { $0 = instant } }
    func ended() { start.withLock { $0 = nil } }
    var since: ContinuousClock.Instant? { start.withLock { $0 } }
}

/// Relays a feed subscription to a streaming response. The relay ends when the server shuts down gracefully
/// (which waits for open responses, so a stream that never ended would hold the shutdown), and carries a
/// heartbeat so that a viewer who went away is noticed at the next write even when nothing changes, which
/// ends its subscription.
///
/// The relay holds at most `limit` events and `watch.byteLimit` bytes of them: a response that falls further
/// behind is ended (its client resumes from its last event id) rather than buffered without bound. A response is also ended,
/// within `watch.interval`, once its caller's credential no longer stands (a revoked token, a changed
/// password, a removed user), and its connection is closed when one of its writes (timed with `watch.timed`)
/// waits more than `watch.stallTime` on a client that stopped reading.
func withLiveRelay(
    _ updates: AsyncStream<LiveUpdate>,
    limit: Int,
    heartbeat: Duration = .seconds(15),
    watch: LiveWatch,
    _ body: (LiveRelayEvents) async throws -> Void
) async throws {
    let (stream, input) = AsyncStream<LiveRelayEvent>.makeStream(bufferingPolicy: .bufferingOldest(max(1, limit)))
    let held = HeldBytes()
    let relay = LiveRelayEvents(base: stream, held: held)
    try await withGracefulShutdownHandler {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for await update in updates {
                    let event = LiveRelayEvent.update(update)
                    guard held.add(event.weight) <= watch.byteLimit else { break }
                    if case .dropped = input.yield(event) { break }
                }
                input.finish()
            }
            group.addTask {
                while true {
                    try await Task.sleep(for: heartbeat)
                    // A full relay already has something to write: the heartbeat is not needed.
                    held.add(LiveRelayEvent.heartbeat.weight)
                    if case .dropped = input.yield(.heartbeat) { held.add(-LiveRelayEvent.heartbeat.weight) }
                }
            }
            group.addTask {
                while true {
                    try await Task.sleep(for: watch.interval)
                    guard await watch.stillAllowed() else {
                        input.finish()
                        watch.closeConnection()
                        return
                    }
                    if watch.isStalled(now: ContinuousClock.now) {
                        input.finish()
                        watch.closeConnection()
                        return
                    }
                }
            }
            try await body(relay)
            group.cancelAll()
        }
    } onGracefulShutdown: {
        input.finish()
    }
}

/// Bytes of events waiting in a relay.
private final class HeldBytes: Sendable {
    private let value = Atomic<Int>(0)
    /// Adds (or, negative, removes) bytes; the new total.
    @discardableResult
    func add(_ bytes: Int) -> Int { value.add(bytes, ordering: .relaxed).newValue }
}
