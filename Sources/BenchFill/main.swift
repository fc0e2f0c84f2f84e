import Foundation
import WavelineCore
import WavelineStore

// Fills a Waveline data folder for the UI/API benchmarks (bench/ui-api.sh), writing through the store's own
// write path (records and `DeploymentStore.write`, in big batches), so the data always has the store's schema
// and encoding: no SQL here.
//
//     bench-fill DIR [--deployments 10000] [--runs 1000000] [--lines 10000000] [--seed 4]
//
// DIR gets an inventory, a catalog, a strategy and `data/waveline.sqlite`. Shapes: deployment sizes from 3 to
// 2,000 nodes (mean = runs / deployments), mixed operations, environments, products, requesters and outcomes;
// failed deployments have failed nodes with a failure point and an error as their last log line; the newest 25
// are unfinished (running at a manual gate, paused, pending approval), so a restarted server has work to
// resume but none that runs processes. Each node run has up to three steps and ~lines/runs log lines. No user
// is written: the first `waveline serve` on the folder makes the admin (WAVELINE_INITIAL_ADMIN_TOKEN).

struct Options {
    var directory = ""
    var deployments = 10_000
    var runs = 1_000_000
    var lines = 10_000_000
    var seed: UInt64 = 4

    init(_ arguments: [String]) throws {
        var rest = arguments[...]
        while let argument = rest.popFirst() {
            func number() throws -> Int {
                guard let text = rest.popFirst(), let value = Int(text.replacingOccurrences(of: "_", with: "")), value > 0 else {
                    throw UsageError("\(argument) needs a positive whole number")
                }
                return value
            }
            switch argument {
            case "--deployments": deployments = try number()
            case "--runs": runs = try number()
            case "--lines": lines = try number()
            case "--seed": seed = UInt64(try number())
            case let path where !path.hasPrefix("-") && directory.isEmpty: directory = path
            default: throw UsageError("unknown argument '\(argument)'")
            }
        }
        guard !directory.isEmpty else { throw UsageError("the folder to fill is missing") }
        guard runs >= 2 * deployments else { throw UsageError("--runs must be at least twice --deployments (each has 2 nodes or more)") }
    }
}

struct UsageError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = "bench-fill: \(description)\nusage: bench-fill DIR [--deployments N] [--runs N] [--lines N] [--seed N]" }
}

/// SplitMix64: the same data for the same seed, on every machine.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension Array {
    func weighted(_ weights: [Double], _ random: inout SeededRandom) -> Element {
        var pick = Double.random(in: 0..<weights.reduce(0, +), using: &random)
        for (element, weight) in zip(self, weights) {
            if pick < weight { return element }
            pick -= weight
        }
        return self[count - 1]
    }
}

let environments = ["test", "dev", "staging", "prod"]
let products = ["kafka", "valkey", "postgres", "opensearch", "zookeeper", "clickhouse"]
let operationNames = ["deploy-version", "config-change", "restart", "cache-rebuild", "noop-deploy"]
let people = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy"]
let zones = ["zone-a", "zone-b", "zone-c"]
let stepsByOperation: [String: [(StepStage, Int, String)]] = [
    "deploy-version": [(.preCheck, 0, "healthy before"), (.step, 0, "install"), (.postCheck, 0, "healthy after")],
    "config-change": [(.preCheck, 0, "healthy before"), (.step, 0, "apply config"), (.postCheck, 0, "healthy after")],
    "restart": [(.step, 0, "stop"), (.step, 1, "start"), (.postCheck, 0, "healthy after")],
    "cache-rebuild": [(.step, 0, "drop cache"), (.step, 1, "rebuild"), (.postCheck, 0, "warm")],
    "noop-deploy": [(.preCheck, 0, "healthy before"), (.step, 0, "noop"), (.postCheck, 0, "healthy after")],
]
let errors = [
    "ERROR: health check failed: broker not in ISR after 30s", "fatal: checksum mismatch for package",
    "connection refused (127.0.0.1:9092)", "ERROR: config validation failed: unknown key 'log.retention'",
    "Killed: out of memory while rebuilding cache",
]

