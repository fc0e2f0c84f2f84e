import WavelineCore

// The JSON shapes of the catalog routes. Catalog types get views of their own rather than the Swift types'
// synthesized coding, so the contract reads as plain JSON (durations in seconds, sizes and gates as the
// strategy files spell them).

public struct OperationList: Codable, Sendable {
    public var operations: [OperationView]

    public init(operations: [OperationView]) {
        self.operations = operations
    }
}

public struct StrategyList: Codable, Sendable {
    public var strategies: [StrategyView]

    public init(strategies: [StrategyView]) {
        self.strategies = strategies
    }
}

public struct OperationView: Codable, Sendable {
    public var name: String
    public var description: String
    public var role: String
    public var idempotent: Bool
    public var parameters: [ParameterView]
    public var preChecks: [CheckView]
    public var steps: [StepView]
    public var postChecks: [CheckView]
    public var rollback: [StepView]

    public init(_ operation: Operation) {
        name = operation.name
        description = operation.description
        role = operation.role
        idempotent = operation.idempotent
        parameters = operation.parameters.map(ParameterView.init)
        preChecks = operation.preChecks.map(CheckView.init)
        steps = operation.steps.map(StepView.init)
        postChecks = operation.postChecks.map(CheckView.init)
        rollback = operation.rollback.map(StepView.init)
    }
}

public struct ParameterView: Codable, Sendable {
    public var name: String
    /// `string`, `multiline`, `int`, `bool` or `enum`.
    public var type: String
    /// The allowed values of an `enum`.
    public var values: [String]?
    public var required: Bool
    public var defaultValue: String?
    public var pattern: String?
    public var description: String

    public init(_ parameter: Parameter) {
        name = parameter.name
        switch parameter.kind {
        case .string: type = "string"
        case .multiline: type = "multiline"
        case .int: type = "int"
        case .bool: type = "bool"
        case .oneOf(let allowed):
            type = "enum"
            values = allowed
        }
        required = parameter.required
        defaultValue = parameter.defaultValue
        pattern = parameter.pattern
        description = parameter.description
    }

    enum CodingKeys: String, CodingKey {
        case name, type, values, required, defaultValue = "default", pattern, description
    }
}

/// A step's command: exactly one of `run` (an argument list) and `shell` (a script) is present.
public struct StepView: Codable, Sendable {
    public var name: String
    public var run: [String]?
    public var shell: String?
    /// Seconds.
    public var timeout: Double

    public init(_ step: Step) {
        name = step.name
        (run, shell) = Self.command(step.command)
        timeout = step.timeout.seconds
    }

    static func command(_ command: Command) -> ([String]?, String?) {
        switch command {
        case .argv(let arguments): return (arguments, nil)
        case .shell(let script): return (nil, script)
        }
    }
}

public struct CheckView: Codable, Sendable {
    public var name: String
    public var run: [String]?
    public var shell: String?
    public var retries: Int
    /// Seconds between tries.
    public var interval: Double
    /// Seconds.
    public var timeout: Double

    public init(_ check: Check) {
        name = check.name
        (run, shell) = StepView.command(check.command)
        retries = check.retries
        interval = check.interval.seconds
        timeout = check.timeout.seconds
    }
}

public struct StrategyView: Codable, Sendable {
    public var name: String
    public var description: String
    /// A count (`1`) or a percent (`10%`).
    public var failureBudget: String
    public var phases: [PhaseSpecView]

    public init(_ strategy: Strategy) {
        name = strategy.name
        description = strategy.description
        failureBudget = strategy.failureBudget.description
        phases = strategy.phases.map(PhaseSpecView.init)
    }
}

public struct PhaseSpecView: Codable, Sendable {
    public var name: String
    /// `3`, `10%`, `1/cluster` or `rest`.
    public var size: String
    /// A count or a percent.
    public var batchSize: String
    public var parallelism: Int
    /// `auto`, `bake <seconds>s` or `manual`.
    public var gate: String
    public var failureBudget: String?

    public init(_ spec: PhaseSpec) {
        name = spec.name
        size = spec.size.description
        batchSize = spec.batchSize.description
        parallelism = spec.parallelism
        gate = spec.gate.description
        failureBudget = spec.failureBudget?.description
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
