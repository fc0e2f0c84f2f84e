import Synchronization
import WavelineCore
import WavelineExecutors

/// An executor with no processes: each run of a step answers as the test scripted it (the lines it prints, its
/// exit code), and a held run waits, once started, until the test releases it. So engine tests decide exactly
/// when a step ends, and run on a manual time without sleeping.
///
/// A run is named by its node and its step's name (`WAVELINE_STEP`, which the engine gives every run).
/// Unscripted runs print nothing and exit 0. An abort (task cancellation) ends a held run as cancelled.
public final class ScriptedExecutor: Executor {
    /// How one run answers.
    public struct Answer: Sendable, Hashable {
        public var lines: [String]
        public var exitCode: Int32
        /// It waits, once started and its lines printed, until `release(step:node:)`.
        public var held: Bool

        public init(lines: [String] = [], exitCode: Int32 = 0, held: Bool = false) {
            self.lines = lines
            self.exitCode = exitCode
            self.held = held
        }

        public static func exits(_ code: Int32, lines: [String] = []) -> Answer { Answer(lines: lines, exitCode: code) }
        /// Waits for the test, then exits with `code`.
        public static func held(thenExits code: Int32 = 0, lines: [String] = []) -> Answer { Answer(lines: lines, exitCode: code, held: true) }
    }

    /// One run as the executor saw it.
    public struct Run: Sendable, Hashable {
        public var node: String
        public var step: String

        public init(node: String, step: String) {
            self.node = node
            self.step = step
        }
    }

    private struct Key: Hashable {
        var node: String?
        var step: String
    }

    private struct State {
        /// Answers still to give, in order, per step (and node, when scripted for one).
        var script: [Key: [Answer]] = [:]
        var started: [Run] = []
        var held: [Run: CheckedContinuation<Void, Never>] = [:]
        var startWaiters: [(run: Run, waiter: CheckedContinuation<Void, Never>)] = []
        var settlements: [String: StepSettlement] = [:]
    }
    private let state = Mutex(State())

    public init() {}

    /// The next runs of `step` (on `node`, or on any node) answer with `answers`, one per run; later runs
    /// answer with the last one.
    public func script(step: String, node: String? = nil, _ answers: Answer...) {
        state.withLock { $0.script[Key(node: node, step: step), default: []] += answers }
    }

    /// What a restarted engine learns when it asks about an interrupted run on `node` (`.notFinished` unless set).
    public func settle(node: String, as settlement: StepSettlement) {
        state.withLock { $0.settlements[node] = settlement }
    }

    /// Every run started so far, in order.
    public var started: [Run] { state.withLock { $0.started } }

    /// Returns once a run of `step` on `node` has started (its lines printed; held, if its answer holds it).
    public func untilStarted(step: String, node: String) async {
        let run = Run(node: node, step: step)
        await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
            let already = state.withLock { state -> Bool in
                if state.started.contains(run) { return true }
                state.startWaiters.append((run, waiter))
                return false
            }
            if already { waiter.resume() }
        }
    }

    /// Lets the held run of `step` on `node` end with its scripted exit code. False when none is held.
    @discardableResult
    public func release(step: String, node: String) -> Bool {
        let waiter = state.withLock { $0.held.removeValue(forKey: Run(node: node, step: step)) }
        waiter?.resume()
        return waiter != nil
    }

    public func run(
        _ command: ResolvedCommand, on node: Node, timeout: Duration, step: StepMark?,
        output: @escaping @Sendable ([OutputLine]) async -> Void
    ) async -> CommandResult {
        let run = Run(node: node.name, step: command.environment["WAVELINE_STEP"] ?? command.argv.joined(separator: " "))
        let answer = state.withLock { state -> Answer in
            for key in [Key(node: node.name, step: run.step), Key(node: nil, step: run.step)] {
                guard var answers = state.script[key], let first = answers.first else { continue }
                if answers.count > 1 {
                    answers.removeFirst()
                    state.script[key] = answers
                }
                return first
            }
            return Answer()
        }
        if !answer.lines.isEmpty {
            await output(answer.lines.map { OutputLine(stream: .stdout, text: $0, time: 0) })
        }
        if answer.held {
            let ended: Bool = await withTaskCancellationHandler {
                await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
                    let cancelled = state.withLock { state -> Bool in
                        if Task.isCancelled { return true }
                        state.held[run] = waiter
                        return false
                    }
                    if cancelled { waiter.resume() }
                    announce(run)
                }
                return !Task.isCancelled
            } onCancel: {
                state.withLock { $0.held.removeValue(forKey: run) }?.resume()
            }
            if !ended { return CommandResult(outcome: .cancelled, duration: .zero) }
        } else {
            announce(run)
        }
        return CommandResult(outcome: .exited(answer.exitCode), duration: .zero)
    }

    private func announce(_ run: Run) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.started.append(run)
            let ready = state.startWaiters.filter { $0.run == run }.map(\.waiter)
            state.startWaiters.removeAll { $0.run == run }
            return ready
        }
        for waiter in waiters { waiter.resume() }
    }

    public func settle(_ step: StepMark, on node: Node) async -> StepSettlement {
        state.withLock { $0.settlements[node.name] } ?? .notFinished
    }
}
