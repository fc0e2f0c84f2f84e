import Foundation
import Synchronization

/// Slows password guessing without letting anyone lock another person out. Failures are counted per user name
/// *from one address* and per address (whatever the names): the first `freeFailures` of a key in `window`
/// seconds cost nothing, then each further attempt waits twice as long as the one before, up to `longestWait`
/// seconds since that key's last failure. Nothing counts failures per name alone, so guesses at someone's
/// name from elsewhere never slow them down, and no key is ever locked: it is only slowed.
///
/// Kept in memory: each replica counts its own (a restart forgets).
public final class LoginThrottle: Sendable {
    /// One counted key and how many failures it may have before it is slowed down.
    struct Key: Hashable {
        var name: String
        var freeFailures: Int
    }

    let freeFailures: Int
    /// Failures by one address, whatever names they were for, before that address is slowed (password spraying).
    let freeFailuresPerAddress: Int
    let window: Double
    let longestWait: Double
    private let failures = Mutex<[String: [Double]]>([:])
    /// Keys kept at most; the stalest are dropped first, so a flood of names cannot grow memory.
    private let capacity = 10_000

    public init(freeFailures: Int = 5, freeFailuresPerAddress: Int = 30, window: Double = 15 * 60, longestWait: Double = 60) {
        self.freeFailures = freeFailures
        self.freeFailuresPerAddress = freeFailuresPerAddress
        self.window = window
        self.longestWait = longestWait
    }

    /// The keys of a sign-in for `name` from `address`; the first is the one a success clears.
    func keys(name: String, address: String) -> [Key] {
        [Key(name: "user:" + name.lowercased() + " address:" + address, freeFailures: freeFailures),
         Key(name: "address:" + address, freeFailures: freeFailuresPerAddress)]
    }

    /// Admits an attempt for the keys and counts it as failed at once, until `succeeded` says otherwise: so
    /// that guesses sent all at once cannot each pass the check before the first failure is counted. Nil when
    /// admitted; otherwise the seconds until an attempt may be made again.
    func admit(keys: [Key], now: Double) -> Double? {
        failures.withLock { failures in
            var wait: Double?
            for key in keys {
                let recent = (failures[key.name] ?? []).filter { now - $0 < window }
                failures[key.name] = recent.isEmpty ? nil : recent
                guard recent.count >= key.freeFailures, let last = recent.last else { continue }
                let delay = min(longestWait, pow(2, Double(recent.count - key.freeFailures)))
                if last + delay > now { wait = max(wait ?? 0, last + delay - now) }
            }
            guard wait == nil else { return wait }
            for key in keys { failures[key.name, default: []].append(now) }
            if failures.count > capacity {
                let stalest = failures.sorted { ($0.value.last ?? 0) < ($1.value.last ?? 0) }.prefix(failures.count - capacity)
                for (key, _) in stalest { failures[key] = nil }
            }
            return nil
        }
    }

    /// The attempt admitted at `admittedAt` succeeded: the name's failures from that address are forgotten,
    /// and the attempt no longer counts against the address.
    func succeeded(keys: [Key], admittedAt: Double) {
        failures.withLock { failures in
            guard let first = keys.first else { return }
            failures[first.name] = nil
            for key in keys.dropFirst() {
                guard var times = failures[key.name], let index = times.lastIndex(of: admittedAt) else { continue }
                times.remove(at: index)
                failures[key.name] = times.isEmpty ? nil : times
            }
        }
    }
}
