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

    private let store: any DeploymentStore
    private let feed: LiveFeed
    private let state: Mutex<State>
    /// Secret values become `********` before a line is stored or shown.
    private let masker: SecretMasker

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
        let masked = masker.isEmpty ? lines.map(\.text) : lines.map { masker.mask($0.text) }
        let startFlush = state.withLock { state -> Bool in
            var seq = state.seqByTarget[key] ?? 0
            for (line, text) in zip(lines, masked) {
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
