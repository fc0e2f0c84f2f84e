#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Crypto
import Subprocess
import Synchronization
#if canImport(System)
import System
#else
import SystemPackage
#endif
import WavelineCore

/// Runs steps on nodes whose connection is `.ssh`, with the system's OpenSSH client (so the user's
/// `~/.ssh/config`, bastions, agents and key types keep working). Arguments are arrays, never shell text; the
/// one string ssh sends to the remote shell is built by `RemoteCommand` with every element quoted.
///
/// Each node gets one master connection (`ControlMaster=auto`, a socket in a private directory under the data
/// directory, `ControlPersist`), so the steps and checks of a target run share one handshake. Nodes share a
/// master only when they would authenticate and trust the host the same way (`masterKey`): the socket is named
/// by everything in the connection but the remote directory. Host keys are
/// always verified (`StrictHostKeyChecking=yes`, or `accept-new` when the inventory opts in). A timeout or an
/// abort ends the remote command's process group (over the master), then the local ssh process. A failure of
/// ssh itself (exit 255) is classified into a sentence: refused, unreachable, authentication, host key,
/// dropped mid-command.
public struct SSHExecutor: Executor {
    /// How long an idle master connection stays open when nothing closes it sooner.
    public static let controlPersistSeconds = 60
    /// ssh's `ConnectTimeout` when the inventory gives none.
    public static let defaultConnectTimeout: Duration = .seconds(10)
    /// Between SIGTERM and SIGKILL, for the remote process group and for the local ssh process.
    public static let terminationGrace: Duration = .seconds(2)
    /// How long a control command (`-O exit`, a remote kill) may take.
    static let controlCommandTimeout: Duration = .seconds(10)

    /// What ssh gets as `ControlPath`'s directory (short enough for a unix socket path).
    public let controlDirectory: String
    /// The `ssh` program; nil when the server has no OpenSSH client.
    public let sshProgram: String?
    /// Zero: a deployment's masters are closed when it ends. More: they stay open while idle for that many
    /// seconds (ssh's `ControlPersist`), so the next deployment on those nodes skips the handshake, as Ansible's
    /// ControlPersist does; the server still closes them all when it stops.
    public let keepMastersSeconds: Int
    /// What ssh processes get as their environment: `ChildEnvironment.sshClientVariables` of the server's.
    public let clientEnvironment: [String: String]
    let masters = MasterBook()

    /// Prepares `<data>/ssh` (mode 0700) and finds `ssh` on the server's `PATH`.
    ///
    /// - Throws: when the socket directory cannot be made private.
    public init(dataDirectory: String, keepMastersSeconds: Int = 0) throws {
        let directory: String
        do { directory = try SSHControlDirectory.prepare(dataDirectory: dataDirectory) } catch {
            throw SSHExecutorError(description: error.description)
        }
        let path = POSIX.environmentValue("PATH") ?? LocalExecutor.defaultSearchPath
        let ssh = try? LocalExecutor.locateProgram("ssh", searchPath: path, workingDirectory: "/").get()
        self.init(controlDirectory: directory, sshProgram: ssh, keepMastersSeconds: keepMastersSeconds)
    }

    /// - Parameter serverEnvironment: stands in for the server's environment (nil: this process's); only
    ///   `ChildEnvironment.sshClientVariables` and `LC_*` are passed on to ssh.
    public init(controlDirectory: String, sshProgram: String?, keepMastersSeconds: Int = 0, serverEnvironment: [String: String]? = nil) {
        self.controlDirectory = controlDirectory
        self.sshProgram = sshProgram
        self.keepMastersSeconds = max(0, keepMastersSeconds)
        self.clientEnvironment = ChildEnvironment.filter(serverEnvironment ?? ChildEnvironment.server(), allowing: ChildEnvironment.sshClientVariables)
    }

