import Testing
import WavelineCore
import WavelineStore

/// Many writers at once, as the engine's target runners are: the group commit must land each writer's
/// changes, and one writer's bad change must fail that writer alone.
@Suite(.timeLimit(.minutes(1)))
struct ConcurrentWriteTests {
    @Test(arguments: StoreBackend.all)
    func fiftyConcurrentWritersOfTwentyChangesAllLand(backend: StoreBackend) async throws {
        try await backend.withStore { harness in
            let store = harness.store
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 1...50 {
                    group.addTask {
                        let deployment = Int64(writer)
                        // 20 writes: the deployment, then targets, events and log lines in turn.
                        try await store.write([.saveDeployment(Fixture.deployment(deployment))])
                        for change in 1..<20 {
                            switch change % 3 {
                            case 0: try await store.write([.saveTarget(Fixture.target(deployment, change))])
                            case 1: try await store.write([.appendEvent(Fixture.event(deployment, "change \(change)"))])
                            default:
                                let id = Int64(writer * 100 + change)
                                try await store.write([.appendLogs([Fixture.logLine(id, deployment: deployment, target: 0, seq: change)])])
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            // Per writer: changes 3, 6, …, 18 are targets (6), 1, 4, …, 19 events (7), 2, 5, …, 17 log lines (6).
            #expect(try await store.deployments(DeploymentQuery(limit: 1_000)).count == 50)
            #expect(try await store.nextDeploymentID() == 51)
            var events: [EventRecord] = []
            for writer in 1...50 {
                let deployment = Int64(writer)
                #expect(try await store.targets(of: deployment).map(\.targetIndex) == [3, 6, 9, 12, 15, 18])
                let mine = try await store.events(of: deployment, afterID: 0, limit: 100)
                #expect(mine.map(\.message) == stride(from: 1, to: 20, by: 3).map { "change \($0)" },
                        "a writer's events keep its order")
                events += mine
                #expect(try await store.logLines(of: deployment, targets: [0], afterID: 0, limit: 100).map(\.seq)
                    == [2, 5, 8, 11, 14, 17])
            }
            #expect(events.count == 350)
            #expect(events.map(\.id).sorted() == Array(1...350), "event ids are unique and without gaps")
        }
    }

    @Test(arguments: StoreBackend.all)
    func aBadChangeFailsOnlyItsWriter(backend: StoreBackend) async throws {
        try await backend.withStore { harness in
            let store = harness.store
            try await store.write([.saveDeployment(Fixture.deployment(1))])
            let outcomes = await withTaskGroup(of: (Int, (any Error)?).self) { group in
                for writer in 0..<30 {
                    group.addTask {
                        var changes: [StoreChange] = [
                            .saveTarget(Fixture.target(1, writer)),
                            .appendEvent(Fixture.event(1, "writer \(writer)")),
                        ]
                        if writer == 13 {
                            // A step run of a target that does not exist: the foreign key rejects it.
                            changes.append(.saveStepRun(Fixture.stepRun(1, 999)))
                        }
                        do {
                            try await store.write(changes)
                            return (writer, nil)
                        } catch {
                            return (writer, error)
                        }
                    }
                }
                var outcomes: [Int: (any Error)?] = [:]
                for await (writer, error) in group { outcomes[writer] = error }
                return outcomes
            }
            for (writer, error) in outcomes.sorted(by: { $0.key < $1.key }) {
                if writer == 13 {
                    #expect(error is StoreError, "writer 13 should fail with a StoreError, got \(String(describing: error))")
                } else {
                    #expect(error == nil, "writer \(writer) failed: \(String(describing: error))")
                }
            }
            // The bad writer's whole write is rolled back, its good changes too; the others' all land.
            let targets = try await store.targets(of: 1).map(\.targetIndex)
            #expect(targets == Array(0..<30).filter { $0 != 13 })
            let events = try await store.events(of: 1, afterID: 0, limit: 100)
            #expect(Set(events.map(\.message)) == Set((0..<30).filter { $0 != 13 }.map { "writer \($0)" }))
            #expect(events.map(\.id) == Array(1...29), "no event id is burnt by the failed write")
            #expect(try await store.stepRuns(of: 1, target: nil).isEmpty)

            // The store goes on working after a failed group.
            try await store.write([.saveStepRun(Fixture.stepRun(1, 0)), .appendEvent(Fixture.event(1, "after"))])
            #expect(try await store.stepRuns(of: 1, target: nil) == [Fixture.stepRun(1, 0)])
            #expect(try await store.events(of: 1, afterID: 29, limit: 10).map(\.id) == [30])
        }
    }

    @Test(arguments: StoreBackend.all)
    func constraintViolationsAreStoreErrors(backend: StoreBackend) async throws {
        try await backend.withStore { harness in
            let store = harness.store
            // A phase or target of a deployment that does not exist.
            await #expect(throws: StoreError.self) { try await store.write([.savePhase(Fixture.phase(5, 0))]) }
            await #expect(throws: StoreError.self) { try await store.write([.saveTarget(Fixture.target(5, 0))]) }
            // A log line id used twice.
            let line = Fixture.logLine(1, deployment: 1, target: 0, seq: 1)
            try await store.write([.appendLogs([line])])
            await #expect(throws: StoreError.self) {
                try await store.write([.appendEvent(Fixture.event(nil, "lost")), .appendLogs([line])])
            }
            #expect(try await store.events(of: nil, afterID: 0, limit: 10).isEmpty, "a failed write stores nothing")
            #expect(try await store.phases(of: 5).isEmpty)
            #expect(try await store.targets(of: 5).isEmpty)
        }
    }
}
