#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// What one run knows about its process group, shared by the task that reads the output and the task that
/// enforces the timeout. The timeout may fire before the process has started; the signal is then sent as
/// soon as the process id is known.
final class ProcessGroupControl: Sendable {
    private struct State {
        var leader: pid_t?
        var timedOut = false
    }

    private let state = Mutex(State())

    /// The child is running and leads its own process group (`setpgid(0, 0)` at spawn).
    func started(leader: pid_t) {
        let alreadyTimedOut = state.withLock { state in
            state.leader = leader
            return state.timedOut
        }
        if alreadyTimedOut { POSIX.signalGroup(leader, SIGTERM) }
    }

    /// The timeout expired: ask the whole group to stop.
    func timeoutExpired() {
        let leader = state.withLock { state in
            state.timedOut = true
            return state.leader
        }
        if let leader { POSIX.signalGroup(leader, SIGTERM) }
    }

    /// Ends whatever is left of the group, without grace.
    func killGroup() {
        if let leader = state.withLock({ $0.leader }) { POSIX.signalGroup(leader, SIGKILL) }
    }

    var timedOut: Bool { state.withLock { $0.timedOut } }
    var leader: pid_t? { state.withLock { $0.leader } }
}
