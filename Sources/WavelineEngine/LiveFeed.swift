import Synchronization
import WavelineStore

/// What live viewers receive: log lines once stored, and a note that a deployment changed.
public enum LiveUpdate: Sendable {
    case logLines([LogLineRecord])
    case deploymentChanged(Int64)
}

/// In-memory fan-out fed by the writers after each commit, so many viewers of one log cost the store nothing
/// beyond the one write. Each subscriber has a bounded buffer; a subscriber that falls that far behind is
/// ended and resumes from its cursor through the store, instead of the server buffering without bound.
///
/// The buffer keeps the oldest updates and refuses the newest (then ends the stream): what the subscriber
/// still reads is a gapless run after its cursor, so resuming from the last id it saw loses nothing. Keeping
/// the newest instead would drop updates from the middle, a gap the subscriber could not see.
public final class LiveFeed: Sendable {
    private struct Subscriber {
        var deploymentID: Int64?
        var continuation: AsyncStream<LiveUpdate>.Continuation
    }

    private let subscribers = Mutex<[Int: Subscriber]>([:])
    private let nextID = Atomic<Int>(0)
    /// Updates a subscriber may fall behind by before its stream is ended.
    public let bufferLimit: Int

    public init(bufferLimit: Int = 4096) { self.bufferLimit = bufferLimit }

    /// Updates about one deployment, or about all when `deploymentID` is nil.
    public func subscribe(deploymentID: Int64?) -> AsyncStream<LiveUpdate> {
        let id = nextID.add(1, ordering: .relaxed).newValue
        let (stream, continuation) = AsyncStream<LiveUpdate>.makeStream(bufferingPolicy: .bufferingOldest(bufferLimit))
        continuation.onTermination = { [weak self] _ in
            _ = self?.subscribers.withLock { $0.removeValue(forKey: id) }
        }
        subscribers.withLock { $0[id] = Subscriber(deploymentID: deploymentID, continuation: continuation) }
        return stream
    }

    func publish(_ update: LiveUpdate, deploymentID: Int64) {
        let targets = subscribers.withLock { subscribers in
            subscribers.values.filter { $0.deploymentID == nil || $0.deploymentID == deploymentID }.map(\.continuation)
        }
        for continuation in targets {
            if case .dropped = continuation.yield(update) {
                // `update` itself was refused; everything before it is still buffered, in order.
                // Too far behind: end its stream so it re-reads from its cursor rather than miss lines silently.
                continuation.finish()
            }
        }
    }

    func publishLines(_ lines: [LogLineRecord]) {
        // Mostly one deployment's lines: then the batch goes out as it is, without regrouping every line.
        if let first = lines.first, lines.allSatisfy({ $0.deploymentId == first.deploymentId }) {
            publish(.logLines(lines), deploymentID: first.deploymentId)
            return
        }
        var byDeployment: [Int64: [LogLineRecord]] = [:]
        for line in lines { byDeployment[line.deploymentId, default: []].append(line) }
        for (deploymentID, lines) in byDeployment { publish(.logLines(lines), deploymentID: deploymentID) }
    }
}
