#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The few system calls the local executor makes itself, wrapped so the rest reads as Swift.
enum POSIX {
    /// Seconds since 1970, for stamping output lines.
    static func wallClockTime() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1_000_000_000
    }

    /// The system's sentence for an `errno` value ("Permission denied").
    static func message(forErrno code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }

    static func environmentValue(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        return String(cString: value)
    }

    static func currentDirectory() -> String? {
        guard let path = getcwd(nil, 0) else { return nil }
        defer { free(path) }
        return String(cString: path)
    }

    enum FileKind: Equatable {
        case missing
        case directory
        case regularFile(executable: Bool)
        case other
    }

    static func kind(of path: String) -> FileKind {
        var info = stat()
        guard stat(path, &info) == 0 else { return .missing }
        switch info.st_mode & S_IFMT {
        case S_IFDIR: return .directory
        case S_IFREG: return .regularFile(executable: access(path, X_OK) == 0)
        default: return .other
        }
    }

    /// `mkdir -p`, private: folders it makes are 0700 (node folders and the SSH socket folder hold what only
    /// the server's user may read). Returns the `errno` of the step that failed, or `nil` when the directory
    /// exists afterwards.
    static func makeDirectories(_ path: String) -> Int32? {
        if kind(of: path) == .directory { return nil }
        if mkdir(path, 0o700) == 0 { return nil }
        let failure = errno
        switch failure {
        case EEXIST:
            return kind(of: path) == .directory ? nil : ENOTDIR
        case ENOENT:
            let parent = parentDirectory(of: path)
            guard !parent.isEmpty, parent != path else { return failure }
            if let parentFailure = makeDirectories(parent) { return parentFailure }
            if mkdir(path, 0o700) == 0 { return nil }
            let retryFailure = errno
            return retryFailure == EEXIST && kind(of: path) == .directory ? nil : retryFailure
        default:
            return failure
        }
    }

    private static func parentDirectory(of path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return "" }
        let parent = trimmed[..<slash]
        return parent.isEmpty ? "/" : String(parent)
    }

    /// Whether child `pid` has ended, without reaping it: Subprocess still owns the zombie and reaps it.
    static func hasExited(_ pid: pid_t) -> Bool {
        var info = siginfo_t()
        while waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == -1 {
            if errno != EINTR { return true }
        }
        return info.si_signo != 0
    }

    /// Sends `signal` to every process in the group led by `leader`. Refuses group ids that would reach this
    /// server's own group or every process (0, 1, negatives).
    static func signalGroup(_ leader: pid_t, _ signal: Int32) {
        guard leader > 1 else { return }
        _ = kill(-leader, signal)
    }
}