func writeWorkspace(_ work: String) throws {
    let files = FileManager.default
    if files.fileExists(atPath: work) { try files.removeItem(atPath: work) }
    for folder in ["catalog", "strategies", "data"] { try files.createDirectory(atPath: "\(work)/\(folder)", withIntermediateDirectories: true) }
    var inventory = "environments:\n"
    for environment in environments { inventory += "  - {name: \(environment)\(environment == "prod" ? ", protected: true" : "")}\n" }
    inventory += "products:\n"
    for product in products { inventory += "  - {name: \(product), owner: bench}\n" }
    // Two local nodes to deploy to by hand; the filled runs name nodes that need not be in the inventory.
    inventory += "clusters:\n  - name: template\n    product: kafka\n    environment: test\n    zones: [zone-a]\n    nodes:\n"
    inventory += "      - {name: template-1, zone: zone-a}\n      - {name: template-2, zone: zone-a}\n"
    try inventory.write(toFile: "\(work)/inventory.yaml", atomically: true, encoding: .utf8)
    try "name: trivial\nidempotent: true\nsteps:\n  - {name: install, run: [/bin/true], timeout: 30s}\n"
        .write(toFile: "\(work)/catalog/trivial.yaml", atomically: true, encoding: .utf8)
    try """
        name: two-phase
        failure_budget: 10%
        phases:
          - {name: canary, size: 1, parallelism: 1, gate: manual}
          - {name: rest, size: rest, batch_size: 25%, parallelism: 10, gate: auto}

        """.write(toFile: "\(work)/strategies/two-phase.yaml", atomically: true, encoding: .utf8)
}

