import Synchronization
import WavelineExecutors
import WavelineStore

/// Appends log lines in batches: while one batch is being committed the next accumulates, so under load a
/// transaction carries thousands of lines and at rest a line is stored within a few milliseconds. Lines are
/// published to live viewers only once stored.
///
/// `append` hands lines over in order without a task per chunk; ids and per-node sequence numbers are assigned
/// there, under the lock. What is waiting to be stored is bounded (`bufferLimit` bytes): past it, `append`
/// returns only once the store has caught up, so the executor stops reading the step's pipe and a step that
/// prints faster than the store writes is slowed down (it blocks on a full pipe) instead of growing memory.
final class LogPipeline: Sendable {
    private struct State {
        var nextID: Int64
        var buffer: [LogLineRecord] = []
        var flushing = false
        /// `flush` callers: told true once their lines are stored, false when a write of them failed.
        var waiters: [CheckedContinuation<Bool, Never>] = []
        var seqByTarget: [TargetKey: Int] = [:]
        /// Text bytes appended and not yet stored (buffered or being written).
        var pendingBytes = 0
        /// Appenders waiting for `pendingBytes` to fall under the limit.
        var spaceWaiters: [CheckedContinuation<Void, Never>] = []
        /// Why the last write failed, while writes fail; nil once one succeeds.
        var storeFailure: String?
        var mostPendingBytes = 0
    }

    struct TargetKey: Hashable {
        var deployment: Int64
        var target: Int
    }

    /// One output stream of one node: where the raw end of a cut line waits for the line's next piece.
    struct StreamKey: Hashable {
        var deployment: Int64
        var target: Int
        var stream: OutputLine.Stream
    }

    private let store: any DeploymentStore
    private let feed: LiveFeed
    private let state: Mutex<State>
    /// Secret values become `********` before a line is stored or shown.
    private let masker: SecretMasker
    /// The raw end of the last piece of a cut line per stream, masked with the next piece. Each stream is
    /// appended by one reader at a time, in order.
    private let carried = Mutex<[StreamKey: String]>([:])

    /// Bytes of log text that may wait to be stored before appenders are held back.
    let bufferLimit: Int

    init(store: any DeploymentStore, feed: LiveFeed, masker: SecretMasker = SecretMasker(), bufferLimit: Int = 8 << 20) async throws {
        self.store = store
        self.feed = feed
        self.masker = masker
        self.bufferLimit = max(bufferLimit, 1)
        self.state = Mutex(State(nextID: try await store.maxLogLineID() + 1))
    }

    /// Loads where a node's line numbering stands, so it continues across restarts. Call before its first line.
    func prepare(deployment: Int64, target: Int) async {
        let key = TargetKey(deployment: deployment, target: target)
        guard state.withLock({ $0.seqByTarget[key] == nil }) else { return }
        let last = (try? await store.lastLogLines(of: deployment, target: target, count: 1).last?.seq) ?? 0
        state.withLock { state in
            if state.seqByTarget[key] == nil { state.seqByTarget[key] = last }
        }
    }

    /// Why the store refuses log lines, while it does.
    var storeFailure: String? { state.withLock { $0.storeFailure } }

    /// Appenders held back until the store catches up, and the most bytes ever waiting: what shows the bound.
    var heldAppenders: Int { state.withLock { $0.spaceWaiters.count } }
    var mostPendingBytes: Int { state.withLock { $0.mostPendingBytes } }

