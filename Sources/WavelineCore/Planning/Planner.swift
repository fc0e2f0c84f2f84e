/// Turns selected nodes and a strategy into phases and batches. Pure: same input, same plan.
///
/// Zone awareness: each cluster's nodes are walked zone by zone (in the cluster's zone order), phases and
/// batches take a cluster's nodes only from the front of that walk, and a batch never takes a cluster's
/// nodes from two zones. Because batches run one after another, a cluster is done zone by zone and never
/// has two zones down at once.
public enum Planner {
    public static func plan(nodes: [Node], in inventory: Inventory, strategy: Strategy) -> Plan {
        // Per cluster, in inventory order: its selected nodes sorted by zone order (stable otherwise).
        var clusterOrder: [String] = []
        var queues: [String: [Node]] = [:]
        for node in nodes {
            if queues[node.cluster] == nil { clusterOrder.append(node.cluster) }
            queues[node.cluster, default: []].append(node)
        }
        for name in clusterOrder {
            let zones = inventory.cluster(named: name)?.zones ?? []
            let rank = { (zone: String) in zones.firstIndex(of: zone) ?? zones.count }
            queues[name] = queues[name, default: []].enumerated()
                .sorted { (rank($0.element.zone), $0.offset) < (rank($1.element.zone), $1.offset) }
                .map(\.element)
        }

        let total = nodes.count
        var phaseNodes: [[Node]] = []
        for (index, spec) in strategy.phases.enumerated() {
            let isLast = index == strategy.phases.count - 1
            var taken: [Node] = []
            switch isLast ? .rest : spec.size {
            case .rest:
                for name in clusterOrder { taken += queues[name, default: []] }
                for name in clusterOrder { queues[name] = [] }
            case .perCluster(let perCluster):
                for name in clusterOrder {
                    let queue = queues[name, default: []]
                    taken += queue.prefix(perCluster)
                    queues[name] = Array(queue.dropFirst(perCluster))
                }
            case .count(let wanted):
                taken = takeRoundRobin(wanted, from: &queues, order: clusterOrder)
            case .percent(let percent):
                taken = takeRoundRobin(Amount.percent(percent).resolve(of: total), from: &queues, order: clusterOrder)
            }
            phaseNodes.append(taken)
        }

        var phases: [PlannedPhase] = []
        var targets: [PlannedTarget] = []
        for (spec, nodes) in zip(strategy.phases, phaseNodes) where !nodes.isEmpty {
            let batchSize = max(1, spec.batchSize.resolve(of: nodes.count))
            var batches: [[Int]] = []
            for batch in zoneSafeBatches(of: nodes, size: batchSize, clusterOrder: clusterOrder) {
                var indices: [Int] = []
                for node in batch {
                    let cluster = inventory.cluster(named: node.cluster)
                    indices.append(targets.count)
                    targets.append(PlannedTarget(
                        node: node, environment: cluster?.environment ?? "", product: cluster?.product ?? "",
                        phase: phases.count, batch: batches.count
                    ))
                }
                batches.append(indices)
            }
            phases.append(PlannedPhase(
                name: spec.name, gate: spec.gate, parallelism: max(1, spec.parallelism),
                failureBudget: spec.failureBudget?.resolve(of: nodes.count), batches: batches
            ))
        }
        // The gate after the last phase has nothing to guard.
        if !phases.isEmpty { phases[phases.count - 1].gate = .automatic }
        return Plan(phases: phases, targets: targets, failureBudget: strategy.failureBudget.resolve(of: total))
    }

    /// Takes up to `wanted` nodes, one cluster at a time in turn, each from the front of its queue, so a
    /// small first phase samples as many clusters as it can.
    private static func takeRoundRobin(
        _ wanted: Int, from queues: inout [String: [Node]], order: [String]
    ) -> [Node] {
        var taken: [Node] = []
        while taken.count < wanted {
            var progressed = false
            for name in order where taken.count < wanted {
                guard let node = queues[name]?.first else { continue }
                queues[name]?.removeFirst()
                taken.append(node)
                progressed = true
            }
            if !progressed { break }
        }
        return taken
    }

    /// Fills batches round-robin over clusters, each cluster contributing from the front of its queue and
    /// from one zone only per batch.
    private static func zoneSafeBatches(of nodes: [Node], size: Int, clusterOrder: [String]) -> [[Node]] {
        var queues: [String: ArraySlice<Node>] = [:]
        for node in nodes { queues[node.cluster, default: []].append(node) }
        let order = clusterOrder.filter { queues[$0] != nil }
        var result: [[Node]] = []
        while order.contains(where: { !(queues[$0]?.isEmpty ?? true) }) {
            var batch: [Node] = []
            var zoneOfCluster: [String: String] = [:]
            var progressed = true
            while progressed && batch.count < size {
                progressed = false
                for name in order where batch.count < size {
                    guard let node = queues[name]?.first else { continue }
                    if let zone = zoneOfCluster[name], zone != node.zone { continue }
                    zoneOfCluster[name] = node.zone
                    queues[name]?.removeFirst()
                    batch.append(node)
                    progressed = true
                }
            }
            result.append(batch)
        }
        return result
    }
}
