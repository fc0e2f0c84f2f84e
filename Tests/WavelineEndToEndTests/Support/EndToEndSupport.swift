import Foundation
import Subprocess
import SystemPackage
import Testing
import WavelineAPI
import WavelineCore
import WavelineServer
import WavelineStore
import WavelineTesting

// Helpers of the end-to-end suites only (what other test targets share is in WavelineTesting).

extension RunningServer {
    /// A request expected to fail: its status and the API's error message (the body must have the one error shape).
    func failure(_ method: String, _ path: String, body: Data? = nil) async throws -> (status: Int, message: String) {
        let (status, data) = try await request(method, path, body: body)
        let text = String(decoding: data, as: UTF8.self)
        guard let error = try? JSONDecoder().decode(ErrorBody.self, from: data) else {
            Issue.record("\(method) \(path) answered \(status) without the error shape: \(text.prefix(300))")
            return (status, text)
        }
        #expect(error.error.status == status, "the error body's status \(error.error.status) differs from the HTTP status \(status)")
        return (status, error.error.message)
    }

    /// An action expected to be refused.
    func refusedAction(_ action: String, _ id: Int64, nodes: [String] = []) async throws -> (status: Int, message: String) {
        try await failure("POST", "/api/v1/deployments/\(id)/actions/\(action)",
                          body: try JSONEncoder().encode(ActionBody(nodes: nodes, reason: "test")))
    }

    /// The same server as another user: made by the admin (token-only) with the grants on first use, with a
    /// fresh API token each call.
    func `as`(_ user: String, _ grants: [GrantBody] = [GrantBody(role: .admin)]) async throws -> RunningServer {
        let (status, data) = try await request("POST", "/api/v1/users", body: try JSONEncoder().encode(CreateUserBody(name: user, password: nil, grants: grants)))
        guard status == 201 || status == 409 else { throw HarnessError("creating user \(user) answered \(status): \(String(decoding: data, as: UTF8.self))") }
        let made: CreatedToken = try await post("/api/v1/tokens", json: CreateTokenBody(name: "test", expiresInDays: 1, user: user))
        var other = self
        other.token = made.token
        return other
    }

    /// A request whose JSON answer is decoded, failing on any status but 2xx.
    func requestJSON<T: Decodable>(_ method: String, _ path: String, body: Data? = nil) async throws -> T {
        let (status, data) = try await request(method, path, body: body)
        guard (200..<300).contains(status) else { throw HarnessError("\(method) \(path) answered \(status): \(String(decoding: data, as: UTF8.self))") }
        return try JSONDecoder().decode(T.self, from: data)
    }

    /// An action by another person (an admin, so only four-eyes rules can refuse it).
    func act(_ action: String, _ id: Int64, as actor: String) async throws -> DeploymentDetail {
        try await self.as(actor).post("/api/v1/deployments/\(id)/actions/\(action)", json: ActionBody(reason: "test"))
    }

    /// `waveline ARGUMENTS --server URL --token TOKEN`: the CLI against this server, as this server's user.
    func cli(_ arguments: [String], timeout: Duration = .seconds(30)) async throws -> CLIRun {
        try await runWaveline(arguments + ["--server", url] + (token.map { ["--token", $0] } ?? []), timeout: timeout)
    }
}

/// Whether a process is gone: `kill(pid, 0)` fails with ESRCH. A zombie (ended, not yet reaped by whoever
/// adopted it) is reported separately, since it no longer runs but still holds its pid.
func processState(_ pid: pid_t) -> (gone: Bool, zombie: Bool) {
    if kill(pid, 0) == -1 && errno == ESRCH { return (true, false) }
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return (false, false) }
    let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).prefix(1)
    return (false, state == "Z" || state == "X")
}

// MARK: - Running the CLI

/// One run of the `waveline` binary: how it ended and what it printed.
struct CLIRun: Sendable, CustomStringConvertible {
    var exitCode: Int32?
    var signal: Int32?
    var stdout: String
    var stderr: String

    var output: String { stdout + stderr }
    var succeeded: Bool { exitCode == 0 }
    var description: String { "exit \(exitCode.map(String.init) ?? "-") signal \(signal.map(String.init) ?? "-")\n--- stdout\n\(stdout)\n--- stderr\n\(stderr)" }
}

/// Runs `waveline arguments…` to its end, killing it after `timeout` (then `signal` is SIGKILL).
/// `input` is written to its standard input; `environment` is added to this process's.
func runWaveline(_ arguments: [String], timeout: Duration = .seconds(30), input: String = "", environment: [String: String] = [:]) async throws -> CLIRun {
    let result = try await Subprocess.run(
        .path(FilePath(Workbench.binary)), arguments: Arguments(arguments),
        environment: .inherit.updating(environment.reduce(into: [Subprocess.Environment.Key: String?]()) { $0[Subprocess.Environment.Key(stringLiteral: $1.key)] = $1.value }),
        input: .string(input), output: .sequence, error: .sequence
    ) { execution -> (String, String) in
        let pid = execution.processIdentifier.value
        let watchdog = Task {
            try await Task.sleep(for: timeout)
            kill(pid, SIGKILL)
        }
        defer { watchdog.cancel() }
        async let errorText = collect(execution.standardError)
        let outputText = await collect(execution.standardOutput)
        return (outputText, await errorText)
    }
    switch result.terminationStatus {
    case .exited(let code): return CLIRun(exitCode: code, signal: nil, stdout: result.closureResult.0, stderr: result.closureResult.1)
    case .signaled(let signal): return CLIRun(exitCode: nil, signal: signal, stdout: result.closureResult.0, stderr: result.closureResult.1)
    }
}

private func collect(_ sequence: SubprocessOutputSequence) async -> String {
    var bytes: [UInt8] = []
    do {
        for try await chunk in sequence { chunk.withUnsafeBytes { bytes.append(contentsOf: $0) } }
    } catch {}
    return String(decoding: bytes, as: UTF8.self)
}

/// Text that betrays a crash rather than a clean error message.
func looksLikeACrash(_ text: String) -> Bool {
    ["Fatal error", "Stack dump", "Current stack trace", "Illegal instruction", "Segmentation fault", "backtrace", "Swift runtime failure"]
        .contains { text.localizedCaseInsensitiveContains($0) }
}
