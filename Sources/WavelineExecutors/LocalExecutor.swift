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

/// Runs steps as processes on this machine, for nodes whose connection is `.local`: each node is a directory,
/// used as the working directory of its commands.
///
/// A command runs without a shell (its argv goes to the program as is), with a small environment (never the
/// server's secrets), in a process group of its own so that a timeout or an abort ends everything it started.
public struct LocalExecutor: Executor {
    /// Server variables a command still sees (and the `LC_*` ones); everything else it gets comes from the
    /// command itself.
    public static let inheritedVariables = ChildEnvironment.stepVariables
    /// Runs `StepWrapper` around recorded steps.
    static let shell = "/bin/sh"
    /// The `PATH` commands get when the server has none.
    public static let defaultSearchPath = "/usr/local/bin:/usr/bin:/bin"
    /// How long a process group gets between `SIGTERM` and `SIGKILL` after a timeout or an abort.
    public static let terminationGrace: Duration = .seconds(2)
    /// How long output is still read after the command's own process ended, when something it left behind
    /// (a daemon in another process group) keeps writing to the inherited stdout or stderr.
    public static let orphanOutputGrace: Duration = .seconds(1)

    /// The server's data directory, made absolute; nodes without a directory live in `<data>/nodes/<name>`.
    public let dataDirectory: String
    let baseEnvironment: [String: String]

    /// - Parameter dataDirectory: the server's data directory; a relative path is taken from the current one.
    public init(dataDirectory: String) {
        self.init(dataDirectory: dataDirectory, serverEnvironment: ChildEnvironment.server())
    }

    /// - Parameters:
    ///   - dataDirectory: the server's data directory; a relative path is taken from the current one.
    ///   - serverEnvironment: stands in for the server's environment; only `inheritedVariables` and `LC_*` are used.
    public init(dataDirectory: String, serverEnvironment: [String: String]) {
        let absoluteData = POSIX.currentDirectory().map { Self.absolute(dataDirectory, against: $0) } ?? dataDirectory
        self.dataDirectory = absoluteData
        var base = ChildEnvironment.filter(serverEnvironment, allowing: Self.inheritedVariables)
        if base["PATH"] == nil { base["PATH"] = Self.defaultSearchPath }
        self.baseEnvironment = base
    }

    /// The directory `node`'s commands run in: its own directory when absolute, else relative to the data
    /// directory; `<data>/nodes/<node name>` when it has none.
    public func workingDirectory(for node: Node) -> String {
        guard case .local(let connection) = node.connection, let directory = connection.directory, !directory.isEmpty else {
            return Self.absolute("nodes/" + node.name, against: dataDirectory)
        }
        return Self.absolute(directory, against: dataDirectory)
    }

    /// The environment `command` gets: the inherited server variables, then the command's own on top.
    public func environment(for command: ResolvedCommand) -> [String: String] {
        baseEnvironment.merging(command.environment) { _, commandValue in commandValue }
    }

    /// Runs `command` in `node`'s directory. Outcomes: `.exited` / `.signaled` as the process ended;
    /// `.timedOut` when `timeout` passed (the group got SIGTERM, then SIGKILL after `terminationGrace`);
    /// `.cancelled` when the calling task was cancelled (same ending, done by Subprocess's teardown);
    /// `.couldNotStart` when the directory cannot be made or the program is missing or not executable.
    /// With a `step`, the program runs under `StepWrapper` (`/bin/sh`), which records its exit code on the node.
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

        let directory = workingDirectory(for: node)
        if let failure = POSIX.makeDirectories(directory) {
            return result(.couldNotStart("cannot create working directory \(directory): \(POSIX.message(forErrno: failure))"))
        }

        var environment = environment(for: command)
        let program = command.argv.first ?? ""
        let executable: String
        switch Self.locateProgram(
            program, searchPath: environment["PATH"] ?? Self.defaultSearchPath, workingDirectory: directory
        ) {
        case .success(let path): executable = path
        case .failure(let notRunnable): return result(.couldNotStart(notRunnable.reason))
        }

        var launched = FilePath(executable)
        var arguments = Arguments(executablePathOverride: program, remainingValues: Array(command.argv.dropFirst()))
        if let step {
            let name = step.name(scope: scope(for: node))
            environment[StepWrapper.variable] = name
            StepWrapper.removeEarlierRuns(in: directory, scope: scope(for: node), keeping: name)
            let script = StepWrapper.script(name: name, scope: scope(for: node), command: "\"$@\"", reraise: true, tidy: false)
            launched = FilePath(Self.shell)
            arguments = Arguments(["-c", script, "waveline-step", executable] + Array(command.argv.dropFirst()))
        }
        let configuration = Configuration(
            executable: .path(launched),
            arguments: arguments,
            environment: Subprocess.Environment.custom(
                Dictionary(uniqueKeysWithValues: environment.map { (Subprocess.Environment.Key(stringLiteral: $0.key), $0.value) })
            ),
            workingDirectory: FilePath(directory),
            platformOptions: Self.platformOptions()
        )
        let control = ProcessGroupControl()

