import ServiceLifecycle
import WavelineEngine

/// What a live response receives: an update from the engine's feed, or a heartbeat.
enum LiveRelayEvent: Sendable {
    case update(LiveUpdate)
    case heartbeat
}

/// Relays a feed subscription to a streaming response. The relay ends when the server shuts down gracefully
/// (which waits for open responses, so a stream that never ended would hold the shutdown), and carries a
/// heartbeat so that a viewer who went away is noticed at the next write even when nothing changes, which
/// ends its subscription.
///
/// The relay holds at most `limit` events, as the feed does: a response that falls further behind is ended
/// (its client resumes from its last event id) rather than buffered without bound.
func withLiveRelay(
    _ updates: AsyncStream<LiveUpdate>,
    limit: Int,
    heartbeat: Duration = .seconds(15),
    _ body: (AsyncStream<LiveRelayEvent>) async throws -> Void
) async throws {
    let (relay, input) = AsyncStream<LiveRelayEvent>.makeStream(bufferingPolicy: .bufferingOldest(max(1, limit)))
    try await withGracefulShutdownHandler {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for await update in updates {
                    if case .dropped = input.yield(.update(update)) { break }
                }
                input.finish()
            }
            group.addTask {
                while true {
                    try await Task.sleep(for: heartbeat)
                    // A full relay already has something to write: the heartbeat is not needed.
                    _ = input.yield(.heartbeat)
                }
            }
            try await body(relay)
            group.cancelAll()
        }
    } onGracefulShutdown: {
        input.finish()
    }
}
