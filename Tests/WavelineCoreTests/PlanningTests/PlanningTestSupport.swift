import Foundation
import Testing
import WavelineCore

/// SplitMix64: a tiny, fast, seeded generator, so every generated case is reproduced from its seed alone.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &self) }
    mutating func chance(_ probability: Double) -> Bool { Double.random(in: 0..<1, using: &self) < probability }
    mutating func pick<T>(_ items: [T]) -> T { items[int(0...(items.count - 1))] }
}

/// Collects the broken invariants of one generated case, so a failure is reported once, with its seed and
/// everything that went wrong, instead of as hundreds of separate issues.
struct InvariantLog {
    let seed: UInt64
    private(set) var failures: [String] = []

    init(seed: UInt64) { self.seed = seed }

    mutating func check(_ condition: Bool, _ message: @autoclosure () -> String) {
        if !condition { failures.append(message()) }
    }

    mutating func fail(_ message: String) { failures.append(message) }

    /// Records one issue naming the seed; returns whether the case passed.
    @discardableResult
    func report(_ what: String, context: @autoclosure () -> String, sourceLocation: Testing.SourceLocation = #_sourceLocation) -> Bool {
        guard !failures.isEmpty else { return true }
        let shown = failures.prefix(12).map { "  - " + $0 }.joined(separator: "\n")
        let more = failures.count > 12 ? "\n  … and \(failures.count - 12) more" : ""
        Issue.record(
            "\(what) failed for seed \(seed) (rerun just this case with WAVELINE_PLANNING_SEED=\(seed)):\n\(shown)\(more)\n\(context())",
            sourceLocation: sourceLocation
        )
        return false
    }
}

/// A generated inventory, selection and strategy.
struct GeneratedCase {
    static let environmentNames = ["test", "dev", "prod"]
    static let productNames = ["kafka", "valkey", "mongodb", "trino"]
    static let zoneNames = ["az-a", "az-b", "az-c"]

    let seed: UInt64
    let inventory: Inventory
    let selected: [Node]
    let strategy: Strategy

    init(seed: UInt64, inventory: Inventory, selected: [Node], strategy: Strategy) {
        self.seed = seed
        self.inventory = inventory
        self.selected = selected
        self.strategy = strategy
    }

