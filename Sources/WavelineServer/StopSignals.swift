import UnixSignals

/// SIGTERM and SIGINT, for a command that has work to undo if it is stopped before the server runs (the demo's
/// node services): trapped from `init` on, so an early signal is not lost. Several may listen; the server's
/// own graceful shutdown listens too, once it runs.
public struct StopSignals: AsyncSequence, Sendable {
    public typealias Element = Int32
    private let signals: UnixSignalsSequence

    public init() async {
        signals = await UnixSignalsSequence(trapping: .sigterm, .sigint)
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: UnixSignalsSequence.AsyncIterator
        public mutating func next() async -> Int32? { await base.next()?.rawValue }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: signals.makeAsyncIterator()) }
}
