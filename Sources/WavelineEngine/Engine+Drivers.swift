import Logging
import WavelineCore
import WavelineStore

/// What a deployment's driver starts from: its records as stored.
struct DeploymentDriverSeed {
    var deployment: DeploymentRecord
    var phases: [PhaseRecord]
    var targets: [TargetRecord]
}

extension Engine {
    // MARK: - Drivers

    func launch(_ seed: DeploymentDriverSeed) async {
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
        claims.release(id)
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
        if state != .recovering { await startQueued() }
    }

    func driverEnded(_ id: Int64) async {
        drivers[id] = nil
        masker.forget(deployment: id)
        driverEndWaiters.wake(id)
        claims.release(id)
        context.logs.forget(deployment: id)
        // Its last lines (an aborted step's closing words) are stored now: followers of its log may end.
        feed.publish(.deploymentChanged(id), deploymentID: id)
        await startQueued()
    }

    /// Waits until launch `launch` of the deployment's driver is gone; at once if it already is (a newer
    /// driver is never waited on).
    func untilDriverEnds(_ id: Int64, launch: Int) async {
        guard drivers[id]?.launch == launch else { return }
        await withCheckedContinuation { driverEndWaiters.add($0, for: id) }
    }

    // MARK: - The queue

    /// Starts queued deployments, oldest first, whose nodes are all free (`DeploymentQueue.decide`).
    func startQueued() async {
        for id in queue.ids {
            // Someone else deciding on it (an abort) goes first; the queue comes back when their turn ends.
            guard turns.take(id) else { continue }
            defer { releaseTurn(on: id) }
            do {
                let deployment = try await store.deployment(id)
                let expired = deployment.map(approvalExpired) ?? false
                let mayStart = deployment?.status == .queued && !expired
                let targets = mayStart ? try await store.targets(of: id) : []
                let phases = mayStart ? try await store.phases(of: id) : []
                switch DeploymentQueue.decide(status: deployment?.status, approvalExpired: expired, nodes: targets.map(\.node), claims: claims) {
                case .leave:
                    queue.remove(id)
                case .voidApproval:
                    queue.remove(id)
                    if let deployment { try await voidApproval(deployment) }
                case .wait:
                    continue
                case .start:
                    guard var deployment else { continue }
                    deployment.status = .running
                    deployment.statusReason = nil
                    deployment.updatedAt = time.now()
                    claims.claim(targets.map(\.node), for: id)
                    do {
                        try await store.write([
                            .saveDeployment(deployment),
                            .appendEvent(EventRecord(deploymentId: id, time: time.now(), actor: "waveline", kind: "deployment.dequeued", message: "its nodes are free: starting", ticket: deployment.ticket)),
                        ])
                    } catch {
                        claims.release(id)
                        throw error
                    }
                    queue.remove(id)
                    await launch(DeploymentDriverSeed(deployment: deployment, phases: phases, targets: targets))
                }
            } catch {
                logger.error("could not start a queued deployment", metadata: ["deployment": "\(id)", "error": "\(error)"])
            }
        }
    }

    // MARK: - Claims and turns

    /// A deployment whose final state is stored keeps its nodes while its driver winds down (the log flushed,
    /// connections let go), so that the next deployment on a node never shares an ending one's connection. A
    /// request for one of those nodes waits for that moment instead of being refused over a deployment the
    /// person already sees finished.
    func untilEndingHoldersLetGo(of nodes: [String]) async {
        for holder in claims.holders(among: nodes) {
            guard let driver = drivers[holder], (try? await store.deployment(holder))?.status.isFinal == true else { continue }
            await untilDriverEnds(holder, launch: driver.launch)
        }
    }

    func takeTurn(on id: Int64) async {
        while !turns.take(id) {
            await withCheckedContinuation { turnWaiters.add($0, for: id) }
        }
    }

    func releaseTurn(on id: Int64) {
        turns.end(id)
        turnWaiters.wake(id)
    }

    /// A queued deployment the queue passed over while it was someone's turn gets its chance now.
    func endTurn(on id: Int64) async {
        releaseTurn(on: id)
        if queue.contains(id) { await startQueued() }
    }
}
