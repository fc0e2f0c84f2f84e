import Logging
import WavelineCore
import WavelineExecutors
import WavelineStore

/// The durable runner. Creates deployments, holds which node is busy with which deployment, runs one driver
/// per unfinished deployment, and on start resumes whatever the last process left unfinished.
///
/// It only sequences: the rules (who may do what now, and what it changes) are decided in Core
/// (`DeploymentAdmission`, `DeploymentApproval`, `ParkedCommandRules`, `DriverCommandRules`, `NodeClaims`,
/// `DeploymentQueue`, `InterruptedRuns`); the engine reads what they need, decides with them, stores the
/// outcome, then acts on it.
///
/// `run()` is the long-lived part (a service): drivers run as children of it and end with it.
public actor Engine {
    /// What the engine writes through (masking secrets); readers read the store itself, never through here.
    nonisolated let store: any DeploymentStore
    public nonisolated let feed: LiveFeed
    /// Hides every known secret value in a text: for messages that are answered rather than stored.
    public nonisolated let masker: SecretMasker
    /// Deployments paused because the store refuses their writes, while it still does.
    public nonisolated let storeRefusals = StoreRefusals()
    public private(set) var workspace: Workspace
    let context: DriverContext
    let vault: SecretVault
    /// Where "now" comes from: for what is stored, and for decisions on time (approval expiry).
    let time: any TimeSource
    let logger: Logger
    /// How long a deployment approval stays valid while the deployment waits to start (queued behind busy
    /// nodes); an older one is void and the deployment waits for approval again.
    public let approvalValidity: Double

    /// Where the engine is in its life.
    enum State: Hashable, Sendable {
        /// Resuming what the last process left: new ids and busy nodes are not known yet, so creating or acting
        /// waits for it to end.
        case recovering
        case running
        /// `shutdown()` was called: no new driver runs; `run()` returns once the running ones have stopped.
        case stopping
    }
    private(set) var state: State = .recovering
    /// Whoever waits for the engine to leave a state (the end of recovery).
    private var stateWaiters = WaitingRoom<State>()

    /// A deployment's running driver: where its commands go, and which launch of this engine it is, so that a
    /// command can tell the driver it asked from a newer one.
    struct RunningDriver {
        var inbox: AsyncStream<DriverEvent>.Continuation
        var launch: Int
    }
    var drivers: [Int64: RunningDriver] = [:]
    var driversLaunched = 0
    /// Commands waiting for a deployment's current driver to be gone.
    var driverEndWaiters = WaitingRoom<Int64>()
    var turns = DeploymentTurns()
    var turnWaiters = WaitingRoom<Int64>()
    var claims = NodeClaims()
    var queue = DeploymentQueue()
    var nextDeploymentID: Int64 = 1
    let launches: AsyncStream<Launch>
    let launchInbox: AsyncStream<Launch>.Continuation

    struct Launch: Sendable {
        var driver: DeploymentDriver
        var events: AsyncStream<DriverEvent>
        var inbox: AsyncStream<DriverEvent>.Continuation
    }

    /// `feedBufferLimit`: updates a live viewer may fall behind by before its stream is ended (it then resumes
    /// from its cursor through the store). `time` and `secrets` default to the machine's clock and the server
    /// process's environment and files; tests pass a manual time and values of their own.
    public init(
        store: any DeploymentStore, workspace: Workspace, executors: ExecutorRegistry,
        logger: Logger = Logger(label: "waveline.engine"), feedBufferLimit: Int = 4096,
        approvalValidity: Double = 24 * 3600, masker: SecretMasker = SecretMasker(),
        parameterSeal: ParameterSeal = .ephemeral(), time: any TimeSource = SystemTime(),
        secrets: any SecretSource = ProcessSecretSource()
    ) async throws {
        self.time = time
        self.approvalValidity = approvalValidity
        // Secret values are learnt now (the whole inventory's) and masked in everything stored from here on.
        self.masker = masker
        let vault = SecretVault(source: secrets, masker: masker)
        vault.learn(workspace)
        self.vault = vault
        let store = MaskingStore(base: store, masker: masker)
        self.store = store
        self.workspace = workspace
        self.logger = logger
        let feed = LiveFeed(bufferLimit: feedBufferLimit)
        self.feed = feed
        let logs = try await LogPipeline(store: store, feed: feed, masker: masker)
        self.context = DriverContext(
            store: store, logs: logs, feed: feed, executors: executors, logger: logger, vault: vault,
            seal: parameterSeal, masker: masker, storeRefusals: storeRefusals, time: time
        )
        (launches, launchInbox) = AsyncStream<Launch>.makeStream()
    }

    /// Resumes unfinished deployments, then runs drivers until cancelled.
    public func run() async throws {
        do {
            try await recover()
        } catch {
            enter(.running)
            throw error
        }
        enter(.running)
        await withDiscardingTaskGroup { group in
            for await launch in launches {
                let id = launch.driver.deployment.id
                group.addTask {
                    var driver = launch.driver
                    await driver.run(events: launch.events, inbox: launch.inbox)
                    await self.driverEnded(id)
                }
            }
        }
        enter(.stopping)
    }

    /// Stops accepting new drivers; `run()` returns once running drivers have stopped.
    public func shutdown() {
        // While recovering, creating and acting still wait for recovery's end (then `run()` finds no more
        // launches and stops).
        if state == .running { enter(.stopping) }
        launchInbox.finish()
    }

    public func replaceWorkspace(_ workspace: Workspace) {
        vault.learn(workspace)
        self.workspace = workspace
    }

    private func enter(_ next: State) {
        guard state != next, state != .stopping else { return }
        let left = state
        state = next
        stateWaiters.wake(left)
    }

    /// Creating and acting wait until recovery has resumed what the last process left.
    func untilRecovered() async {
        guard state == .recovering else { return }
        await withCheckedContinuation { stateWaiters.add($0, for: .recovering) }
    }

    // MARK: - Operator actions

    /// The origin recorded for a person's action when the caller did not say where it came from.
    public static let unknownOrigin = "unknown"

    public func perform(
        _ action: OperatorAction, on id: Int64, nodes: [String] = [], actor: String, reason: String? = nil, origin: String? = nil
    ) async throws(EngineError) {
        await untilRecovered()
        let command = OperatorCommand(action: action, nodes: nodes, actor: actor, reason: reason, origin: origin)
        // A command that reaches the driver as it ends (a rollback asked as the last node succeeds) is tried
        // once more when that driver is gone, against the deployment as stored: as if asked a moment later.
        for attempt in 1...2 {
            if drivers[id] == nil {
                await takeTurn(on: id)
                let reopening: Reopening
                do {
                    // The turn before may have started a driver.
                    reopening = drivers[id] == nil ? try await reopenIfNeeded(id, for: command) : .driverStarted
                } catch {
                    await endTurn(on: id)
                    throw error
                }
                await endTurn(on: id)
                if reopening == .done { return }
            }
            guard let driver = drivers[id] else {
                throw EngineError(.internalFailure, "deployment #\(id) has no driver")
            }
            let result: Result<Void, EngineError> = await withCheckedContinuation { reply in
                if case .terminated = driver.inbox.yield(.command(command, reply: reply)) {
                    reply.resume(returning: .failure(.unhandledAtEnd(of: id)))
                }
            }
            guard case .failure(let error) = result, error.unhandledAtEnd, attempt == 1 else { return try result.get() }
            await untilDriverEnds(id, launch: driver.launch)
        }
    }
}

extension Engine {
    /// Node name → the unfinished deployment holding it.
    public func busyNodes() -> [String: Int64] { claims.holders }

    /// Whether a deployment's driver still runs. Its final state is stored before it ends: until then, lines
    /// of steps that were ended (an abort) may still come.
    public func isDriving(_ id: Int64) -> Bool { drivers[id] != nil }
}

func unique(_ values: [String]) -> [String] {
    var seen = Set<String>()
    return values.filter { seen.insert($0).inserted }
}
