import Foundation
import Synchronization

/// Limits password guessing: after `limit` failed sign-ins for one user name, or from one address, within
/// `window` seconds, further attempts for it are refused without checking the password until the oldest
/// failure ages out. Kept in memory: each replica counts its own (a restart forgets).
public final class LoginThrottle: Sendable {
    let limit: Int
    let window: Double
    private let failures = Mutex<[String: [Double]]>([:])
    /// Keys kept at most; the stalest are dropped first, so a flood of names cannot grow memory.
    private let capacity = 10_000

    public init(limit: Int = 5, window: Double = 15 * 60) {
        self.limit = limit
        self.window = window
    }

    /// Admits an attempt for the keys and counts it as failed at once, until `succeeded` says otherwise: so
    /// that guesses sent all at once cannot each pass the check before the first failure is counted. Nil when
    /// admitted; otherwise the seconds until an attempt may be made again.
    func admit(keys: [String], now: Double) -> Double? {
        failures.withLock { failures in
            var wait: Double?
            for key in keys {
                let recent = (failures[key] ?? []).filter { now - $0 < window }
                failures[key] = recent.isEmpty ? nil : recent
                if recent.count >= limit, let oldest = recent.first {
                    wait = max(wait ?? 0, oldest + window - now)
                }
            }
            guard wait == nil else { return wait }
            for key in keys { failures[key, default: []].append(now) }
            if failures.count > capacity {
                let stalest = failures.sorted { ($0.value.last ?? 0) < ($1.value.last ?? 0) }.prefix(failures.count - capacity)
                for (key, _) in stalest { failures[key] = nil }
            }
            return nil
        }
    }

    /// The attempt admitted at `admittedAt` succeeded: the user's failures are forgotten, and the attempt no
    /// longer counts against its other keys (the address).
    func succeeded(keys: [String], admittedAt: Double) {
        failures.withLock { failures in
            guard let user = keys.first else { return }
            failures[user] = nil
            for key in keys.dropFirst() {
                guard var times = failures[key], let index = times.lastIndex(of: admittedAt) else { continue }
                times.remove(at: index)
                failures[key] = times.isEmpty ? nil : times
            }
        }
    }
}
