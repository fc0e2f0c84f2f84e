import Synchronization

/// Who a credential (a token's or session's hash) belongs to, for a few seconds: most requests then read
/// nothing from the store to authenticate. Bounded; emptied whenever an identity changes on this server.
final class IdentityCache: Sendable {
    /// How long a change made by another replica may go unseen here.
    static let lifetime = 5.0
    private static let capacity = 4096

    private struct Entry {
        var identity: Identity
        /// The earlier of the credential's own expiry and the end of `lifetime`.
        var until: Double
    }

    private struct State {
        var entries: [String: Entry] = [:]
        /// Grows with every `forgetAll`: an identity read from the store before a change is not remembered after it.
        var generation: UInt64 = 0
    }

    private let state = Mutex(State())

    /// The cached identity, or nil and the generation to pass to `remember` after reading the store.
    func identity(for key: String, now: Double) -> (identity: Identity?, generation: UInt64) {
        state.withLock { state in
            guard let entry = state.entries[key] else { return (nil, state.generation) }
            if entry.until > now { return (entry.identity, state.generation) }
            state.entries[key] = nil
            return (nil, state.generation)
        }
    }

    func remember(_ identity: Identity, for key: String, until expiry: Double, now: Double, generation: UInt64) {
        state.withLock { state in
            guard state.generation == generation else { return }
            if state.entries.count >= Self.capacity { state.entries = state.entries.filter { $0.value.until > now } }
            if state.entries.count >= Self.capacity { state.entries.removeAll() }
            state.entries[key] = Entry(identity: identity, until: min(expiry, now + Self.lifetime))
        }
    }

    func forgetAll() {
        state.withLock { state in
            state.entries.removeAll()
            state.generation += 1
        }
    }
}
