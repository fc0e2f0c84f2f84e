import Logging
import WavelineCore
import WavelineExecutors
import WavelineStore

extension Engine {
    /// Picks up what the last process left: steps recorded as started but not finished are interrupted; their
    /// nodes run again (from that step) if the operation is idempotent, otherwise they wait for a person
    /// (`InterruptedRuns` decides).
    func recover() async throws {
        nextDeploymentID = try await store.nextDeploymentID()
        for deployment in try await store.unfinishedDeployments() {
            let id = deployment.id
            if deployment.status == .queued {
                queue.append(id)
                continue
            }
            // Holds no nodes until a second person approves it.
            if deployment.status == .pendingApproval { continue }
            let idempotent = (try? deployment.decodedOperation())?.idempotent ?? false
            var targets = try await store.targets(of: id)
            var history = try await store.stepRuns(of: id, target: nil)
            var changes: [StoreChange] = []
            var interruptedNodes: [String] = []
            let settlements = await settle(targets: targets, history: history)
            var recoveredLines: [(target: Int, step: String, text: String)] = []
            for index in targets.indices where targets[index].status == .running {
                let cut = history.indices.filter { history[$0].targetIndex == index && history[$0].status == .running }
                var verdicts: [InterruptedRuns.RunVerdict] = []
                for run in cut {
                    let verdict = InterruptedRuns.verdict(step: history[run].name, stage: history[run].stage, settlement: settlements[run])
                    verdicts.append(verdict)
                    history[run].finishedAt = time.now()
                    history[run].status = verdict.outcome == .succeeded ? .succeeded : .interrupted
                    history[run].exitCode = verdict.exitCode
                    history[run].reason = verdict.reason
                    if let line = verdict.logLine { recoveredLines.append((index, history[run].name, line)) }
                    changes.append(.saveStepRun(history[run]))
                }
                switch InterruptedRuns.node(runs: verdicts, lastStep: cut.last.map { history[$0].name }, idempotent: idempotent) {
                case .pending:
                    targets[index].status = .pending
                case .interrupted(let failure):
                    targets[index].status = .interrupted
                    targets[index].failure = failure
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
            claims.claim(targets.map(\.node), for: id)
            await launch(DeploymentDriverSeed(deployment: deployment, phases: try await store.phases(of: id), targets: targets))
            logger.info("resumed deployment", metadata: ["deployment": "\(id)", "status": "\(deployment.status.rawValue)"])
        }
        await startQueued()
    }

    /// Asks each node about the runs that were going on when the last server died (`Executor.settle`): ends
    /// what still runs of them, and learns which had ended. Before anything runs again, so a recovered deployment
    /// never runs a step on a node while the killed server's copy of it still runs. Keyed by index in `history`.
    private func settle(targets: [TargetRecord], history: [StepRunRecord]) async -> [Int: RunSettlement] {
        let cut = history.indices.filter { run in
            history[run].status == .running && targets.indices.contains(history[run].targetIndex)
                && targets[history[run].targetIndex].status == .running
        }
        let executors = context.executors
        return await withTaskGroup(of: (Int, RunSettlement).self) { group in
            var pending = cut.makeIterator()
            func add(_ run: Int) {
                let record = history[run]
                let node = try? targets[record.targetIndex].decodedNode()
                group.addTask {
                    guard let node else { return (run, .unknown("the node's record cannot be read")) }
                    let mark = StepMark(deployment: record.deploymentId, target: record.targetIndex, stage: record.stage.rawValue,
                                        index: record.stepIndex, attempt: record.attempt)
                    return (run, RunSettlement(await executors.executor(for: node).settle(mark, on: node)))
                }
            }
            for _ in 0..<16 { if let run = pending.next() { add(run) } }
            var found: [Int: RunSettlement] = [:]
            while let (run, settlement) = await group.next() {
                found[run] = settlement
                if let next = pending.next() { add(next) }
            }
            return found
        }
    }
}

extension RunSettlement {
    init(_ settlement: StepSettlement) {
        switch settlement {
        case .finished(let code): self = .finished(exitCode: code)
        case .notFinished: self = .notFinished
        case .unknown(let why): self = .unknown(why)
        }
    }
}
