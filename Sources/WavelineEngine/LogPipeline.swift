import Synchronization
import WavelineExecutors
import WavelineStore

/// Appends log lines in batches: while one batch is being committed the next accumulates, so under load a
/// transaction carries thousands of lines and at rest a line is stored within a few milliseconds. Lines are
/// published to live viewers only once stored.
///
/// `append` is synchronous so an executor's output callback hands lines over in order without a task per
/// chunk; ids and per-node sequence numbers are assigned there, under the lock.
final class LogPipeline: Sendable {
    private struct State {
        var nextID: Int64
        var buffer: [LogLineRecord] = []
        var flushing = false
        var waiters: [CheckedContinuation<Void, Never>] = []
        var seqByTarget: [TargetKey: Int] = [:]
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

    init(store: any DeploymentStore, feed: LiveFeed, masker: SecretMasker = SecretMasker()) async throws {
        self.store = store
        self.feed = feed
        self.masker = masker
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

    func append(deployment: Int64, target: Int, step: String?, lines: [OutputLine]) {
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
                    stream: line.stream.rawValue, step: step, text: text
                ))
                state.nextID += 1
            }
            state.seqByTarget[key] = seq
            guard !state.flushing else { return false }
            state.flushing = true
            return true
        }
        // The flush ends as soon as the buffer is empty; it never outlives the lines it stores.
        if startFlush { Task { await self.flushLoop() } }
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

    /// Returns once every line appended before the call is stored.
    func flush() async {
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
            if resumeNow { continuation.resume() }
        }
    }

    func forget(deployment: Int64) {
        state.withLock { $0.seqByTarget = $0.seqByTarget.filter { $0.key.deployment != deployment } }
        carried.withLock { $0 = $0.filter { $0.key.deployment != deployment } }
    }

    private func flushLoop() async {
        while true {
            let (batch, waiters) = state.withLock { state -> ([LogLineRecord], [CheckedContinuation<Void, Never>]) in
                let taken = (state.buffer, state.waiters)
                state.buffer = []
                state.waiters = []
                if taken.0.isEmpty { state.flushing = false }
                return taken
            }
            if batch.isEmpty {
                for waiter in waiters { waiter.resume() }
                return
            }
            do {
                try await store.write([.appendLogs(batch)])
                feed.publishLines(batch)
                for waiter in waiters { waiter.resume() }
            } catch {
                // Keep the lines for the next try rather than lose them.
                state.withLock { state in
                    state.buffer = batch + state.buffer
                    state.waiters = waiters + state.waiters
                }
                try? await Task.sleep(for: .milliseconds(200))
            }
        }
    }
}
