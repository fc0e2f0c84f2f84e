import Testing
import WavelineCore

/// Node claims and the queue, simulated the way the engine uses them: deployments ask for random nodes, queue
/// when busy, end at random moments, and the queue is walked each time nodes are let go.
@Suite struct ClaimsAndQueueTests {
    @Test func noNodeIsEverInTwoDeploymentsAndNoQueuedDeploymentWaitsForFreeNodes() {
        var failing = 0
        var started = 0
        for seed in generatedSeeds {
            var rng = SplitMix64(seed: seed ^ 0xC1A1_5000)
            var log = InvariantLog(seed: seed)
            var claims = NodeClaims()
            var queue = DeploymentQueue()
            var running: [Int64: [String]] = [:]
            var wanted: [Int64: [String]] = [:]
            var statuses: [Int64: DeploymentStatus] = [:]
            let nodes = (1...rng.int(2...8)).map { "n\($0)" }
            var next: Int64 = 1

            func walkQueue() {
                for id in queue.ids {
                    switch DeploymentQueue.decide(status: statuses[id], approvalExpired: false, nodes: wanted[id] ?? [], claims: claims) {
                    case .leave, .voidApproval: queue.remove(id)
                    case .wait: continue
                    case .start:
                        log.check(claims.areFree(wanted[id] ?? []), "deployment \(id) started on a held node")
                        claims.claim(wanted[id] ?? [], for: id)
                        running[id] = wanted[id]
                        statuses[id] = .running
                        queue.remove(id)
                        started += 1
                    }
                }
            }

            for _ in 0..<60 {
                switch rng.int(0...3) {
                case 0, 1:
                    let id = next
                    next += 1
                    let asked = Array(Set((0..<rng.int(1...3)).map { _ in rng.pick(nodes) }))
                    wanted[id] = asked
                    let busy = claims.busy(among: asked)
                    if busy.isEmpty {
                        claims.claim(asked, for: id)
                        running[id] = asked
                        statuses[id] = .running
                    } else {
                        statuses[id] = .queued
                        queue.append(id)
                    }
                case 2:
                    guard let id = running.keys.sorted().first(where: { _ in rng.chance(0.5) }) ?? running.keys.first else { continue }
                    running[id] = nil
                    statuses[id] = .succeeded
                    claims.release(id)
                    walkQueue()
                default:
                    // An abort of a queued deployment: the queue drops it when it comes to it.
                    if let id = queue.ids.first(where: { _ in rng.chance(0.3) }) {
                        statuses[id] = .cancelled
                        walkQueue()
                    }
                }
                // Invariants after every step.
                for (node, holder) in claims.holders {
                    log.check(running[holder]?.contains(node) == true, "\(node) held by \(holder), which does not run on it")
                }
                for (id, held) in running {
                    for node in held { log.check(claims.holder(of: node) == id, "\(node) of running \(id) is held by \(String(describing: claims.holder(of: node)))") }
                }
                for id in queue.ids where statuses[id] == .queued {
                    log.check(!claims.areFree(wanted[id] ?? []), "queued \(id) waits although its nodes are free")
                }
                log.check(Set(queue.ids).count == queue.ids.count, "the queue holds a deployment twice")
            }
            if !log.report("claims and queue", context: "nodes \(nodes)") {
                failing += 1
                if failing >= 5 { break }
            }
        }
        #expect(started > 50, "the simulation must start queued deployments: \(started)")
    }

    @Test func theQueueDecidesFromTheStoredStatusTheApprovalAndTheNodes() {
        var claims = NodeClaims()
        claims.claim(["n1"], for: 1)
        #expect(DeploymentQueue.decide(status: nil, approvalExpired: false, nodes: ["n2"], claims: claims) == .leave)
        #expect(DeploymentQueue.decide(status: .cancelled, approvalExpired: true, nodes: ["n2"], claims: claims) == .leave)
        #expect(DeploymentQueue.decide(status: .queued, approvalExpired: true, nodes: ["n2"], claims: claims) == .voidApproval)
        #expect(DeploymentQueue.decide(status: .queued, approvalExpired: false, nodes: ["n1", "n2"], claims: claims) == .wait)
        #expect(DeploymentQueue.decide(status: .queued, approvalExpired: false, nodes: ["n2"], claims: claims) == .start)
        claims.release(1)
        #expect(claims.holders.isEmpty)
    }

    @Test func aTurnIsHeldByOneAtATime() {
        var turns = DeploymentTurns()
        let first = turns.take(1)
        let again = turns.take(1)
        let other = turns.take(2)
        #expect(first && !again && other)
        turns.end(1)
        #expect(!turns.isTaken(1) && turns.isTaken(2))
        let afterEnd = turns.take(1)
        #expect(afterEnd)
    }
}
