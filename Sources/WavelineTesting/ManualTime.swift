import Synchronization
import WavelineCore

/// A time that moves only when a test moves it: decisions on time (approval expiry, gates) are tested without
/// waiting.
public final class ManualTime: TimeSource {
    private let seconds: Mutex<Double>

    public init(_ start: Double = 1_800_000_000) { seconds = Mutex(start) }

    public func now() -> Double { seconds.withLock { $0 } }

    public func advance(by interval: Double) {
        seconds.withLock { $0 += interval }
    }
}
