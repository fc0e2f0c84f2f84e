import Foundation
import Subprocess
import SystemPackage
import Testing
import WavelineAPI
import WavelineCore
import WavelineServer
import WavelineStore

// Shared helpers of the operator, busy-node, parameter, CLI and HTTP end-to-end suites.

/// An inventory of `count` local nodes n1…nN in one cluster and one zone, so a single batch holds them all and
/// the order they run in is the inventory order.
func oneZoneInventory(nodes count: Int, cluster: String = "app-test") -> String {
    var text = """
        environments:
          - {name: test}
        products:
          - {name: app, owner: team}
        clusters:
          - name: \(cluster)
            product: app
            environment: test
            zones: [a]
            nodes:

        """
    for index in 1...count { text += "      - {name: n\(index), zone: a}\n" }
    return text
}

/// A one-phase strategy: every node in one batch, `parallelism` at a time.
func singlePhaseStrategy(_ name: String, parallelism: Int, failureBudget: String = "0") -> String {
    "name: \(name)\nfailure_budget: \(failureBudget)\nphases:\n  - {name: all, size: rest, batch_size: 100%, parallelism: \(parallelism)}\n"
}

extension Workbench {
    /// Puts an empty `file` in each node's folder (made if the node has not run yet): the release of a step that
    /// waits for it, so a test decides when a step ends instead of guessing with a sleep.
    func release(_ file: String = "go", on nodes: [String]) throws {
        for node in nodes {
            try FileManager.default.createDirectory(atPath: nodeDirectory(node), withIntermediateDirectories: true)
            guard FileManager.default.createFile(atPath: nodeDirectory(node) + "/" + file, contents: Data()) else {
                throw HarnessError("cannot put \(file) in \(nodeDirectory(node))")
            }
        }
    }

    /// The lines of a node's `journal` file (steps append to it), empty when there is none.
    func journal(_ node: String) -> [String] {
        (read(node, "journal") ?? "").split(separator: "\n").map(String.init)
    }

    /// Creates a file in a node's directory (made if missing), optionally executable.
    func write(_ node: String, _ file: String, _ text: String, executable: Bool = false) throws {
        try FileManager.default.createDirectory(atPath: nodeDirectory(node), withIntermediateDirectories: true)
        let path = nodeDirectory(node) + "/" + file
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        if executable { try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path) }
    }
}

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

extension DeploymentDetail {
    func target(_ node: String, kind: TargetKind = .deploy) -> TargetView? {
        targets.last { $0.node == node && $0.kind == kind }
    }

    /// Nodes that have started at least once (running or beyond).
    var startedNodes: Set<String> {
        Set(targets.filter { $0.kind == .deploy && $0.status != .pending }.map(\.node))
    }
}

/// Polls `condition` every 50 ms until it holds or `timeout` passes; returns whether it held.
func eventually(timeout: Duration = .seconds(5), _ condition: () async throws -> Bool) async rethrows -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while true {
        if try await condition() { return true }
        if clock.now > deadline { return false }
        try? await Task.sleep(for: .milliseconds(50))
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