    /// Queues the lines, then waits while more than `bufferLimit` bytes wait to be stored.
    func append(deployment: Int64, target: Int, step: String?, lines: [OutputLine]) async {
        guard !lines.isEmpty else { return }
        let key = TargetKey(deployment: deployment, target: target)
        let masked = masker.isEmpty ? lines.map { ($0, $0.text) } : mask(lines, deployment: deployment, target: target)
        let step = masker.isEmpty ? step : step.map { masker.mask($0, deployment: deployment) }
        guard !masked.isEmpty else { return }
        let startFlush = state.withLock { state -> Bool in
            var seq = state.seqByTarget[key] ?? 0
            for (line, text) in masked {
                seq += 1
                state.buffer.append(LogLineRecord(
                    id: state.nextID, deploymentId: deployment, targetIndex: target, seq: seq, time: line.time,
                    stream: line.stream, step: step, text: text
                ))
                state.nextID += 1
            }
            state.seqByTarget[key] = seq
            state.pendingBytes += masked.reduce(0) { $0 + $1.1.utf8.count + 64 }
            state.mostPendingBytes = max(state.mostPendingBytes, state.pendingBytes)
            guard !state.flushing else { return false }
            state.flushing = true
            return true
        }
        // The flush ends as soon as the buffer is empty; it never outlives the lines it stores.
        if startFlush { Task { await self.flushLoop() } }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let full = state.withLock { state -> Bool in
                guard state.pendingBytes > bufferLimit else { return false }
                state.spaceWaiters.append(continuation)
                return true
            }
            if !full { continuation.resume() }
        }
    }

    /// Each line masked. A piece of a cut line keeps its raw end back for the next piece, so a value that
    /// straddles the cut is masked whole; a piece left empty by that is not stored.
    private func mask(_ lines: [OutputLine], deployment: Int64, target: Int) -> [(OutputLine, String)] {
        var masked: [(OutputLine, String)] = []
        masked.reserveCapacity(lines.count)
        // Taken out of the shared map, masked without holding its lock, put back: one reader per stream.
        let keys = Set(lines.map { StreamKey(deployment: deployment, target: target, stream: $0.stream) })
        var ends = carried.withLock { carried in
            var taken: [StreamKey: String] = [:]
            for key in keys { taken[key] = carried.removeValue(forKey: key) }
            return taken
        }
        for line in lines {
            let key = StreamKey(deployment: deployment, target: target, stream: line.stream)
            let text = (ends.removeValue(forKey: key) ?? "") + line.text
            if line.continues {
                let (head, tail) = masker.maskKeepingTail(text, deployment: deployment)
                if !tail.isEmpty { ends[key] = tail }
                if !head.isEmpty { masked.append((line, head)) }
            } else {
                masked.append((line, masker.mask(text, deployment: deployment)))
            }
        }
        if !ends.isEmpty { carried.withLock { $0.merge(ends) { _, new in new } } }
        return masked
    }

    /// Returns true once every line appended before the call is stored, false as soon as a write of them fails
    /// (the lines are kept and written again later).
    @discardableResult
    func flush() async -> Bool {
        await withCheckedContinuation { continuation in
            let resumeNow = state.withLock { state -> Bool in
                if !state.flushing && state.buffer.isEmpty { return true }
                state.waiters.append(continuation)
                if !state.flushing {
                    state.flushing = true
                    Task { await self.flushLoop() }
                }
                return false
            }
            if resumeNow { continuation.resume(returning: true) }
        }
    }

    func forget(deployment: Int64) {
        state.withLock { $0.seqByTarget = $0.seqByTarget.filter { $0.key.deployment != deployment } }
        carried.withLock { $0 = $0.filter { $0.key.deployment != deployment } }
    }

    private func flushLoop() async {
        while true {
            let (batch, waiters) = state.withLock { state -> ([LogLineRecord], [CheckedContinuation<Bool, Never>]) in
                let taken = (state.buffer, state.waiters)
                state.buffer = []
                state.waiters = []
                if taken.0.isEmpty { state.flushing = false }
                return taken
            }
            if batch.isEmpty {
                for waiter in waiters { waiter.resume(returning: true) }
                return
            }
            do {
                try await store.write([.appendLogs(batch)])
                feed.publishLines(batch)
                for waiter in waiters { waiter.resume(returning: true) }
                let released = state.withLock { state -> [CheckedContinuation<Void, Never>] in
                    state.storeFailure = nil
                    state.pendingBytes -= batch.reduce(0) { $0 + $1.text.utf8.count + 64 }
                    guard state.pendingBytes <= bufferLimit else { return [] }
                    defer { state.spaceWaiters = [] }
                    return state.spaceWaiters
                }
                for waiter in released { waiter.resume() }
            } catch {
                // Keep the lines for the next try rather than lose them; appenders wait meanwhile once the
                // buffer is full, so the steps writing them are held on their pipes.
                state.withLock { state in
                    state.buffer = batch + state.buffer
                    state.storeFailure = "\(error)"
                }
                for waiter in waiters { waiter.resume(returning: false) }
                try? await Task.sleep(for: .milliseconds(200))
            }
        }
    }
}