    var subprocessEnvironment: Subprocess.Environment {
        .custom(Dictionary(uniqueKeysWithValues: clientEnvironment.map { (Subprocess.Environment.Key(stringLiteral: $0.key), $0.value) }))
    }

    /// The name of the master connection `connection` uses: SHA-256 (40 hex digits, what ssh's `%C` is long)
    /// of everything that decides how ssh authenticates and whom it trusts, i.e. all of the connection but the
    /// remote directory. Two nodes on one host with different keys, known_hosts, jump hosts or options get two
    /// masters, so a node never runs over a connection authenticated for another.
    public static func masterKey(_ connection: SSHConnection) -> String {
        var parts: [String] = [
            connection.host, connection.port.map(String.init) ?? "", connection.user ?? "", connection.identityFile ?? "",
            connection.jumpHost ?? "", connection.knownHostsFile ?? "", connection.acceptNewHostKey ? "accept-new" : "strict",
            connection.connectTimeout.map { String(wholeSeconds($0)) } ?? "",
        ]
        for (key, value) in connection.options.sorted(by: { $0.key.lowercased() < $1.key.lowercased() }) {
            parts += [key.lowercased(), value]
        }
        // Each part with its length first, so no two different lists give the same text.
        let text = parts.map { "\($0.utf8.count):\($0)" }.joined(separator: ",")
        let digest = SHA256.hash(data: Array(text.utf8))
        return String(digest.map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined().prefix(40))
    }

    // MARK: - Arguments

    /// ssh's options for `connection`, without the destination. `controlMaster`: `auto` for commands (the
    /// first one starts the master), `no` for control commands (use a master when there is one).
    public func options(for connection: SSHConnection, controlMaster: String = "auto") -> [String] {
        var arguments: [String] = []
        func option(_ key: String, _ value: String) { arguments += ["-o", "\(key)=\(value)"] }
        // ssh keeps the first value it gets for an option: the inventory's extra options come first, so they
        // win over Waveline's defaults below (the options Waveline must control are refused by the loader).
        for (key, value) in connection.options.sorted(by: { $0.key < $1.key }) { option(key, value) }
        option("BatchMode", "yes")
        option("StrictHostKeyChecking", connection.acceptNewHostKey ? "accept-new" : "yes")
        if let knownHosts = connection.knownHostsFile { option("UserKnownHostsFile", knownHosts) }
        option("ConnectTimeout", String(Self.wholeSeconds(connection.connectTimeout ?? Self.defaultConnectTimeout)))
        option("ControlMaster", controlMaster)
        option("ControlPath", controlDirectory + "/" + Self.masterKey(connection))
        option("ControlPersist", String(keepMastersSeconds > 0 ? keepMastersSeconds : Self.controlPersistSeconds))
        option("ServerAliveInterval", "5")
        option("ServerAliveCountMax", "3")
        if let port = connection.port { arguments += ["-p", String(port)] }
        if let user = connection.user { arguments += ["-l", user] }
        if let identity = connection.identityFile {
            arguments += ["-i", identity]
            option("IdentitiesOnly", "yes")
        }
        if let jump = connection.jumpHost { arguments += ["-J", jump] }
        // No `-n`: the command's variables arrive on stdin (see `RemoteCommand`).
        arguments += ["-T"]
        return arguments
    }

