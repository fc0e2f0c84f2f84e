import Foundation
import Testing
import WavelineCore

@Suite("Strategy files")
struct StrategyLoaderTests {
    static let careful = """
        name: careful
        description: Slowly.
        failure_budget: 10%
        phases:
          - name: lightning
            size: 1/cluster
            batch_size: 1
            parallelism: 5
            gate: bake 5m
            failure_budget: 0
          - name: canary
            size: 10%
            gate: manual
          - name: thunder
            size: rest
            batch_size: 25%
        """

    @Test func validStrategyLoadsWithDefaults() throws {
        let dir = try FilesTestDirectory()
        let file = try dir.write("careful.yaml", Self.careful)
        let expected = Strategy(
            name: "careful", description: "Slowly.",
            phases: [
                PhaseSpec(name: "lightning", size: .perCluster(1), batchSize: .count(1), parallelism: 5,
                          gate: .bake(.seconds(300)), failureBudget: .count(0)),
                PhaseSpec(name: "canary", size: .percent(10), batchSize: .percent(100), parallelism: 10, gate: .manual),
                PhaseSpec(name: "thunder", size: .rest, batchSize: .percent(25), parallelism: 10, gate: .automatic),
            ],
            failureBudget: .percent(10)
        )
        #expect(try StrategyLoader.loadStrategy(file: file) == expected)
    }

    @Test func directoryLoadsFileStrategiesNextToTheBuiltInOnes() throws {
        let dir = try FilesTestDirectory()
        try dir.write("careful.yaml", Self.careful)
        try dir.write("simple.yml", "name: simple\nphases:\n  - name: all\n    size: rest\n")
        let loaded = try StrategyLoader.load(directory: dir.path)
        #expect(loaded.map(\.name) == ["careful", "simple"])
        #expect(loaded[1] == Strategy(name: "simple", phases: [PhaseSpec(name: "all", size: .rest)]))
        let available = try StrategyLoader.available(directory: dir.path)
        #expect(available.map(\.name) == Strategy.builtIn.map(\.name) + ["careful", "simple"])
    }

    @Test func everyProblemOfAFileIsReported() throws {
        let dir = try FilesTestDirectory()
        let file = try dir.write("bad.yaml", """
            name: one-by-one
            failure_budget: lots
            phases:
              - name: first
                size: rest
                batch_size: 0
                parallelism: ten
                gate: bake
              - name: second
                size: 0%
                batch_size: 150%
                parallelism: 0
                failure_budget: -1
              - name: second
                size: 3
                gate: later
            """)
        let found = thrownDiagnostics { try StrategyLoader.loadStrategy(file: file) }
        expectFileDiagnostic(found, file, 1, 7, "strategy 'one-by-one' has the name of a built-in strategy")
        expectFileDiagnostic(found, file, 2, 17, exactly:
            "'failure_budget' must be a count (0 or more) or a percentage such as 10%, got 'lots'")
        expectFileDiagnostic(found, file, 5, 11, exactly: "phase 'first' has size 'rest', but only the last phase may")
        expectFileDiagnostic(found, file, 6, 17, exactly:
            "'batch_size' must be a count (1 or more) or a percentage above 0% and at most 100%, got '0'")
        expectFileDiagnostic(found, file, 7, 18, exactly: "'parallelism' must be a whole number, got 'ten'")
        expectFileDiagnostic(found, file, 8, 11, "'gate' must be auto, manual, or 'bake' and a duration")
        expectFileDiagnostic(found, file, 10, 11, exactly:
            "'size' must be a count (3), a percentage (10%), a count per cluster (1/cluster) or 'rest', got '0%'")
        expectFileDiagnostic(found, file, 11, 17, "'batch_size' must be a count (1 or more) or a percentage above 0%")
        expectFileDiagnostic(found, file, 12, 18, exactly: "'parallelism' must be 1 or more, got '0'")
        expectFileDiagnostic(found, file, 13, 21, "'failure_budget' must be a count (0 or more)")
        expectFileDiagnostic(found, file, 14, 5, exactly: "duplicate phase 'second' (first defined at \(file):9:5)")
        expectFileDiagnostic(found, file, 15, 11, "the last phase, 'second', must have size 'rest'")
        expectFileDiagnostic(found, file, 16, 11, "got 'later'")
        #expect(found.count == 13, "\(renderDiagnostics(found))")
        expectSortedDiagnostics(found)
    }

    @Test func phasesAreRequired() throws {
        let dir = try FilesTestDirectory()
        let missing = try dir.write("missing.yaml", "name: nothing\n")
        let empty = try dir.write("empty.yaml", "name: empty\nphases: []\n")
        expectFileDiagnostic(thrownDiagnostics { try StrategyLoader.loadStrategy(file: missing) }, missing, 1, 1,
                         exactly: "strategy 'nothing' is missing 'phases'")
        expectFileDiagnostic(thrownDiagnostics { try StrategyLoader.loadStrategy(file: empty) }, empty, 2, 9,
                         "strategy 'empty' has no phases")
    }

    @Test func sizesAndBudgetsAcceptTheirForms() throws {
        let dir = try FilesTestDirectory()
        let file = try dir.write("forms.yaml", """
            name: forms
            failure_budget: 0%
            phases:
              - name: a
                size: 3
                failure_budget: 100%
              - name: b
                size: 12.5%
                batch_size: 100%
                gate: auto
              - name: c
                size: rest
                gate: bake 90
            """)
        let strategy = try StrategyLoader.loadStrategy(file: file)
        #expect(strategy.failureBudget == .percent(0))
        #expect(strategy.phases.map(\.size) == [.count(3), .percent(12.5), .rest])
        #expect(strategy.phases[0].failureBudget == .percent(100))
        #expect(strategy.phases[2].gate == .bake(.seconds(90)))
    }

    @Test func duplicateNamesAcrossFilesAreReported() throws {
        let dir = try FilesTestDirectory()
        let a = try dir.write("a.yaml", "name: same\nphases:\n  - name: all\n    size: rest\n")
        let b = try dir.write("b.yaml", "name: same\nphases:\n  - name: all\n    size: rest\n")
        let found = thrownDiagnostics { try StrategyLoader.load(directory: dir.path) }
        expectFileDiagnostic(found, b, 1, 7, exactly: "duplicate strategy 'same' (first defined at \(a):1:7)")
    }
}
