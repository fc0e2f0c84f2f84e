/// Tasks waiting for something to happen to a key (a deployment's driver to end, its turn to be free, the
/// recovery to finish), woken all at once when it does. Kept by an actor, which checks, adds and wakes in its
/// own turns:
///
///     guard !done(key) else { return }
///     await withCheckedContinuation { room.add($0, for: key) }
public struct WaitingRoom<Key: Hashable & Sendable>: Sendable {
    private var waiting: [Key: [CheckedContinuation<Void, Never>]] = [:]

    public init() {}

    public mutating func add(_ waiter: CheckedContinuation<Void, Never>, for key: Key) {
        waiting[key, default: []].append(waiter)
    }

    /// Wakes everyone waiting for `key`.
    public mutating func wake(_ key: Key) {
        for waiter in waiting.removeValue(forKey: key) ?? [] { waiter.resume() }
    }

    public func isWaiting(for key: Key) -> Bool { !(waiting[key] ?? []).isEmpty }
}
