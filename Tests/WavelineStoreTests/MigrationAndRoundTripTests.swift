import Testing
import WavelineCore
import WavelineStore

@Suite(.timeLimit(.minutes(1)))
struct MigrationAndRoundTripTests {
    /// The migrations create every table: each kind of row can be written and read back on a fresh database.
    /// Reopening runs the migrator again over an existing database; it must skip what is applied (a second
    /// CREATE TABLE would fail the open) and keep the data.
    @Test(arguments: StoreBackend.all)
    func migrationsCreateTheSchemaAndReopeningKeepsTheData(backend: StoreBackend) async throws {
        try await backend.withStore { harness in
            try await harness.store.write([
                .saveDeployment(Fixture.fullDeployment(1)),
                .savePhase(Fixture.phase(1, 0)),
                .saveTarget(Fixture.target(1, 0)),
                .saveStepRun(Fixture.stepRun(1, 0)),
                .appendLogs([Fixture.logLine(1, deployment: 1, target: 0, seq: 1)]),
                .appendEvent(Fixture.event(1, "started")),
            ])
            for _ in 0..<2 {
                try await harness.reopen()
                let store = harness.store
                #expect(try await store.deployment(1) == Fixture.fullDeployment(1))
                #expect(try await store.phases(of: 1) == [Fixture.phase(1, 0)])
                #expect(try await store.targets(of: 1) == [Fixture.target(1, 0)])
                #expect(try await store.stepRuns(of: 1, target: nil) == [Fixture.stepRun(1, 0)])
                #expect(try await store.logLines(of: 1, targets: nil, afterID: 0, limit: 10)
                    == [Fixture.logLine(1, deployment: 1, target: 0, seq: 1)])
                #expect(try await store.events(of: 1, afterID: 0, limit: 10).map(\.message) == ["started"])
                #expect(try await store.nextDeploymentID() == 2)
            }
        }
    }

    @Test(arguments: StoreBackend.all)
    func anEmptyStore(backend: StoreBackend) async throws {
        try await backend.withStore { harness in
            let store = harness.store
            #expect(try await store.nextDeploymentID() == 1)
            #expect(try await store.maxLogLineID() == 0)
            #expect(try await store.deployment(1) == nil)
            #expect(try await store.deployments(DeploymentQuery()).isEmpty)
            #expect(try await store.unfinishedDeployments().isEmpty)
            #expect(try await store.phases(of: 1).isEmpty)
            #expect(try await store.targets(of: 1).isEmpty)
            #expect(try await store.stepRuns(of: 1, target: nil).isEmpty)
            #expect(try await store.logLines(of: 1, targets: nil, afterID: 0, limit: 10).isEmpty)
            #expect(try await store.lastLogLines(of: 1, target: 0, count: 10).isEmpty)
            #expect(try await store.events(of: nil, afterID: 0, limit: 10).isEmpty)
            try await store.write([])
        }
    }

    @Test(arguments: StoreBackend.all)
    func deploymentsRoundTripAndUpsertsReplaceEveryField(backend: StoreBackend) async throws {
        try await backend.withStore { harness in
            let store = harness.store
            // Every optional nil, then every optional set, then back to nil: each write replaces the row.
            var bare = Fixture.deployment(7, status: .queued)
            bare.ticket = nil
            try await store.write([.saveDeployment(bare)])
            #expect(try await store.deployment(7) == bare)

            let full = Fixture.fullDeployment(7)
            try await store.write([.saveDeployment(full)])
            let read = try #require(try await store.deployment(7))
            #expect(read == full)
            #expect(try read.decodedOperation() == Fixture.operation)
            #expect(read.parameters == ["version": "3.8", "note": "it's \"quoted\" — ✓"])
            #expect(read.selection == Selection(environments: ["prod"], products: ["kafka"], labels: ["role": "broker"]))

            var changed = Fixture.deployment(7, status: .rollingBack, environments: ["dev", "prod"],
                                             products: ["valkey"], requestedBy: "bob", createdAt: 5)
            changed.ticket = ""
            changed.failureBudget = 0
            changed.targetCount = 3
            try await store.write([.saveDeployment(changed)])
            #expect(try await store.deployment(7) == changed)
            #expect(try await store.deployments(DeploymentQuery()) == [changed], "an upsert never adds a row")
        }
    }

    @Test(arguments: StoreBackend.all)
    func phasesTargetsAndStepRunsRoundTripAndUpsertsReplaceEveryField(backend: StoreBackend) async throws {
        try await backend.withStore { harness in
            let store = harness.store
            try await store.write([.saveDeployment(Fixture.deployment(1)), .saveDeployment(Fixture.deployment(2))])

            // Phases: full, then optionals cleared and other fields changed.
            let phase = Fixture.phase(1, 0)
            var second = Fixture.phase(1, 1)
            second.name = "thunder"
            try await store.write([.savePhase(second), .savePhase(phase), .savePhase(Fixture.phase(2, 0))])
            #expect(try await store.phases(of: 1) == [phase, second], "phases come in index order")
            #expect(try await store.phases(of: 1).first?.state.gate == .bake(.seconds(300)))
            var cleared = phase
            cleared.failureBudget = nil
            cleared.gateOpensAt = nil
            cleared.approvedBy = nil
            cleared.startedAt = nil
            cleared.finishedAt = nil
            cleared.status = .completed
            cleared.kind = .rollback
            cleared.gate = .manual
            cleared.batches = [[2, 1, 0]]
            cleared.parallelism = 1
            try await store.write([.savePhase(cleared)])
            #expect(try await store.phases(of: 1) == [cleared, second])
            #expect(try await store.phases(of: 1).first?.state.batches == [[2, 1, 0]])

            // Targets.
            let target = Fixture.target(1, 0)
            try await store.write([.saveTarget(Fixture.target(1, 1)), .saveTarget(target), .saveTarget(Fixture.target(2, 0))])
            #expect(try await store.targets(of: 1) == [target, Fixture.target(1, 1)])
            let stored = try #require(try await store.targets(of: 1).first)
            #expect(try stored.decodedNode() == Node(
                name: "kafka-prod-0", cluster: "kafka-prod", zone: "az1", labels: ["role": "broker"],
                variables: ["BROKER_ID": "0"], connection: .local(LocalConnection(directory: "/srv/kafka-0"))))
            #expect(stored.failure == FailurePoint(stage: .postCheck, step: "healthy", exitCode: 3, reason: "exited 3 after 4 tries"))
            var retried = target
            retried.status = .running
            retried.attempt = 3
            retried.currentStep = nil
            retried.failure = nil
            retried.finishedAt = nil
            retried.startedAt = nil
            retried.kind = .rollback
            try await store.write([.saveTarget(retried)])
            #expect(try await store.targets(of: 1) == [retried, Fixture.target(1, 1)])
            #expect(try await store.targets(of: 1).first?.failure == nil)

            // Step runs: per target or all, by target then start time then attempt.
            let first = Fixture.stepRun(1, 0, attempt: 1, startedAt: 10)
            let again = Fixture.stepRun(1, 0, attempt: 2, startedAt: 20)
            let other = Fixture.stepRun(1, 1, attempt: 1, startedAt: 5)
            try await store.write([.saveStepRun(again), .saveStepRun(other), .saveStepRun(first),
                                   .saveStepRun(Fixture.stepRun(2, 0))])
            #expect(try await store.stepRuns(of: 1, target: nil) == [first, again, other])
            #expect(try await store.stepRuns(of: 1, target: 1) == [other])
            var running = StepRunRecord(deploymentId: 1, targetIndex: 0, stage: .postCheck, stepIndex: 0, attempt: 1,
                                        name: "healthy", startedAt: 11)
            running.status = .interrupted
            try await store.write([.saveStepRun(running)])
            #expect(try await store.stepRuns(of: 1, target: 0) == [running, again])
        }
    }

    @Test(arguments: StoreBackend.all)
    func nextDeploymentIDFollowsTheHighestID(backend: StoreBackend) async throws {
        try await backend.withStore { harness in
            #expect(try await harness.store.nextDeploymentID() == 1)
            try await harness.store.write([.saveDeployment(Fixture.deployment(1))])
            #expect(try await harness.store.nextDeploymentID() == 2)
            try await harness.store.write([.saveDeployment(Fixture.deployment(41)), .saveDeployment(Fixture.deployment(5))])
            #expect(try await harness.store.nextDeploymentID() == 42)
            try await harness.reopen()
            #expect(try await harness.store.nextDeploymentID() == 42)
        }
    }
}