        // The process races a timer. The timer only signals (the output keeps being read while the group shuts
        // down, so its last words are kept); it is cancelled as soon as the process has ended.
        let status: Swift.Result<TerminationStatus, any Error> = await withTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    try await Task.sleep(for: Self.clamped(timeout))
                    control.timeoutExpired()
                    try await Task.sleep(for: Self.terminationGrace)
                    control.killGroup()
                } catch {
                    // Cancelled: the process ended first, or the whole run was cancelled.
                }
            }
            let status = await Self.launch(configuration, control: control, output: output)
            group.cancelAll()
            return status
        }

        if control.timedOut {
            control.killGroup()
            return result(.timedOut)
        }
        if Task.isCancelled {
            // Subprocess's teardown (SIGTERM to the group, grace, SIGKILL) ended the leader; this ends what is left.
            control.killGroup()
            return result(.cancelled)
        }
        switch status {
        case .success(.exited(let code)): return result(.exited(code))
        case .success(.signaled(let signal)): return result(.signaled(signal))
        case .failure(let error): return result(.couldNotStart("\(error)"))
        }
    }

    static func platformOptions() -> PlatformOptions {
        var options = PlatformOptions()
        // posix_spawn with POSIX_SPAWN_SETPGROUP and 0: the child calls setpgid(0, 0) and leads a new group
        // whose id is its pid; everything it starts joins that group unless it moves itself out.
        options.processGroupID = 0
        // Run by Subprocess when the calling task is cancelled (an abort): SIGTERM to the group, up to 2 s,
        // then SIGKILL to the group.
        options.teardownSequence = [.gracefulShutDown(toProcessGroup: true, allowedDurationToNextStep: terminationGrace)]
        return options
    }

    /// Starts the process and reads stdout and stderr concurrently until both end.
    static func launch(
        _ configuration: Configuration,
        control: ProcessGroupControl,
        output: @escaping @Sendable ([OutputLine]) async -> Void
    ) async -> Swift.Result<TerminationStatus, any Error> {
        await StreamingProcess.run(configuration, started: { control.started(leader: $0) }) { stream, kind, leader in
            await readLines(of: stream, as: kind, leader: leader, output: output)
        }
    }

    /// Reads one stream to its end, handing on the complete lines of each chunk as one batch.
    static func readLines(
        of stream: SubprocessOutputSequence,
        as kind: OutputLine.Stream,
        leader: pid_t,
        output: @escaping @Sendable ([OutputLine]) async -> Void
    ) async {
        var assembler = LineAssembler()
        let clock = ContinuousClock()
        var leaderEndedAt: ContinuousClock.Instant?
        var note: String?
        do {
            for try await chunk in stream {
                let time = POSIX.wallClockTime()
                let texts = chunk.withUnsafeBytes { assembler.append($0) }
                if !texts.isEmpty { await output(texts.map { OutputLine(stream: kind, text: $0.text, time: time, continues: $0.continues) }) }

                // Subprocess stops waiting for more output once the leader has ended, but data that keeps
                // coming (from an orphan outside the group) would keep this loop busy: give it a short grace.
                if let endedAt = leaderEndedAt {
                    if clock.now - endedAt > orphanOutputGrace {
                        note = "stopped reading \(kind.rawValue): the command ended but a process it left behind still writes to it"
                        break
                    }
                } else if POSIX.hasExited(leader) {
                    leaderEndedAt = clock.now
                }
            }
        } catch {
            if !Task.isCancelled { note = "reading \(kind.rawValue) failed: \(error)" }
        }
        let time = POSIX.wallClockTime()
        var last = assembler.finish().map { OutputLine(stream: kind, text: $0.text, time: time, continues: $0.continues) }
        if let note { last.append(OutputLine(stream: .system, text: note, time: time)) }
        if !last.isEmpty { await output(last) }
    }

    /// Keeps a timer's deadline representable: anything beyond a year is a year, anything negative is zero.
    static func clamped(_ timeout: Duration) -> Duration {
        min(max(timeout, .zero), .seconds(365 * 24 * 3600))
    }
}
