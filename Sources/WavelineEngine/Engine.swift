import Logging
import WavelineCore
import WavelineExecutors
import WavelineStore

/// The durable runner. Creates deployments, holds which node is busy with which deployment, runs one driver
/// per unfinished deployment, and on start resumes whatever the last process left unfinished.
///
/// `run()` is the long-lived part (a service): drivers run as children of it and end with it.
public actor Engine {
    public nonisolated let store: any DeploymentStore
    public nonisolated let feed: LiveFeed
    /// Hides every known secret value in a text: for messages that are answered rather than stored.
    public nonisolated let masker: SecretMasker
    /// Deployments paused because the store refuses their writes, while it still does.
    public nonisolated let storeRefusals = StoreRefusals()
    public private(set) var workspace: Workspace
    private let context: DriverContext
    private let vault: SecretVault
    /// Where "now" comes from: for what is stored, and for decisions on time (approval expiry).
    private let time: any TimeSource
    private let logger: Logger
    /// A deployment's running driver: where its commands go, and which launch of this engine it is, so that a
    /// command can tell the driver it asked from a newer one.
    private struct RunningDriver {
        var inbox: AsyncStream<DriverEvent>.Continuation
        var launch: Int
    }
    private var drivers: [Int64: RunningDriver] = [:]
    private var driversLaunched = 0
    /// Commands waiting for a deployment's current driver to be gone.
    private var driverEndWaiters: [Int64: [CheckedContinuation<Void, Never>]] = [:]
    /// Deployments a command is being carried out on without a driver (an approval, an abort while queued, a
    /// rollback reopening a finished one), or that the queue is starting: each reads the stored deployment,
    /// decides and stores. Whoever else comes for the same deployment waits its turn rather than deciding on
    /// the same read (two approvals clicked at once started it twice).
    private var turns: [Int64: [CheckedContinuation<Void, Never>]] = [:]
    /// Node name → the unfinished deployment that holds it. A node is in at most one at a time.
    fileprivate var claims: [String: Int64] = [:]
    private var queued: [Int64] = []
    private var nextDeploymentID: Int64 = 1
    /// Until `run()` has resumed what the last process left, new ids and busy nodes are not known yet:
    /// creating or acting waits for it.
    private var recovered = false
    private var waitingForRecovery: [CheckedContinuation<Void, Never>] = []
    /// How long a deployment approval stays valid while the deployment waits to start (queued behind busy
    /// nodes); an older one is void and the deployment waits for approval again.
    public let approvalValidity: Double
    private let launches: AsyncStream<Launch>
    private let launchInbox: AsyncStream<Launch>.Continuation

    private struct Launch: Sendable {
        var driver: DeploymentDriver
        var events: AsyncStream<DriverEvent>
        var inbox: AsyncStream<DriverEvent>.Continuation
    }

    /// `feedBufferLimit`: updates a live viewer may fall behind by before its stream is ended (it then resumes
    /// from its cursor through the store).
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
            recoveryFinished()
            throw error
        }
        recoveryFinished()
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
    }

    /// Stops accepting new drivers; `run()` returns once running drivers have stopped.
    public func shutdown() { launchInbox.finish() }

    public func replaceWorkspace(_ workspace: Workspace) {
        vault.learn(workspace)
        self.workspace = workspace
    }

    // MARK: - Creating deployments

    /// Where a request would act and the role its operation requires: what access control checks before
    /// anything is stored. Every environment/product pair of the selected nodes' clusters.
    public func requiredAccess(for request: DeploymentRequest) throws(EngineError) -> RequiredAccess {
        let operation = try workspace.operation(named: request.operation)
        let selected: [Node]
        do {
            selected = try workspace.inventory.select(request.selection)
        } catch {
            throw EngineError(.invalidRequest, error.description)
        }
        var places: [RequiredAccess.Place] = []
        for clusterName in unique(selected.map(\.cluster)) {
            guard let cluster = workspace.inventory.cluster(named: clusterName) else { continue }
            let place = RequiredAccess.Place(environment: cluster.environment, product: cluster.product)
            if !places.contains(place) { places.append(place) }
        }
        // The catalog loader accepts only known roles; an unknown one would need the highest.
        return RequiredAccess(places: places, requiredRole: Role(rawValue: operation.role) ?? .admin)
    }

    /// Checks the values off the actor: however long a check takes (bounded by `ValuePattern` and the value
    /// limit), other requests to the engine are not held up by it.
    private nonisolated static func checkedParameters(
        _ given: [String: String], for operation: WavelineCore.Operation
    ) async throws(EngineError) -> [String: String] {
        do {
            return try ParameterValues.resolve(given, for: operation)
        } catch {
            let messages = (error as? DiagnosticsError)?.diagnostics.map(\.message) ?? ["\(error)"]
            throw EngineError(.invalidRequest, messages.joined(separator: "; "))
        }
    }

    public func create(_ request: DeploymentRequest) async throws(EngineError) -> DeploymentRecord {
        await untilRecovered()
        guard !request.reason.isBlank else {
            throw EngineError(.invalidRequest, "a reason is required: say why this change is made (--reason)")
        }
        guard !request.requestedBy.isBlank else {
            throw EngineError(.invalidRequest, "the requester is missing")
        }
        let operation = try workspace.operation(named: request.operation)
        let strategy = try workspace.strategy(named: request.strategy)
        let parameters = try await Self.checkedParameters(request.parameters, for: operation)
        for parameter in operation.parameters where parameter.sensitive {
            if let value = parameters[parameter.name], value.count < SecretReference.minimumLength {
                throw EngineError(.invalidRequest, "parameter '\(parameter.name)' is sensitive: its value must have at least \(SecretReference.minimumLength) characters, or it could not be masked in logs")
            }
        }
        // Sensitive values, and values equal to a secret, are stored sealed and shown as `********`.
        let hiddenParameters = HiddenParameters(parameters, of: operation, masker: masker)
        let selected: [Node]
        do {
            selected = try workspace.inventory.select(request.selection).map { node in
                var node = node
                node.variables = workspace.variables(for: node)
                node.secrets = workspace.secrets(for: node)
                return node
            }
        } catch {
            throw EngineError(.invalidRequest, error.description)
        }

        // Four-eyes: a deployment touching a protected environment needs a ticket, and waits for a second
        // person's approval before it claims any node (busy nodes are checked when it is approved).
        let protectedEnvironments = unique(selected.compactMap { workspace.inventory.cluster(named: $0.cluster)?.environment })
            .filter { workspace.inventory.environment(named: $0)?.protected == true }
        let needsApproval = !protectedEnvironments.isEmpty
        if needsApproval && (request.ticket ?? "").isBlank {
            throw EngineError(.invalidRequest, "a ticket is required: this deployment touches the protected environment(s) \(protectedEnvironments.joined(separator: ", ")) (--ticket)")
        }
        if !needsApproval { await untilEndingHoldersLetGo(of: selected.map(\.name)) }
        // From here to the claim nothing suspends: two requests for one node cannot both find it free.
        let busy = needsApproval ? [] : selected.compactMap { node in claims[node.name].map { (node.name, $0) } }
        if !busy.isEmpty && !request.queue {
            let names = busy.prefix(5).map { "\($0.0) (deployment #\($0.1))" }.joined(separator: ", ")
            let more = busy.count > 5 ? " and \(busy.count - 5) more" : ""
            throw EngineError(.conflict, "node \(names)\(more) is busy in another unfinished deployment; wait for it to finish, or queue this one (--queue)")
        }

        let plan = Planner.plan(nodes: selected, in: workspace.inventory, strategy: strategy)
        let now = time.now()
        let id = nextDeploymentID
        nextDeploymentID += 1
        let status: DeploymentStatus = needsApproval ? .pendingApproval : busy.isEmpty ? .running : .queued
        let state = DeploymentState(plan: plan, status: status)
        var deployment = DeploymentRecord(
            id: id, operation: operation.withNamesMasked(by: masker), strategy: strategy.name,
            parameters: hiddenParameters.shown, selection: request.selection,
            environments: unique(plan.targets.map(\.environment)), products: unique(plan.targets.map(\.product)),
            requestedBy: request.requestedBy, reason: request.reason, ticket: request.ticket, status: status,
            failureBudget: plan.failureBudget, targetCount: plan.targets.count, createdAt: now
        )
        if !hiddenParameters.hidden.isEmpty {
            do {
                deployment.sealedParameters = try context.seal.seal(hiddenParameters.hidden, deployment: id)
            } catch {
                throw EngineError(.internalFailure, "could not seal the sensitive parameters: \(error)")
            }
        }
        if !busy.isEmpty { deployment.statusReason = "queued behind deployment #\(busy[0].1), which holds \(busy[0].0)" }
        if needsApproval {
            deployment.protectedEnvironments = protectedEnvironments.joined(separator: ",")
            deployment.statusReason = Self.awaitingApproval(requester: request.requestedBy, protected: protectedEnvironments)
        }
        let phases = state.phases.enumerated().map { PhaseRecord(deploymentId: id, index: $0.offset, state: $0.element) }
        let targets = plan.targets.enumerated().map { TargetRecord(deploymentId: id, index: $0.offset, target: $0.element) }
        var changes: [StoreChange] = [.saveDeployment(deployment)]
        changes += phases.map(StoreChange.savePhase)
        changes += targets.map(StoreChange.saveTarget)
        // The requester's reason ends the message: the store masks the server's part and keeps the caller's.
        var summary = "\(request.requestedBy) asked for \(operation.name) on \(targets.count) node(s) (\(request.selection.summary)) with \(strategy.name)"
        if needsApproval { summary += " (\(deployment.statusReason ?? ""))" }
        summary += ": \(request.reason)"
        changes.append(.appendEvent(EventRecord(
            deploymentId: id, time: now, actor: request.requestedBy, kind: "deployment.created", message: summary,
            origin: request.origin ?? Self.unknownOrigin, reason: request.reason, ticket: request.ticket
        )))
        let claimsNow = !needsApproval && busy.isEmpty
        if claimsNow { claim(targets, for: id) }
        do {
            try await store.write(changes)
        } catch {
            if claimsNow { release(id); await startQueued() }
            throw EngineError(.internalFailure, "could not store the deployment: \(error)")
        }
        if needsApproval {
            // Holds nothing until approved.
        } else if claimsNow {
            await launch(DeploymentDriverSeed(deployment: deployment, phases: phases, targets: targets))
        } else {
            queued.append(id)
            // The holder may have ended while this was being stored, before the id was in the queue.
            await startQueued()
        }
        feed.publish(.deploymentChanged(id), deploymentID: id)
        return deployment
    }

    static func awaitingApproval(requester: String, protected: [String]) -> String {
        "waiting for approval by someone other than \(requester): \(protected.joined(separator: ", ")) is protected (waveline approve)"
    }

    // MARK: - Four-eyes approval

    /// A second person lets a deployment to a protected environment start. Its nodes are claimed now: if one
    /// is busy, the deployment queues (the approval stays valid for `approvalValidity` while it waits).
    private func approveDeployment(_ deployment: DeploymentRecord, targets: [TargetRecord], by command: OperatorCommand) async throws(EngineError) {
        let id = deployment.id
        let protected = deployment.protectedEnvironmentList.joined(separator: ", ")
        guard command.actor != deployment.requestedBy else {
            throw EngineError(.conflict, "cannot approve deployment #\(id): \(command.actor) requested it, and a change to the protected environment \(protected) needs a second person's approval (four-eyes)")
        }
        let now = time.now()
        var approved = deployment
        approved.approvedBy = command.actor
        approved.approvedAt = now
        approved.updatedAt = now
        // Read before any node is claimed: a failed read then leaves nothing held.
        let phases: [PhaseRecord]
        do {
            phases = try await store.phases(of: id)
        } catch {
            throw EngineError(.internalFailure, "could not read deployment #\(id)'s phases: \(error)")
        }
        await untilEndingHoldersLetGo(of: targets.map(\.node))
        let busy = targets.first { claims[$0.node] != nil }
        if let busy {
            approved.status = .queued
            approved.statusReason = "approved by \(command.actor); queued behind deployment #\(claims[busy.node] ?? 0), which holds \(busy.node)"
        } else {
            approved.status = .running
            approved.statusReason = nil
        }
        if busy == nil { claim(targets, for: id) }
        var message = "\(command.actor) approved the deployment requested by \(deployment.requestedBy) (protected: \(protected))"
        if let reason = command.reason { message += ": \(reason)" }
        do {
            try await store.write([
                .saveDeployment(approved),
                .appendEvent(EventRecord(
                    deploymentId: id, time: now, actor: command.actor, kind: "action.approve", message: message,
                    origin: command.origin ?? Self.unknownOrigin, reason: command.reason, ticket: deployment.ticket
                )),
            ])
        } catch {
            if busy == nil { release(id); await startQueued() }
            throw EngineError(.internalFailure, "could not store the approval: \(error)")
        }
        if busy != nil {
            queued.append(id)
        } else {
            await launch(DeploymentDriverSeed(deployment: approved, phases: phases, targets: targets))
        }
        feed.publish(.deploymentChanged(id), deploymentID: id)
    }

    /// An approval older than `approvalValidity` is void: the deployment waits for approval again.
    private func approvalExpired(_ deployment: DeploymentRecord) -> Bool {
        guard !deployment.protectedEnvironmentList.isEmpty else { return false }
        guard let approvedAt = deployment.approvedAt else { return true }
        return time.now() - approvedAt > approvalValidity
    }

    private func voidApproval(_ deployment: DeploymentRecord) async throws {
        var waiting = deployment
        let approver = deployment.approvedBy ?? "?"
        waiting.status = .pendingApproval
        waiting.approvedBy = nil
        waiting.approvedAt = nil
        waiting.updatedAt = time.now()
        waiting.statusReason = "the approval by \(approver) expired (older than \(Self.duration(approvalValidity))) before the deployment could start; "
            + Self.awaitingApproval(requester: deployment.requestedBy, protected: deployment.protectedEnvironmentList)
        try await store.write([
            .saveDeployment(waiting),
            .appendEvent(EventRecord(deploymentId: deployment.id, time: time.now(), actor: "waveline", kind: "deployment.approval_expired", message: waiting.statusReason ?? "approval expired", ticket: deployment.ticket)),
        ])
        feed.publish(.deploymentChanged(deployment.id), deploymentID: deployment.id)
    }

    static func duration(_ seconds: Double) -> String {
        if seconds >= 3600, seconds.truncatingRemainder(dividingBy: 3600) == 0 { return "\(Int(seconds / 3600)) h" }
        if seconds >= 60, seconds.truncatingRemainder(dividingBy: 60) == 0 { return "\(Int(seconds / 60)) min" }
        return "\(Int(seconds)) s"
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

    /// Waits until launch `launch` of the deployment's driver is gone; at once if it already is (a newer
    /// driver is never waited on).
    private func untilDriverEnds(_ id: Int64, launch: Int) async {
        guard drivers[id]?.launch == launch else { return }
        await withCheckedContinuation { driverEndWaiters[id, default: []].append($0) }
    }

    /// A deployment with no driver is finished or queued. Only a rollback brings a finished one back, and only
    /// an abort touches a queued one.
    private enum Reopening { case done, driverStarted }

    private func reopenIfNeeded(_ id: Int64, for command: OperatorCommand) async throws(EngineError) -> Reopening {
        let deployment: DeploymentRecord
        let phases: [PhaseRecord]
        let targets: [TargetRecord]
        do {
            guard let found = try await store.deployment(id) else {
                throw EngineError(.notFound, "no deployment #\(id)")
            }
            deployment = found
            phases = try await store.phases(of: id)
            targets = try await store.targets(of: id)
        } catch let error as EngineError {
            throw error
        } catch {
            throw EngineError(.internalFailure, "could not read deployment #\(id): \(error)")
        }
        if deployment.status == .pendingApproval && command.action == .approve {
            try await approveDeployment(deployment, targets: targets, by: command)
            return .done
        }
        if deployment.status == .queued || deployment.status == .pendingApproval {
            guard command.action == .abort else {
                if deployment.status == .pendingApproval {
                    throw EngineError(.conflict, "deployment #\(id) is waiting for approval; it can only be approved (by someone other than \(deployment.requestedBy)) or aborted")
                }
                throw EngineError(.conflict, "deployment #\(id) is queued; it can only be aborted until it starts")
            }
            var cancelled = deployment
            cancelled.status = .cancelled
            cancelled.statusReason = "aborted by \(command.actor) while \(deployment.status == .queued ? "queued" : "waiting for approval")"
            cancelled.finishedAt = time.now()
            cancelled.updatedAt = time.now()
            let cancelledTargets = targets.map { target -> StoreChange in
                var target = target
                target.status = .cancelled
                return .saveTarget(target)
            }
            do {
                try await store.write([.saveDeployment(cancelled)] + cancelledTargets + [
                    .appendEvent(EventRecord(
                        deploymentId: id, time: time.now(), actor: command.actor, kind: "action.abort",
                        message: cancelled.statusReason ?? "aborted", origin: command.origin ?? Self.unknownOrigin,
                        reason: command.reason, ticket: deployment.ticket
                    )),
                ])
            } catch {
                throw EngineError(.internalFailure, "could not store the abort: \(error)")
            }
            queued.removeAll { $0 == id }
            feed.publish(.deploymentChanged(id), deploymentID: id)
            return .done
        }
        guard command.action == .rollback else {
            throw EngineError(.conflict, "cannot \(command.action.rawValue) deployment #\(id): it is \(deployment.status.rawValue)")
        }
        let operation = try? deployment.decodedOperation()
        guard let operation, !operation.rollback.isEmpty else {
            throw EngineError(.conflict, "cannot roll back deployment #\(id): operation '\(deployment.operation)' has no rollback steps")
        }
        guard !phases.contains(where: { $0.kind == .rollback }) else {
            throw EngineError(.conflict, "cannot roll back deployment #\(id): it was already rolled back")
        }
        guard targets.contains(where: { $0.kind == .deploy && $0.status == .succeeded }) else {
            throw EngineError(.conflict, "cannot roll back deployment #\(id): no node completed the operation")
        }
        await untilEndingHoldersLetGo(of: targets.map(\.node))
        if let busy = targets.first(where: { claims[$0.node] != nil }) {
            throw EngineError(.conflict, "cannot roll back deployment #\(id): node \(busy.node) is busy in deployment #\(claims[busy.node] ?? 0)")
        }
        var reopened = deployment
        reopened.status = .paused
        claim(targets, for: id)
        await launch(DeploymentDriverSeed(deployment: reopened, phases: phases, targets: targets))
        return .driverStarted
    }

    // MARK: - Node claims

    /// Claimed in the same actor turn as the check that found the nodes free, before anything is stored: a
    /// concurrent request for the same node then finds it busy instead of both starting on it.
    private func claim(_ targets: [TargetRecord], for id: Int64) {
        for target in targets { claims[target.node] = id }
    }

    private func release(_ id: Int64) {
        claims = claims.filter { $0.value != id }
    }

    /// A deployment whose final state is stored keeps its nodes while its driver winds down (the log flushed,
    /// connections let go), so that the next deployment on a node never shares an ending one's connection. A
    /// request for one of those nodes waits for that moment instead of being refused over a deployment the
    /// person already sees finished.
    private func untilEndingHoldersLetGo(of nodes: [String]) async {
        for holder in Set(nodes.compactMap { claims[$0] }) {
            guard let driver = drivers[holder], (try? await store.deployment(holder))?.status.isFinal == true else { continue }
            await untilDriverEnds(holder, launch: driver.launch)
        }
    }

    private func takeTurn(on id: Int64) async {
        while turns[id] != nil {
            await withCheckedContinuation { turns[id, default: []].append($0) }
        }
        turns[id] = []
    }

    private func releaseTurn(on id: Int64) {
        for waiter in turns.removeValue(forKey: id) ?? [] { waiter.resume() }
    }

    /// A queued deployment the queue passed over while it was someone's turn gets its chance now.
    private func endTurn(on id: Int64) async {
        releaseTurn(on: id)
        if queued.contains(id) { await startQueued() }
    }

    // MARK: - Drivers

    private struct DeploymentDriverSeed {
        var deployment: DeploymentRecord
        var phases: [PhaseRecord]
        var targets: [TargetRecord]
    }

    private func launch(_ seed: DeploymentDriverSeed) async {
        let driver: DeploymentDriver
        do {
            driver = try DeploymentDriver(deployment: seed.deployment, phases: seed.phases, targets: seed.targets, context: context)
        } catch {
            await failUnresumable(seed.deployment, because: error)
            return
        }
        let (events, inbox) = AsyncStream<DriverEvent>.makeStream()
        driversLaunched += 1
        drivers[seed.deployment.id] = RunningDriver(inbox: inbox, launch: driversLaunched)
        launchInbox.yield(Launch(driver: driver, events: events, inbox: inbox))
    }

    /// A deployment whose stored operation this version cannot read (written by another version, or damaged), or
    /// whose sealed sensitive parameters this server cannot open (another key), cannot run: it fails, saying why,
    /// and lets go of its nodes, instead of holding them with no driver.
    private func failUnresumable(_ deployment: DeploymentRecord, because error: any Error) async {
        let id = deployment.id
        logger.error("cannot run a deployment", metadata: ["deployment": "\(id)", "error": "\(error)"])
        release(id)
        var failed = deployment
        failed.status = .failed
        failed.statusReason = "cannot run: \(error); start a new deployment"
        failed.finishedAt = time.now()
        failed.updatedAt = time.now()
        do {
            try await store.write([
                .saveDeployment(failed),
                .appendEvent(EventRecord(deploymentId: id, time: time.now(), actor: "waveline", kind: "deployment.failed", message: failed.statusReason ?? "failed", ticket: deployment.ticket)),
            ])
        } catch {
            logger.error("could not store that a deployment cannot run", metadata: ["deployment": "\(id)", "error": "\(error)"])
        }
        feed.publish(.deploymentChanged(id), deploymentID: id)
        // During recovery the nodes of deployments not yet resumed are not claimed yet: the queue waits for it.
        if recovered { await startQueued() }
    }

    private func driverEnded(_ id: Int64) async {
        drivers[id] = nil
        masker.forget(deployment: id)
        for waiter in driverEndWaiters.removeValue(forKey: id) ?? [] { waiter.resume() }
        release(id)
        context.logs.forget(deployment: id)
        // Its last lines (an aborted step's closing words) are stored now: followers of its log may end.
        feed.publish(.deploymentChanged(id), deploymentID: id)
        await startQueued()
    }

    /// Starts queued deployments, oldest first, whose nodes are all free.
    private func startQueued() async {
        for id in queued where turns[id] == nil {
            turns[id] = []
            defer { releaseTurn(on: id) }
            do {
                guard var deployment = try await store.deployment(id), deployment.status == .queued else {
                    queued.removeAll { $0 == id }
                    continue
                }
                if approvalExpired(deployment) {
                    queued.removeAll { $0 == id }
                    try await voidApproval(deployment)
                    continue
                }
                let targets = try await store.targets(of: id)
                let phases = try await store.phases(of: id)
                guard targets.allSatisfy({ claims[$0.node] == nil }) else { continue }
                deployment.status = .running
                deployment.statusReason = nil
                deployment.updatedAt = time.now()
                claim(targets, for: id)
                do {
                    try await store.write([
                        .saveDeployment(deployment),
                        .appendEvent(EventRecord(deploymentId: id, time: time.now(), actor: "waveline", kind: "deployment.dequeued", message: "its nodes are free: starting", ticket: deployment.ticket)),
                    ])
                } catch {
                    release(id)
                    throw error
                }
                queued.removeAll { $0 == id }
                await launch(DeploymentDriverSeed(deployment: deployment, phases: phases, targets: targets))
            } catch {
                logger.error("could not start a queued deployment", metadata: ["deployment": "\(id)", "error": "\(error)"])
            }
        }
    }

    // MARK: - Recovery

    private func untilRecovered() async {
        guard !recovered else { return }
        await withCheckedContinuation { waitingForRecovery.append($0) }
    }

    private func recoveryFinished() {
        recovered = true
        for waiter in waitingForRecovery { waiter.resume() }
        waitingForRecovery = []
    }

    /// Picks up what the last process left: steps recorded as started but not finished are interrupted; their
    /// nodes run again (from that step) if the operation is idempotent, otherwise they wait for a person.
    private func recover() async throws {
        nextDeploymentID = try await store.nextDeploymentID()
        for deployment in try await store.unfinishedDeployments() {
            let id = deployment.id
            if deployment.status == .queued {
                queued.append(id)
                continue
            }
            // Holds no nodes until a second person approves it.
            if deployment.status == .pendingApproval { continue }
            let operation = try? deployment.decodedOperation()
            var targets = try await store.targets(of: id)
            var history = try await store.stepRuns(of: id, target: nil)
            var changes: [StoreChange] = []
            var interruptedNodes: [String] = []
            let settlements = await settle(targets: targets, history: history)
            var recoveredLines: [(target: Int, step: String, text: String)] = []
            for index in targets.indices where targets[index].status == .running {
                let cut = history.indices.filter { history[$0].targetIndex == index && history[$0].status == .running }
                var mutating = false
                var unknown: String?
                for run in cut {
                    let changesNode = history[run].stage == .step || history[run].stage == .rollback
                    history[run].finishedAt = time.now()
                    switch settlements[run] {
                    case .finished(0)? where changesNode:
                        // It ran to its end before the server could record it: recorded, never run again.
                        history[run].status = .succeeded
                        history[run].exitCode = 0
                        history[run].reason = nil
                        // Not "succeeded" right after the name: the step's own end line may be stored already (logs are
                        // stored before the state that follows them), and this line says something else.
                        recoveredLines.append((index, history[run].name, "■ step '\(history[run].name)' recorded as succeeded after a restart: it ended before its end was stored (exit code 0 found on the node); not run again"))
                    case .finished(let code)? where changesNode:
                        // A failure seen only after the server died may be its doing (a step writing to the dead
                        // server's pipes gets SIGPIPE): interrupted, as if it had not ended.
                        history[run].status = .interrupted
                        history[run].exitCode = code
                        history[run].reason = "the server stopped while it ran; it then ended with code \(code), perhaps because its output had nowhere to go"
                        mutating = true
                    case .unknown(let why)? where changesNode:
                        history[run].status = .interrupted
                        history[run].reason = "the server stopped while it ran; whether it still runs on the node is unknown: \(why)"
                        unknown = why
                        mutating = true
                    default:
                        history[run].status = .interrupted
                        history[run].reason = "the server stopped while it ran"
                        if changesNode { mutating = true }
                    }
                    changes.append(.saveStepRun(history[run]))
                }
                if let unknown {
                    targets[index].status = .interrupted
                    let step = cut.last.map { history[$0].name } ?? "?"
                    targets[index].failure = FailurePoint(stage: .step, step: step, exitCode: nil, reason: "interrupted by a server restart, and the node could not be checked (\(unknown)): the step may still run there, so a person decides: retry or skip")
                } else if mutating && !(operation?.idempotent ?? false) {
                    targets[index].status = .interrupted
                    let step = cut.last.map { history[$0].name } ?? "?"
                    targets[index].failure = FailurePoint(stage: .step, step: step, exitCode: nil, reason: "interrupted by a server restart; the operation is not idempotent, so a person decides: retry or skip")
                } else {
                    targets[index].status = .pending
                }
                interruptedNodes.append(targets[index].node)
                changes.append(.saveTarget(targets[index]))
            }
            // The node's log says why the step is done without its end having been seen.
            for line in recoveredLines {
                await context.logs.prepare(deployment: id, target: line.target)
                await context.logs.append(deployment: id, target: line.target, step: line.step,
                                    lines: [OutputLine(stream: .system, text: line.text, time: time.now())])
            }
            if !recoveredLines.isEmpty { await context.logs.flush() }
            if !interruptedNodes.isEmpty {
                changes.append(.appendEvent(EventRecord(deploymentId: id, time: time.now(), actor: "waveline", kind: "deployment.recovered", message: "resumed after a restart; runs interrupted on: \(interruptedNodes.joined(separator: ", "))", ticket: deployment.ticket)))
            }
            try await store.write(changes)
            claim(targets, for: id)
            await launch(DeploymentDriverSeed(deployment: deployment, phases: try await store.phases(of: id), targets: targets))
            logger.info("resumed deployment", metadata: ["deployment": "\(id)", "status": "\(deployment.status.rawValue)"])
        }
        await startQueued()
    }

    /// Asks each node about the runs that were going on when the last server died (`Executor.settle`): ends
    /// what still runs of them, and learns which had ended. Before anything runs again, so a recovered deployment
    /// never runs a step on a node while the killed server's copy of it still runs. Keyed by index in `history`.
    private func settle(targets: [TargetRecord], history: [StepRunRecord]) async -> [Int: StepSettlement] {
        let cut = history.indices.filter { run in
            history[run].status == .running && targets.indices.contains(history[run].targetIndex)
                && targets[history[run].targetIndex].status == .running
        }
        let executors = context.executors
        return await withTaskGroup(of: (Int, StepSettlement).self) { group in
            var pending = cut.makeIterator()
            func add(_ run: Int) {
                let record = history[run]
                let node = try? targets[record.targetIndex].decodedNode()
                group.addTask {
                    guard let node else { return (run, .unknown("the node's record cannot be read")) }
                    let mark = StepMark(deployment: record.deploymentId, target: record.targetIndex, stage: record.stage.rawValue,
                                        index: record.stepIndex, attempt: record.attempt)
                    return (run, await executors.executor(for: node).settle(mark, on: node))
                }
            }
            for _ in 0..<16 { if let run = pending.next() { add(run) } }
            var found: [Int: StepSettlement] = [:]
            while let (run, settlement) = await group.next() {
                found[run] = settlement
                if let next = pending.next() { add(next) }
            }
            return found
        }
    }

    private func unique(_ values: [String]) -> [String] {
        var seen = Set<String>()
        return values.filter { seen.insert($0).inserted }
    }
}

extension String {
    var isBlank: Bool { allSatisfy(\.isWhitespace) }
}

extension Engine {
    /// Node name → the unfinished deployment holding it.
    public func busyNodes() -> [String: Int64] { claims }

    /// Whether a deployment's driver still runs. Its final state is stored before it ends: until then, lines
    /// of steps that were ended (an abort) may still come.
    public func isDriving(_ id: Int64) -> Bool { drivers[id] != nil }
}
