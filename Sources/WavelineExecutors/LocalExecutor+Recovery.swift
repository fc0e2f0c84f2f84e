#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import WavelineCore

extension LocalExecutor {
    /// How long recovery waits for a killed run's processes to be gone.
    static let settleWait: Duration = .seconds(5)

    /// The scope of `node`'s run names (see `StepMark.name(scope:)`).
    func scope(for node: Node) -> String {
        StepWrapper.scope(seed: dataDirectory, node: node.name)
    }

    /// Ends what is left of `step` on this machine (its recorded process group, when its leader still carries the
    /// run's name, and every process that carries it, in the group or not), waits until they are gone, then reads
    /// the exit code the wrapper left, if it ran to its end.
    public func settle(_ step: StepMark, on node: Node) async -> StepSettlement {
        let directory = workingDirectory(for: node) + "/" + StepWrapper.directory
        let name = step.name(scope: scope(for: node))
        #if os(Linux)
        if let text = POSIX.readSmallFile(directory + "/" + name + ".pid"), let leader = StepWrapper.exitCode(in: text),
           leader > 1, Self.process(leader, carries: name) {
            POSIX.signalGroup(leader, SIGKILL)
        }
        let clock = ContinuousClock()
        let deadline = clock.now + Self.settleWait
        while true {
            let left = Self.processes(carrying: name)
            if left.isEmpty { break }
            for pid in left { _ = kill(pid, SIGKILL) }
            if clock.now > deadline {
                return .unknown("processes of the step (\(left.map(String.init).joined(separator: ", "))) would not end")
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
        #else
        if let text = POSIX.readSmallFile(directory + "/" + name + ".pid"), let leader = StepWrapper.exitCode(in: text),
           leader > 1, kill(leader, 0) == 0 {
            return .unknown("process \(leader) may still run the step, and this system cannot tell whether it is the step's")
        }
        #endif
        if let text = POSIX.readSmallFile(directory + "/" + name + ".exit"), let code = StepWrapper.exitCode(in: text) {
            return .finished(exitCode: code)
        }
        return .notFinished
    }

    #if os(Linux)
    /// Whether process `pid` has `WAVELINE_STEP_RUN=<name>` in its environment (same user only).
    static func process(_ pid: pid_t, carries name: String) -> Bool {
        guard let environment = POSIX.readSmallFile("/proc/\(pid)/environ", limit: 1 << 20) else { return false }
        let wanted = StepWrapper.variable + "=" + name
        return environment.split(separator: "\0").contains { $0 == wanted }
    }

    /// Every live process of this user that carries the run's name.
    static func processes(carrying name: String) -> [pid_t] {
        guard let handle = opendir("/proc") else { return [] }
        defer { closedir(handle) }
        var found: [pid_t] = []
        let me = getpid()
        while let entry = readdir(handle) {
            let entryName = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            guard let pid = pid_t(entryName), pid > 1, pid != me else { continue }
            if process(pid, carries: name) { found.append(pid) }
        }
        return found
    }
    #endif
}

extension POSIX {
    /// The first `limit` bytes of a file as text, or nil when it cannot be read.
    static func readSmallFile(_ path: String, limit: Int = 4096) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while bytes.count < limit {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, min($0.count, limit - bytes.count)) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            bytes += buffer[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
