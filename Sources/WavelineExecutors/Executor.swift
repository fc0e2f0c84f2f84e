import WavelineCore

/// Does the work on nodes. One implementation per kind of connection; the engine sees only this protocol.
public protocol Executor: Sendable {
    /// Runs `command` on `node` and waits for it to end. Output lines are handed to `output` as they come,
    /// in order per stream; the stream is not read further until `output` returns, so a slow consumer slows
    /// the command down (pipe back-pressure) instead of buffering without end. Never throws for what the command did: a non-zero exit, a signal, a timeout or a
    /// failure to start are outcomes. Task cancellation (an abort) ends the command and everything it started.
    ///
    /// `step`, when given, names this run of a step so that a restarted server can find it on the node
    /// (`settle`): the command's processes carry it in their environment, and its exit code is written on the
    /// node, beside its work, before it ends.
    func run(
        _ command: ResolvedCommand,
        on node: Node,
        timeout: Duration,
        step: StepMark?,
        output: @escaping @Sendable ([OutputLine]) async -> Void
    ) async -> CommandResult

    /// After a crash: ends whatever still runs of `step` on `node` (the killed server's copy of it), then says
    /// whether it had run to its end, from the exit code it left on the node. Nothing of it runs once this
    /// returns `.finished` or `.notFinished`.
    func settle(_ step: StepMark, on node: Node) async -> StepSettlement

    /// The engine is done with `nodes` for now (a deployment ended): let go of what is kept per node, such as
    /// a shared connection. A later `run` on one of them sets it up again.
    func release(nodes: [Node]) async

    /// The server is stopping: close everything still held open. Runs after every command has ended.
    func shutdown() async
}

extension Executor {
    public func release(nodes: [Node]) async {}
    public func shutdown() async {}

    /// Runs a command that is not a recorded step (nothing to find after a crash).
    public func run(
        _ command: ResolvedCommand, on node: Node, timeout: Duration, output: @escaping @Sendable ([OutputLine]) -> Void
    ) async -> CommandResult {
        await run(command, on: node, timeout: timeout, step: nil, output: output)
    }
}

/// Names one run of one step on one node: the deployment, the node's run in it, the stage and index of the
/// step, and the attempt. All of it is in the store before the command starts, so a restarted server can name
/// the run again without anything more recorded.
public struct StepMark: Sendable, Hashable {
    public var deployment: Int64
    public var target: Int
    public var stage: String
    public var index: Int
    public var attempt: Int

    public init(deployment: Int64, target: Int, stage: String, index: Int, attempt: Int) {
        self.deployment = deployment
        self.target = target
        self.stage = stage
        self.index = index
        self.attempt = attempt
    }

    /// `<scope>-d<deployment>-t<target>-<stage>-<index>-a<attempt>`: the file names under
    /// `<node dir>/.waveline/steps/` and the value of `WAVELINE_STEP_RUN` in the step's processes. `scope`
    /// (16 hex digits of SHA-256 of the server's data directory and the node's name) keeps two servers, or two
    /// nodes sharing a directory, from ever taking each other's runs.
    public func name(scope: String) -> String {
        let stageWord = !stage.isEmpty && stage.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || $0 == "_" } ? stage : "x"
        return "\(scope)-d\(deployment)-t\(target)-\(stageWord)-\(index)-a\(attempt)"
    }
}

/// What a restarted server learns about a step that was running when the last one died.
public enum StepSettlement: Sendable, Hashable {
    /// It ran to its end: the exit code it wrote on the node.
    case finished(exitCode: Int32)
    /// It did not run to its end (killed, or never started); nothing of it runs any more.
    case notFinished
    /// The node could not be asked: whether it still runs is unknown (the sentence says why).
    case unknown(String)
}

public struct OutputLine: Sendable, Hashable {
    /// One enum for the stream of a line, from the process to the store (`LogLineRecord.stream`).
    public typealias Stream = LogStream

    public var stream: Stream
    public var text: String
    /// Seconds since 1970, when the line was read.
    public var time: Double
    /// The line was longer than a piece (`LineAssembler.defaultMaxLineBytes`) and goes on in the next line of
    /// the same stream: whoever scans lines for a value (the secret masker) joins the cut.
    public var continues: Bool

    public init(stream: Stream, text: String, time: Double, continues: Bool = false) {
        self.stream = stream
        self.text = text
        self.time = time
        self.continues = continues
    }
}

public struct CommandResult: Sendable, Hashable {
    public enum Outcome: Sendable, Hashable {
        case exited(Int32)
        case signaled(Int32)
        /// Ran past its timeout; its whole process group was ended.
        case timedOut
        /// Ended because the run was cancelled (abort or shutdown).
        case cancelled
        /// Never ran: the program is missing, the node's directory cannot be made, the host is unreachable…
        case couldNotStart(String)
        /// The node could not be reached, or the connection to it broke while the command ran: the sentence
        /// says which (refused, unreachable, authentication, host key, dropped).
        case connectionFailed(String)
    }

    public var outcome: Outcome
    public var duration: Duration

    public init(outcome: Outcome, duration: Duration) {
        self.outcome = outcome
        self.duration = duration
    }

    public var succeeded: Bool { outcome == .exited(0) }

    /// The exit code when there is one, for records and display.
    public var exitCode: Int32? {
        if case .exited(let code) = outcome { return code }
        return nil
    }

    /// A sentence for `status`: why the command did not succeed.
    public var reason: String {
        switch outcome {
        case .exited(let code): return code == 0 ? "succeeded" : "exited with code \(code)"
        case .signaled(let signal): return "killed by signal \(signal)"
        case .timedOut: return "timed out after \(duration.components.seconds)s; its process group was ended"
        case .cancelled: return "cancelled"
        case .couldNotStart(let why): return "could not start: \(why)"
        case .connectionFailed(let why): return why
        }
    }
}
