#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// How many processes the executors run at once. Each takes up to eight descriptors (three pipes and a process
/// descriptor): when a run cannot get them, Subprocess drops the pipes it already made without closing them,
/// a fatal error for the whole server. So runs beyond what the descriptor limit leaves room for wait for a
/// slot instead of failing (a deployment over thousands of nodes with a low `ulimit -n`).
final class ProcessSlots: Sendable {
    static let shared = ProcessSlots(capacity: ProcessSlots.capacityFromDescriptorLimit())

    /// Descriptors one run may hold.
    static let descriptorsPerProcess = 8
    /// Descriptors left for everything else: the store, sockets of the API and its streams, logs.
    static let reservedDescriptors = 256

    private struct State {
        var free: Int
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state: Mutex<State>
    let capacity: Int

    init(capacity: Int) {
        self.capacity = max(1, capacity)
        state = Mutex(State(free: max(1, capacity)))
    }

    /// Raises this process's soft descriptor limit to its hard limit (as servers do), then leaves a reserve.
    static func capacityFromDescriptorLimit() -> Int {
        #if os(Linux)
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        #else
        let resource = RLIMIT_NOFILE
        #endif
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0 else { return 64 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = min(limit.rlim_max, 1 << 20)
            if setrlimit(resource, &raised) == 0 { limit = raised }
        }
        let usable = Int(clamping: limit.rlim_cur) - reservedDescriptors
        return max(16, usable / descriptorsPerProcess)
    }

    func acquire() async {
        let granted = state.withLock { state -> Bool in
            guard state.free > 0 else { return false }
            state.free -= 1
            return true
        }
        if granted { return }
        await withCheckedContinuation { continuation in
            let grantedNow = state.withLock { state -> Bool in
                if state.free > 0 {
                    state.free -= 1
                    return true
                }
                state.waiters.append(continuation)
                return false
            }
            if grantedNow { continuation.resume() }
        }
    }

    func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.waiters.isEmpty {
                state.free += 1
                return nil
            }
            return state.waiters.removeFirst()
        }
        next?.resume()
    }
}
