/// Reads deployment strategies: a directory with one strategy per `*.yaml`/`*.yml` file, next to the
/// built-in ones (`Strategy.builtIn`), whose names a file may not take.
public enum StrategyLoader {
    /// The strategies defined in files of `directory`, in file name order; not the built-in ones (see
    /// `available(directory:)`).
    ///
    /// - Throws: `DiagnosticsError` with every problem of every file, names used twice and built-in names taken.
    public static func load(directory: String) throws -> [Strategy] {
        let collector = DiagnosticCollector()
        var strategies: [Strategy] = []
        var first: [String: SourceLocation] = [:]
        for file in YAMLFile.files(inDirectory: directory, into: collector) ?? [] {
            guard let strategy = read(file: file, into: collector) else { continue }
            if let earlier = first[strategy.value.name] {
                collector.error("duplicate strategy '\(strategy.value.name)' (first defined at \(earlier))",
                                at: strategy.location)
                continue
            }
            first[strategy.value.name] = strategy.location
            strategies.append(strategy.value)
        }
        try collector.throwIfAny()
        return strategies
    }

    /// The built-in strategies followed by those of `directory`.
    ///
    /// - Throws: `DiagnosticsError`, as `load(directory:)`.
    public static func available(directory: String) throws -> [Strategy] {
        Strategy.builtIn + (try load(directory: directory))
    }

    /// The strategy in one file.
    ///
    /// - Throws: `DiagnosticsError` with every problem in the file.
    public static func loadStrategy(file: String) throws -> Strategy {
        let collector = DiagnosticCollector()
        let strategy = read(file: file, into: collector)
        try collector.throwIfAny()
        guard let strategy else { throw DiagnosticsError([Diagnostic("no strategy in '\(file)'", at: nil)]) }
        return strategy.value
    }

    /// The strategy, located at its name, or nil after recording why there is none.
    static func read(file: String, into collector: DiagnosticCollector) -> LocatedValue<Strategy>? {
        guard let root = YAMLFile.root(of: file, into: collector) else { return nil }
        return StrategyReader.strategy(root)
    }
}

enum StrategyReader {
    static func strategy(_ root: YAMLValue) -> LocatedValue<Strategy>? {
        guard let m = root.mapping(kind: "strategy", allowed: ["name", "description", "failure_budget", "phases"]) else {
            return nil
        }
        let name = m.name(kind: "strategy")
        if let name, Strategy.builtIn.contains(where: { $0.name == name.value }) {
            m.collector.error(
                "strategy '\(name.value)' has the name of a built-in strategy; built-in strategies: "
                    + "\(Strategy.builtIn.map(\.name).listedForMessage); choose another name",
                at: name.location)
        }
        let description = m.string("description")?.value ?? ""
        let failureBudget = m.parsed("failure_budget") { ValueSyntax.amount($0, minimumCount: 0) }

        var phases: [PhaseSpec] = []
        if let phasesValue = m.required("phases"), let items = phasesValue.list("phases") {
            if items.isEmpty {
                phasesValue.error("\(m.subject) has no phases; 'phases' needs at least one, the last of size 'rest'")
            }
            let read = items.map(phase)
            var first: [String: SourceLocation] = [:]
            for (index, entry) in read.enumerated() {
                guard let entry else { continue }
                if let earlier = first[entry.phase.name] {
                    m.collector.error("duplicate phase '\(entry.phase.name)' (first defined at \(earlier))",
                                      at: entry.location)
                } else {
                    first[entry.phase.name] = entry.location
                }
                let isLast = index == items.count - 1
                if let size = entry.size {
                    if isLast && size.value != .rest {
                        m.collector.error(
                            "the last phase, '\(entry.phase.name)', must have size 'rest', so that every node is "
                                + "covered; add a last phase of size 'rest'",
                            at: size.location)
                    } else if !isLast && size.value == .rest {
                        m.collector.error(
                            "phase '\(entry.phase.name)' has size 'rest', but only the last phase may",
                            at: size.location)
                    }
                }
                phases.append(entry.phase)
            }
        }

        guard let name else { return nil }
        let strategy = Strategy(
            name: name.value, description: description, phases: phases,
            failureBudget: failureBudget?.value ?? .count(0)
        )
        return LocatedValue(value: strategy, location: name.location)
    }

    struct PhaseDraft {
        var phase: PhaseSpec
        var location: SourceLocation
        var size: LocatedValue<PhaseSpec.Size>?
    }

    static func phase(_ value: YAMLValue) -> PhaseDraft? {
        let keys = ["name", "size", "batch_size", "parallelism", "gate", "failure_budget"]
        guard let m = value.mapping(kind: "phase", allowed: keys) else { return nil }
        let name = m.string("name", required: true)
        let size = m.parsed("size", required: true, ValueSyntax.phaseSize)
        let batchSize = m.parsed("batch_size") { ValueSyntax.amount($0, minimumCount: 1) }
        let parallelism = m.int("parallelism")
        if let parallelism, parallelism.value < 1 {
            m.collector.error("'parallelism' must be 1 or more, got '\(parallelism.value)'", at: parallelism.location)
        }
        let gate = m.parsed("gate", ValueSyntax.gate)
        let failureBudget = m.parsed("failure_budget") { ValueSyntax.amount($0, minimumCount: 0) }
        guard let name else { return nil }
        let phase = PhaseSpec(
            name: name.value, size: size?.value ?? .rest, batchSize: batchSize?.value ?? .percent(100),
            parallelism: max(1, parallelism?.value ?? 10), gate: gate?.value ?? .automatic,
            failureBudget: failureBudget?.value
        )
        return PhaseDraft(phase: phase, location: m.location, size: size)
    }
}