func fill(_ options: Options) async throws {
    let work = URL(fileURLWithPath: options.directory).standardizedFileURL.path
    try writeWorkspace(work)
    var random = SeededRandom(state: options.seed)
    let store = try await SQLDeploymentStore.sqlite(path: "\(work)/data/waveline.sqlite")
    let started = ContinuousClock.now

    // Deployment sizes: mostly small, some fleet-wide; exactly `runs` node runs in all.
    let n = options.deployments
    var sizes = (0..<n).map { _ in [3, 5, 8, 12, 20, 30, 50, 80, 120, 200, 400, 1000, 2000].randomElement(using: &random)! }
    let scale = Double(options.runs) / Double(sizes.reduce(0, +))
    sizes = sizes.map { max(2, Int(Double($0) * scale)) }
    var difference = options.runs - sizes.reduce(0, +)
    var position = 0
    while difference != 0 {
        let step = difference > 0 ? 1 : -1
        if sizes[position % n] + step >= 2 {
            sizes[position % n] += step
            difference -= step
        }
        position += 1
    }
    let linesPerRun = Double(options.lines) / Double(options.runs)
    let now = Date().timeIntervalSince1970
    let firstTime = now - 90 * 86400
    let operations = Dictionary(uniqueKeysWithValues: operationNames.map { name in
        (name, Operation(name: name, idempotent: true, steps: [Step(name: "install", command: .argv(["/bin/true"]), timeout: .seconds(30))]))
    })

    var changes: [StoreChange] = []
    var logs: [LogLineRecord] = []
    var nodeStates: [String: NodeStateRecord] = [:]
    var logID: Int64 = 0
    var totals = (targets: 0, stepRuns: 0, lines: 0)
    func flush() async throws {
        try await store.write(changes + [.appendLogs(logs)])
        changes.removeAll(keepingCapacity: true)
        logs.removeAll(keepingCapacity: true)
    }

    let activeFrom = n - 25
    for d in 0..<n {
        let id = Int64(d + 1)
        let size = sizes[d]
        let operation = operationNames.weighted([5, 3, 3, 1, 1], &random)
        let environment = environments.weighted([2, 3, 2, 3], &random)
        let product = products.randomElement(using: &random)!
        let person = people.randomElement(using: &random)!
        var created = firstTime + (now - 600 - firstTime) * Double(d) / Double(n)
        var start = created + Double.random(in: 0.1...3, using: &random)
        let status: DeploymentStatus
        if d >= activeFrom {
            status = [DeploymentStatus.running, .paused, .pendingApproval].weighted([6, 2, 2], &random)
            created = now - Double(n - d) * 20
            start = created + 1
        } else {
            status = [DeploymentStatus.succeeded, .failed, .halted, .cancelled, .rolledBack].weighted([87, 7, 1, 3, 2], &random)
        }
        var failedNodes: Set<Int> = []
        if [.failed, .halted, .rolledBack].contains(status) || ([.running, .paused].contains(status) && Double.random(in: 0..<1, using: &random) < 0.4) {
            let k = max(1, min(size - 1, Int(Double(size) * Double.random(in: 0.005...0.08, using: &random))))
            failedNodes = Set(Array(0..<size).shuffled(using: &random).prefix(k))
        }
        let canary = 1
        let doneUpTo: Int
        switch status {
        case .queued, .pendingApproval: doneUpTo = 0
        case .running: doneUpTo = canary  // waiting at the manual gate after the canary
        case .paused, .halted, .cancelled: doneUpTo = Int.random(in: canary...size, using: &random)
        default: doneUpTo = size
        }
        let steps = stepsByOperation[operation]!
        let duration = Double.random(in: 0.5...40, using: &random)
        let cluster = "\(product)-\(environment)-\(id % 7 + 1)"
        // This deployment's rows, written after it (its phases, targets and runs refer to it).
        var own: [StoreChange] = []

        for index in 0..<size {
            let name = "\(cluster)-\(index + 1)"
            let zone = environment == "prod" ? zones[index % 2] : "zone-a"
            let phase = index < canary ? 0 : 1
            let batch = phase == 0 ? 0 : min(3, (index - canary) * 4 / max(1, size - canary))
            var target = TargetRecord(
                deploymentId: id, index: index,
                target: PlannedTarget(node: Node(name: name, cluster: cluster, zone: zone), environment: environment, product: product, phase: phase, batch: batch)
            )
            guard index < doneUpTo else {
                target.status = status == .cancelled ? .cancelled : .pending
                own.append(.saveTarget(target))
                continue
            }
            let targetStart = start + duration * Double(index) / Double(size)
            let targetEnd = targetStart + Double.random(in: 0.2...5, using: &random)
            let failed = failedNodes.contains(index)
            let runSteps = failed ? Array(steps.prefix(Int.random(in: 1...steps.count, using: &random))) : steps
            // About lines/runs each, catching up on runs that never started (they have no log), so the total
            // lands near --lines.
            let behind = Double(options.lines) * Double(totals.targets + index + 1) / Double(options.runs) - Double(totals.lines)
            let gauss = (0..<4).map { _ in Double.random(in: -1...1, using: &random) }.reduce(0, +) * 1.7
            let lineCount = max(1, min(Int((behind + gauss).rounded()), Int((linesPerRun * 3).rounded())))
            let perStep = max(1, lineCount / runSteps.count)
            var seq = 0
            for (stepNumber, (stage, stepIndex, stepName)) in runSteps.enumerated() {
                let last = stepNumber == runSteps.count - 1
                var run = StepRunRecord(
                    deploymentId: id, targetIndex: index, stage: stage, stepIndex: stepIndex, attempt: 1, name: stepName,
                    startedAt: targetStart + Double(stepNumber)
                )
                run.status = failed && last ? .failed : .succeeded
                run.exitCode = failed && last ? 1 : 0
                run.reason = failed && last ? "exited with code 1" : nil
                run.finishedAt = run.startedAt + 0.5
                own.append(.saveStepRun(run))
                let count = last ? lineCount - perStep * (runSteps.count - 1) : perStep
                for line in 0..<max(0, count) {
                    seq += 1
                    logID += 1
                    let error = failed && last && line == count - 1
                    logs.append(LogLineRecord(
                        id: logID, deploymentId: id, targetIndex: index, seq: seq, time: run.startedAt + Double(line) * 0.001,
                        stream: error ? .stderr : .stdout, step: stepName,
                        text: error ? errors.randomElement(using: &random)! : "[\(stepName)] \(name): progress \(line + 1)/\(count) ok"
                    ))
                }
            }
            let (lastStage, _, lastStep) = runSteps[runSteps.count - 1]
            target.status = failed ? .failed : .succeeded
            target.attempt = 1
            target.currentStep = lastStep
            target.failure = failed ? FailurePoint(stage: lastStage, step: lastStep, exitCode: 1, reason: "exited with code 1") : nil
            target.startedAt = targetStart
            target.finishedAt = targetEnd
            own.append(.saveTarget(target))
            nodeStates[name] = NodeStateRecord(
                node: name, cluster: cluster, environment: environment, product: product, deploymentId: id, operation: operation,
                outcome: target.status, finishedAt: targetEnd,
                version: operation == "deploy-version" ? "3.\(id % 10).\(id % 7)" : nil, configDigest: String(format: "%016llx", id * 7919)
            )
            totals.stepRuns += runSteps.count
            totals.lines += seq
        }
        totals.targets += size

        // Phases: the canary (one node, manual gate) and the rest in up to 4 batches.
        let rest = Array(canary..<size)
        let batches = (0..<4).map { b in rest.filter { min(3, ($0 - canary) * 4 / max(1, size - canary)) == b } }.filter { !$0.isEmpty }
        let finished = ![.running, .paused, .queued, .pendingApproval].contains(status)
        let canaryStatus: PhaseStatus = doneUpTo == 0 ? .pending : (status == .running ? .gate : .completed)
        let restStatus: PhaseStatus = finished && status == .succeeded ? .completed : (status == .paused && doneUpTo > canary ? .running : .pending)
        var canaryPhase = PhaseRecord(deploymentId: id, index: 0, state: PhaseState(
            name: "canary", gate: .manual, parallelism: 1, failureBudget: nil, batches: [[0]], status: canaryStatus,
            approvedBy: canaryStatus == .completed ? "bob" : nil
        ))
        canaryPhase.startedAt = doneUpTo > 0 ? start : nil
        canaryPhase.finishedAt = canaryStatus == .completed ? start + 1 : nil
        var restPhase = PhaseRecord(deploymentId: id, index: 1, state: PhaseState(
            name: "rest", gate: .automatic, parallelism: 10, failureBudget: nil, batches: batches, status: restStatus
        ))
        restPhase.startedAt = restStatus != .pending ? start + 1 : nil
        restPhase.finishedAt = restStatus == .completed ? start + duration : nil

        let finishedAt = finished ? start + duration + 5 : nil
        var deployment = DeploymentRecord(
            id: id, operation: operations[operation]!, strategy: "two-phase",
            parameters: operation == "deploy-version" ? ["version": "3.\(id % 10).\(id % 7)"] : [:],
            selection: Selection(clusters: ["template"]), environments: [environment], products: [product], requestedBy: person,
            reason: "\(operation) on \(cluster) for CHG-\(1000 + id)", ticket: id % 3 != 0 ? "CHG-\(1000 + id)" : nil,
            status: status, failureBudget: max(1, size / 10), targetCount: size, createdAt: created
        )
        deployment.statusReason = [
            .halted: "failure budget exceeded", .cancelled: "aborted by \(person)", .failed: "\(failedNodes.count) nodes failed",
            .rolledBack: "rolled back after failures",
        ][status]
        deployment.currentPhase = restStatus != .pending ? 1 : 0
        deployment.startedAt = [.queued, .pendingApproval].contains(status) ? nil : start
        deployment.finishedAt = finishedAt
        deployment.updatedAt = finishedAt ?? start
        let approved = environment == "prod" && status != .pendingApproval
        deployment.approvedBy = approved ? "carol" : nil
        deployment.approvedAt = approved ? start : nil
        deployment.protectedEnvironments = environment == "prod" ? "prod" : ""
        changes.append(.saveDeployment(deployment))
        changes += own
        changes.append(.savePhase(canaryPhase))
        changes.append(.savePhase(restPhase))

        if logs.count >= 200_000 { try await flush() }
        if id % 500 == 0 {
            print("  \(id) deployments, \(totals.targets) node runs, \(totals.lines) log lines, \(started.duration(to: .now).components.seconds) s")
        }
    }
    changes += nodeStates.values.map { .saveNodeState($0) }
    try await flush()
    try await store.close()
    print("filled \(work)/data: \(n) deployments, \(totals.targets) node runs, \(totals.stepRuns) step runs, \(totals.lines) log lines in \(started.duration(to: .now).components.seconds) s")
}

do {
    try await fill(try Options(Array(CommandLine.arguments.dropFirst())))
} catch {
    FileHandle.standardError.write(Data("\(error)\n".utf8))
    exit(1)
}
