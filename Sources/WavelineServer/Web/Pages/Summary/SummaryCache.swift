import Synchronization
import WavelineCore

/// The summary page's live region, rendered once for all the requests that arrive while the store is unchanged,
/// instead of once per request (the page reads 50 deployments with their phases, counts and failures).
///
/// An entry serves while the store's write count is the one read before the entry was loaded, and for at most
/// `maxAge` (its elapsed times move on). The engine announces a change only after its write returned, and the
/// count grows before that, so a page fetched because of an announcement always sees the change. While an entry
/// is being loaded, requests for the same filters at the same count wait for it rather than load too.
/// Without a store that counts its writes (`ReadSide.writeCount`) nothing is cached.
/// One per `WebController`, so per server and store.
final class SummaryCache: Sendable {
    static let maxAge: Duration = .seconds(1)
    /// Filter combinations kept; the person filter is free text, so the cache is bounded.
    private static let capacity = 32

    private struct Key: Hashable {
        var filters: SummaryPage.Filters
        /// The viewer's grants decide which cards show.
        var grants: [Grant]
        var writeCount: UInt64
    }

    private struct Slot: Hashable {
        var filters: SummaryPage.Filters
        var grants: [Grant]
    }

    private struct Entry {
        var key: Key
        var madeAt: ContinuousClock.Instant
        var live: Task<HTML, any Error>
    }

    private let entries = Mutex<[Slot: Entry]>([:])

    /// The live region for `filters`, from the cache when current, else from `load` (once for all the requests
    /// that ask meanwhile).
    func live(
        _ filters: SummaryPage.Filters, grants: [Grant], writeCount: UInt64?, load: @escaping @Sendable () async throws -> HTML
    ) async throws -> HTML {
        guard let writeCount else { return try await load() }
        let key = Key(filters: filters, grants: grants, writeCount: writeCount)
        let filters = Slot(filters: filters, grants: grants)
        let now = ContinuousClock.now
        let task = entries.withLock { entries -> Task<HTML, any Error> in
            if let entry = entries[filters], entry.key == key, now - entry.madeAt < Self.maxAge { return entry.live }
            if entries.count >= Self.capacity, entries[filters] == nil {
                entries = entries.filter { now - $0.value.madeAt < Self.maxAge }
                if entries.count >= Self.capacity { entries.removeAll() }
            }
            let task = Task { try await load() }
            entries[filters] = Entry(key: key, madeAt: now, live: task)
            return task
        }
        do {
            return try await task.value
        } catch {
            // A failed read is not kept: the next request tries again.
            entries.withLock { entries in
                if let entry = entries[filters], entry.key == key, entry.madeAt == now { entries[filters] = nil }
            }
            throw error
        }
    }
}