    init(seed: UInt64) {
        self.seed = seed
        var rng = SplitMix64(seed: seed)

        var clusters: [Cluster] = []
        for c in 0..<rng.int(1...12) {
            let name = "c\(c)"
            // The declared zone order is random too, so "zone order" is not accidentally alphabetical.
            let zones = Array(Self.zoneNames.shuffled(using: &rng).prefix(rng.int(1...3)))
            var nodes: [Node] = []
            for n in 0..<rng.int(0...15) {
                nodes.append(Node(
                    name: "\(name)-n\(n)", cluster: name, zone: rng.pick(zones),
                    labels: ["role": rng.pick(["broker", "controller"])]
                ))
            }
            clusters.append(Cluster(
                name: name, product: rng.pick(Self.productNames), environment: rng.pick(Self.environmentNames),
                zones: zones, nodes: nodes
            ))
        }
        if clusters.allSatisfy({ $0.nodes.isEmpty }) {
            clusters[0].nodes = [Node(name: "c0-n0", cluster: "c0", zone: clusters[0].zones[0])]
        }
        let inventory = Inventory(
            environments: Self.environmentNames.map { Environment(name: $0) },
            products: Self.productNames.map { Product(name: $0, owner: "team") },
            clusters: clusters
        )
        self.inventory = inventory

        let selection: Selection
        switch rng.int(0...3) {
        case 0: selection = Selection(environments: Self.environmentNames)
        case 1: selection = Selection(products: Self.productNames.filter { _ in rng.chance(0.6) })
        case 2: selection = Selection(clusters: clusters.map(\.name).filter { _ in rng.chance(0.5) })
        default: selection = Selection(environments: [rng.pick(Self.environmentNames)], labels: ["role": "broker"])
        }
        if !selection.isEmpty, let chosen = try? inventory.select(selection) {
            selected = chosen
        } else {
            selected = inventory.nodes
        }

        var phases: [PhaseSpec] = []
        let phaseCount = rng.int(1...4)
        for index in 0..<phaseCount {
            let size: PhaseSpec.Size
            if index == phaseCount - 1 {
                size = .rest
            } else {
                switch rng.int(0...2) {
                case 0: size = .count(rng.int(1...8))
                case 1: size = .percent(rng.chance(0.7) ? Double(rng.int(1...70)) : Double(rng.int(1...700)) / 10)
                default: size = .perCluster(rng.int(1...3))
                }
            }
            let batchSize: Amount = rng.chance(0.5) ? .count(rng.int(1...6)) : .percent(Double(rng.int(5...100)))
            let gate: PhaseSpec.Gate
            switch rng.int(0...2) {
            case 0: gate = .automatic
            case 1: gate = .bake(.seconds(rng.int(1...900)))
            default: gate = .manual
            }
            var budget: Amount?
            if rng.chance(0.4) {
                budget = rng.chance(0.5) ? .count(rng.int(0...2)) : .percent(Double(rng.int(0...50)))
            }
            phases.append(PhaseSpec(
                name: "phase\(index)", size: size, batchSize: batchSize, parallelism: rng.int(1...8), gate: gate,
                failureBudget: budget
            ))
        }
        strategy = Strategy(
            name: "generated", phases: phases,
            failureBudget: rng.chance(0.5) ? .count(rng.int(0...4)) : .percent(Double(rng.int(0...40)))
        )
    }

    /// Enough to read a failing case without re-running it.
    var summary: String {
        let clusters = inventory.clusters.map { cluster in
            let nodes = cluster.nodes.map { "\($0.name)@\($0.zone)" }.joined(separator: " ")
            return "  \(cluster.name) [\(cluster.environment)/\(cluster.product)] zones \(cluster.zones): \(nodes)"
        }.joined(separator: "\n")
        let phases = strategy.phases.map { spec in
            "  \(spec.name): size \(spec.size), batch \(spec.batchSize), parallelism \(spec.parallelism), "
                + "gate \(spec.gate), budget \(spec.failureBudget?.description ?? "-")"
        }.joined(separator: "\n")
        return """
            inventory:
            \(clusters)
            selected: \(selected.map(\.name).joined(separator: " "))
            strategy (deployment budget \(strategy.failureBudget)):
            \(phases)
            """
    }
}

/// The seeds the property tests run; fixed so a failure reproduces on every machine. For a deeper run set
/// `WAVELINE_PLANNING_SEEDS=20000`; to rerun one failing case, `WAVELINE_PLANNING_SEED=<seed>`.
let generatedSeeds: [UInt64] = {
    let environment = ProcessInfo.processInfo.environment
    if let seed = environment["WAVELINE_PLANNING_SEED"].flatMap(UInt64.init) { return [seed] }
    let count = environment["WAVELINE_PLANNING_SEEDS"].flatMap(UInt64.init) ?? 400
    return Array(1...max(1, count))
}()

/// Describes a plan phase by phase and batch by batch, for failure messages.
func describe(_ plan: Plan) -> String {
    plan.phases.enumerated().map { index, phase in
        let batches = phase.batches.map { batch in
            "[" + batch.map { "\(plan.targets[$0].node.name)@\(plan.targets[$0].node.zone)" }.joined(separator: " ") + "]"
        }.joined(separator: " ")
        return "  phase \(index) \(phase.name) (gate \(phase.gate), parallelism \(phase.parallelism), "
            + "budget \(phase.failureBudget.map(String.init) ?? "-")): \(batches)"
    }.joined(separator: "\n") + "\n  deployment budget \(plan.failureBudget)"
}
