#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Subprocess
#if canImport(System)
import System
#else
import SystemPackage
#endif
import WavelineCore

extension SSHExecutor {
    /// The scope of `node`'s run names (see `StepMark.name(scope:)`): the control directory stands for the data
    /// directory (it is under it, or a link named after it).
    func scope(for node: Node) -> String {
        StepWrapper.scope(seed: controlDirectory, node: node.name)
    }

    /// Prefix of the one line the settle script answers with.
    static let settlePrefix = "__waveline_settle__="

    /// Over a fresh connection (or a master still open): ends the run's recorded process group when its leader
    /// still carries the run's name, then every process that carries it, waits until they are gone, and reads
    /// the exit code the wrapper left. Linux hosts are checked through `/proc`; on others, a run whose process
    /// may still live is reported unknown, never killed blindly.
    public func settle(_ step: StepMark, on node: Node) async -> StepSettlement {
        guard case .ssh(let connection) = node.connection else { return .unknown("node \(node.name) is not reached over ssh") }
        guard let ssh = sshProgram else { return .unknown("the OpenSSH client (ssh) is not installed on the Waveline server") }
        if let problem = SSHConnectionCheck.problem(in: connection) { return .unknown("the connection is refused: \(problem)") }
        let name = step.name(scope: scope(for: node))
        let script = Self.settleScript(name: name, directory: connection.directory)
        let arguments = options(for: connection, controlMaster: "no") + ["--", connection.host, script]
        let destination = Self.destination(node, connection)
        let answer: (code: Int32?, stdout: String, stderr: String)
        do {
            let result = try await Subprocess.run(
                .path(FilePath(ssh)), arguments: Arguments(arguments), environment: subprocessEnvironment,
                platformOptions: LocalExecutor.platformOptions(), input: .none,
                output: .string(limit: 1 << 16), error: .string(limit: 1 << 16))
            let code: Int32? = if case .exited(let value) = result.terminationStatus { value } else { nil }
            answer = (code, result.standardOutput, result.standardError)
        } catch {
            return .unknown("cannot run ssh: \(error)")
        }
        guard let line = answer.stdout.split(separator: "\n").last(where: { $0.hasPrefix(Self.settlePrefix) }) else {
            let lines = answer.stderr.split(separator: "\n").map(String.init)
            return .unknown(SSHFailure.reason(lines: lines, destination: destination, started: false)
                ?? "checking \(destination) for the step failed (ssh exit \(answer.code.map(String.init) ?? "by a signal"))")
        }
        let value = line.dropFirst(Self.settlePrefix.count)
        if value.hasPrefix("exit:"), let code = StepWrapper.exitCode(in: String(value.dropFirst(5))) {
            return .finished(exitCode: code)
        }
        switch value {
        case "none", "nodir": return .notFinished
        case "stuck": return .unknown("processes of the step on \(destination) would not end")
        default: return .unknown("\(destination) cannot tell whether a process of the step still runs (no /proc)")
        }
    }

    /// POSIX `sh` (and zsh/bash) text; the run's name is made of letters, digits and '-' only.
    static func settleScript(name: String, directory: String?) -> String {
        let answer = "printf '\(settlePrefix)%s\\n'"
        let enter = directory.map { "cd \(RemoteCommand.quote(RemoteCommand.operand($0))) 2>/dev/null || { \(answer) nodir; exit 0; }\n" } ?? ""
        return enter + """
            __wl_d=\(StepWrapper.directory); __wl_m=\(name)
            __wl_carries() { tr '\\000' '\\n' < "/proc/$1/environ" 2>/dev/null | grep -qx "\(StepWrapper.variable)=$__wl_m"; }
            if [ -d /proc/self ]; then
              if [ -f "$__wl_d/$__wl_m.pid" ]; then
                __wl_g=$(cat "$__wl_d/$__wl_m.pid")
                case "$__wl_g" in ''|*[!0-9]*) ;; *) if __wl_carries "$__wl_g"; then kill -KILL -"$__wl_g" 2>/dev/null; fi ;; esac
              fi
              __wl_i=0
              while :; do
                __wl_left=
                for __wl_p in /proc/[0-9]*; do
                  __wl_p=${__wl_p#/proc/}
                  if [ "$__wl_p" != "$$" ] && __wl_carries "$__wl_p"; then kill -KILL "$__wl_p" 2>/dev/null; __wl_left=1; fi
                done
                [ -z "$__wl_left" ] && break
                __wl_i=$((__wl_i + 1))
                if [ "$__wl_i" -gt 50 ]; then \(answer) stuck; exit 0; fi
                sleep 0.1 2>/dev/null || sleep 1
              done
            elif [ -f "$__wl_d/$__wl_m.pid" ] && kill -0 "$(cat "$__wl_d/$__wl_m.pid")" 2>/dev/null; then
              \(answer) unverifiable; exit 0
            fi
            if [ -f "$__wl_d/$__wl_m.exit" ]; then \(answer) "exit:$(cat "$__wl_d/$__wl_m.exit")"; else \(answer) none; fi
            """
    }
}