    static func wholeSeconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return max(1, seconds + (attoseconds > 0 ? 1 : 0))
    }

    static func destination(_ node: Node, _ connection: SSHConnection) -> String {
        "\(node.name) (\(connection.destination))"
    }

    // MARK: - Running a command

    /// Runs `command` on `node` over its master connection. Outcomes: `.exited`/`.signaled` as the remote
    /// command ended; `.timedOut` when `timeout` passed (remote group and local ssh ended); `.cancelled` on
    /// abort (same ending); `.connectionFailed` when ssh itself failed; `.couldNotStart` when there is no ssh
    /// or the command cannot be passed.
    public func run(
        _ command: ResolvedCommand,
        on node: Node,
        timeout: Duration,
        step: StepMark?,
        output: @escaping @Sendable ([OutputLine]) async -> Void
    ) async -> CommandResult {
        let clock = ContinuousClock()
        let start = clock.now
        func result(_ outcome: CommandResult.Outcome) -> CommandResult {
            CommandResult(outcome: outcome, duration: clock.now - start)
        }
        if Task.isCancelled { return result(.cancelled) }
        guard case .ssh(let connection) = node.connection else {
            return result(.couldNotStart("node \(node.name) is not reached over ssh"))
        }
        guard let ssh = sshProgram else {
            return result(.couldNotStart("the OpenSSH client (ssh) is not installed on the Waveline server"))
        }
        if let problem = SSHConnectionCheck.problem(in: connection) {
            return result(.couldNotStart("the connection of \(node.name) is refused before ssh runs: \(problem)"))
        }
        var command = command
        var named: (name: String, scope: String)?
        if let step {
            let scope = scope(for: node)
            named = (step.name(scope: scope), scope)
            command.environment[StepWrapper.variable] = step.name(scope: scope)
        }
        let script: RemoteCommand.Script
        switch RemoteCommand.script(for: command, directory: connection.directory, step: named) {
        case .success(let text): script = text
        case .failure(let problem): return result(.couldNotStart(problem.reason))
        }
        if masters.open(node.name, connection) && connection.acceptNewHostKey {
            await output([OutputLine(
                stream: .system,
                text: "host key checking for \(connection.destination) is accept-new (the inventory's opt-in): a key seen for the first time is trusted and recorded; a changed key is still refused",
                time: POSIX.wallClockTime())])
        }

        let destination = Self.destination(node, connection)
        let arguments = options(for: connection) + ["--", connection.host, script.command]
        let run = SSHRun()
        let configuration = Configuration(
            executable: .path(FilePath(ssh)),
            arguments: Arguments(arguments),
            environment: subprocessEnvironment,
            platformOptions: LocalExecutor.platformOptions()
        )

        let status: Swift.Result<TerminationStatus, any Error> = await withTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    try await Task.sleep(for: LocalExecutor.clamped(timeout))
                } catch {
                    return // the command ended first, or the run was cancelled
                }
                run.timeoutExpired()
                await endRemote(run, connection: connection)
                run.signalLocal(SIGTERM)
                do { try await Task.sleep(for: Self.terminationGrace) } catch { return }
                run.signalLocal(SIGKILL)
            }
            let status = await Self.launch(configuration, input: script.standardInput, run: run, output: output)
            group.cancelAll()
            return status
        }

        if run.timedOut {
            run.signalLocal(SIGKILL)
            return result(.timedOut)
        }
        if Task.isCancelled {
            // An abort: Subprocess's teardown ended the local ssh; the remote group is ended from a task that is
            // not cancelled itself, so that its own ssh can run.
            await Task { await endRemote(run, connection: connection) }.value
            run.signalLocal(SIGKILL)
            return result(.cancelled)
        }
        switch status {
        case .success(.exited(255)):
            let started = run.remoteGroup != nil
            if let reason = SSHFailure.reason(lines: run.stderrTail, destination: destination, started: started) {
                return result(.connectionFailed(reason))
            }
            // A mux client whose master died says nothing: a 255 is the command's own only if the master lives.
            if await runControl(ssh, options(for: connection, controlMaster: "no") + ["-O", "check", "--", connection.host]) != 0 {
                return result(.connectionFailed(SSHFailure.lostMaster(destination)))
            }
            return result(.exited(255))
        case .success(.exited(let code)): return result(.exited(code))
        case .success(.signaled(let signal)): return result(.signaled(signal))
        case .failure(let error): return result(.couldNotStart("cannot run ssh: \(error)"))
        }
    }

    /// Ends the remote process group, if the command had started: SIGTERM, grace, SIGKILL, in one short ssh
    /// over the master (or a fresh connection when the master is gone).
    func endRemote(_ run: SSHRun, connection: SSHConnection) async {
        guard let group = run.remoteGroup, let ssh = sshProgram else { return }
        let graceTenths = Int(Self.terminationGrace.components.seconds * 10)
        let script = RemoteCommand.killScript(pgid: group, graceTenths: graceTenths)
        _ = await runControl(ssh, options(for: connection, controlMaster: "no") + ["--", connection.host, script])
    }

    /// Starts ssh and reads stdout and stderr concurrently until both end. The marker line is taken out of
    /// stderr; the last stderr lines are kept to explain an exit 255.
    static func launch(
        _ configuration: Configuration,
        input: String,
        run: SSHRun,
        output: @escaping @Sendable ([OutputLine]) async -> Void
    ) async -> Swift.Result<TerminationStatus, any Error> {
        await StreamingProcess.run(configuration, input: input, started: { run.started(localLeader: $0) }) { stream, kind, _ in
            await readLines(of: stream, as: kind, run: run, output: output)
        }
    }

    static func readLines(
        of stream: SubprocessOutputSequence,
        as kind: OutputLine.Stream,
        run: SSHRun,
        output: @escaping @Sendable ([OutputLine]) async -> Void
    ) async {
        var assembler = LineAssembler()
        var note: String?
        func hand(_ pieces: [LineAssembler.Piece], at time: Double) async {
            var lines: [OutputLine] = []
            lines.reserveCapacity(pieces.count)
            for piece in pieces {
                let text = piece.text
                if kind == .stderr {
                    if run.remoteGroup == nil, let group = RemoteCommand.markerID(in: text) {
                        run.remoteStarted(group: group)
                        continue
                    }
                    run.noteStderr(text)
                }
                lines.append(OutputLine(stream: kind, text: text, time: time, continues: piece.continues))
            }
            if !lines.isEmpty { await output(lines) }
        }
        do {
            for try await chunk in stream {
                let time = POSIX.wallClockTime()
                let texts = chunk.withUnsafeBytes { assembler.append($0) }
                if !texts.isEmpty { await hand(texts, at: time) }
            }
        } catch {
            if !Task.isCancelled { note = "reading \(kind.rawValue) failed: \(error)" }
        }
        let time = POSIX.wallClockTime()
        await hand(assembler.finish(), at: time)
        if let note { await output([OutputLine(stream: .system, text: note, time: time)]) }
    }

    // MARK: - Control commands and masters

    /// Runs a short ssh control command, killed after `controlCommandTimeout`; its exit code, nil if it
    /// could not run or was killed.
    @discardableResult
    func runControl(_ ssh: String, _ arguments: [String]) async -> Int32? {
        let controlCommandTimeout = Self.controlCommandTimeout
        let environment = subprocessEnvironment
        let control = SSHRun()
        return await withTaskGroup(of: Int32?.self) { group in
            group.addTask {
                do { try await Task.sleep(for: controlCommandTimeout) } catch { return nil }
                control.signalLocal(SIGKILL)
                return nil
            }
            let code: Int32? = await {
                do {
                    let execution = try await Subprocess.run(
                        .path(FilePath(ssh)), arguments: Arguments(arguments), environment: environment,
                        platformOptions: LocalExecutor.platformOptions(), input: .none, output: .discarded,
                        error: .discarded
                    ) { execution in
                        control.started(localLeader: execution.processIdentifier.value)
                    }
                    if case .exited(let code) = execution.terminationStatus { return code }
                    return nil
                } catch {
                    return nil
                }
            }()
            group.cancelAll()
            return code
        }
    }

    /// Closes the master connections of `nodes` (`ssh -O exit`), a few at a time, unless masters are kept.
    public func release(nodes: [Node]) async {
        guard let ssh = sshProgram, keepMastersSeconds == 0 else { return }
        let open = nodes.compactMap { node -> SSHConnection? in
            guard case .ssh(let connection) = node.connection, SSHConnectionCheck.problem(in: connection) == nil,
                  masters.close(node.name, connection) else { return nil }
            return connection
        }
        await Self.forEach(open, atMost: 16) { connection in
            await runControl(ssh, options(for: connection, controlMaster: "no") + ["-O", "exit", "--", connection.host])
        }
    }

    /// Closes every master whose socket is in the control directory, this server's or a crashed one's.
    public func shutdown() async {
        masters.closeAll()
        guard let ssh = sshProgram else { return }
        await Self.forEach(SSHControlDirectory.sockets(in: controlDirectory), atMost: 16) { socket in
            await runControl(ssh, ["-o", "ControlPath=\(socket)", "-O", "exit", "--", "waveline-master"])
        }
    }

    static func forEach<T: Sendable>(_ items: [T], atMost width: Int, _ body: @escaping @Sendable (T) async -> Void) async {
        await withTaskGroup(of: Void.self) { group in
            var pending = items.makeIterator()
            for _ in 0..<width {
                guard let item = pending.next() else { break }
                group.addTask { await body(item) }
            }
            while await group.next() != nil {
                if let item = pending.next() { group.addTask { await body(item) } }
            }
        }
    }
}

