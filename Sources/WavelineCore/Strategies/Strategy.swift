/// How a deployment walks its nodes: phases in order, each in batches, gates between phases, a failure budget.
public struct Strategy: Sendable, Hashable, Codable {
    public var name: String
    public var description: String
    public var phases: [PhaseSpec]
    /// Failures tolerated over the whole deployment; one more halts it.
    public var failureBudget: Amount

    public init(name: String, description: String = "", phases: [PhaseSpec], failureBudget: Amount = .count(0)) {
        self.name = name
        self.description = description
        self.phases = phases
        self.failureBudget = failureBudget
    }
}

/// A number of nodes, absolute or as a share of a total.
public enum Amount: Sendable, Hashable, Codable, CustomStringConvertible {
    case count(Int)
    case percent(Double)

    /// Resolves against a total; a percent rounds up so that "10%" of 5 nodes is 1, not 0.
    public func resolve(of total: Int) -> Int {
        switch self {
        case .count(let n): return n
        case .percent(let p):
            // Round away binary noise first (8.8% of 375 is 33, not 33.000000000000004 → 34).
            let exact = (Double(total) * p / 100 * 1e6).rounded() / 1e6
            return Int(exact.rounded(.up))
        }
    }

    public var description: String {
        switch self {
        case .count(let n): return "\(n)"
        case .percent(let p):
            return p == p.rounded() ? "\(Int(p))%" : "\(p)%"
        }
    }
}

public struct PhaseSpec: Sendable, Hashable, Codable {
    public enum Size: Sendable, Hashable, Codable, CustomStringConvertible {
        case count(Int)
        case percent(Double)
        /// This many nodes of every selected cluster.
        case perCluster(Int)
        /// Every node the earlier phases did not take; the last phase always has this size.
        case rest

        public var description: String {
            switch self {
            case .count(let n): return "\(n)"
            case .percent(let p): return Amount.percent(p).description
            case .perCluster(let n): return "\(n)/cluster"
            case .rest: return "rest"
            }
        }
    }

    public enum Gate: Sendable, Hashable, Codable, CustomStringConvertible {
        /// The next phase starts as soon as this one is done.
        case automatic
        /// Wait this long after the phase is done, watching for trouble, then go on.
        case bake(Duration)
        /// A person approves before the next phase starts.
        case manual

        public var description: String {
            switch self {
            case .automatic: return "auto"
            case .bake(let d): return "bake \(d.components.seconds)s"
            case .manual: return "manual"
            }
        }
    }

    public var name: String
    public var size: Size
    /// Nodes per batch; batches of a phase run one after another.
    public var batchSize: Amount
    /// At most this many nodes of a batch run at once.
    public var parallelism: Int
    /// What happens after this phase, before the next one.
    public var gate: Gate
    /// Failures tolerated within this phase, on top of the deployment's budget.
    public var failureBudget: Amount?

    public init(
        name: String, size: Size, batchSize: Amount = .percent(100), parallelism: Int = 10,
        gate: Gate = .automatic, failureBudget: Amount? = nil
    ) {
        self.name = name
        self.size = size
        self.batchSize = batchSize
        self.parallelism = parallelism
        self.gate = gate
        self.failureBudget = failureBudget
    }
}

extension Strategy {
    /// The usual shape: one node per cluster first, fast, with no failure allowed; a short bake; then the
    /// rest in batches.
    public static let lightningThunder = Strategy(
        name: "lightning-thunder",
        description: "One node per cluster first (lightning), a short bake, then the rest in batches (thunder).",
        phases: [
            PhaseSpec(name: "lightning", size: .perCluster(1), batchSize: .percent(100), parallelism: 10,
                      gate: .bake(.seconds(5)), failureBudget: .count(0)),
            PhaseSpec(name: "thunder", size: .rest, batchSize: .percent(25), parallelism: 10, gate: .automatic),
        ],
        failureBudget: .count(1)
    )

    /// One node at a time, stopping at the first failure: for delicate changes.
    public static let oneByOne = Strategy(
        name: "one-by-one",
        description: "One node at a time; the first failure halts.",
        phases: [PhaseSpec(name: "all", size: .rest, batchSize: .count(1), parallelism: 1)],
        failureBudget: .count(0)
    )

    /// Everything in one batch, bounded by parallelism: for ad-hoc operations on a handful of nodes.
    public static let allAtOnce = Strategy(
        name: "all-at-once",
        description: "Every selected node in one batch, 50 at a time.",
        phases: [PhaseSpec(name: "all", size: .rest, batchSize: .percent(100), parallelism: 50)],
        failureBudget: .percent(100)
    )

    public static let builtIn: [Strategy] = [.lightningThunder, .oneByOne, .allAtOnce]
}