public struct SSHExecutorError: Error, CustomStringConvertible {
    public var description: String
}

/// The nodes this executor may hold a master connection for. Nodes with the same connection but for their
/// directory (two instances on one machine, same key) share one master, named by `SSHExecutor.masterKey`: it is
/// closed when the last of them lets go, not under a deployment still running on another.
final class MasterBook: Sendable {
    /// Master key → the nodes using that master since their last release.
    private let users = Mutex<[String: Set<String>]>([:])

    static func destination(_ connection: SSHConnection) -> String { SSHExecutor.masterKey(connection) }

    /// Notes a command for `node`; true when no master was known for it (first command since a release).
    func open(_ node: String, _ connection: SSHConnection) -> Bool {
        users.withLock { $0[Self.destination(connection), default: []].insert(node).inserted }
    }

    /// Forgets `node`; true when its master should close: it was known, and no other node uses it.
    func close(_ node: String, _ connection: SSHConnection) -> Bool {
        let destination = Self.destination(connection)
        return users.withLock { users in
            guard users[destination]?.remove(node) != nil else { return false }
            guard users[destination]?.isEmpty == true else { return false }
            users[destination] = nil
            return true
        }
    }

    func closeAll() { users.withLock { $0.removeAll() } }
}

/// What one command's run knows, shared by the output readers and the timeout task.
final class SSHRun: Sendable {
    private struct State {
        var localLeader: pid_t?
        var remoteGroup: Int32?
        var timedOut = false
        var stderrTail: [String] = []
    }

    private let state = Mutex(State())
    /// stderr lines kept to explain an exit 255.
    static let tailLength = 40

    func started(localLeader: pid_t) {
        let timedOut = state.withLock { state in
            state.localLeader = localLeader
            return state.timedOut
        }
        if timedOut { POSIX.signalGroup(localLeader, SIGTERM) }
    }

    func remoteStarted(group: Int32) { state.withLock { $0.remoteGroup = group } }

    func noteStderr(_ line: String) {
        state.withLock { state in
            state.stderrTail.append(line)
            if state.stderrTail.count > Self.tailLength { state.stderrTail.removeFirst() }
        }
    }

    func timeoutExpired() { state.withLock { $0.timedOut = true } }

    /// Signals the local ssh process's group (ssh leads its own).
    func signalLocal(_ signal: Int32) {
        if let leader = state.withLock({ $0.localLeader }) { POSIX.signalGroup(leader, signal) }
    }

    var timedOut: Bool { state.withLock { $0.timedOut } }
    var remoteGroup: Int32? { state.withLock { $0.remoteGroup } }
    var stderrTail: [String] { state.withLock { $0.stderrTail } }
}
