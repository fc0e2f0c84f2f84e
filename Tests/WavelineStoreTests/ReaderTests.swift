import Testing
import WavelineCore
import WavelineStore

/// The store's reader face: what pages and routes read.
@Suite(.timeLimit(.minutes(1)))
struct ReaderTests {
    /// The deployment page shows the latest events: asked for them, the store returns only those, newest
    /// first, of that deployment alone, however long its trail.
    @Test(arguments: StoreBackend.all)
    func theLatestEventsOfADeploymentAreReadNewestFirstAndNoMore(backend: StoreBackend) async throws {
        try await backend.withStore { harness in
            let store = harness.store
            try await store.write([.saveDeployment(Fixture.deployment(1)), .saveDeployment(Fixture.deployment(2))])
            for index in 1...40 {
                try await store.write([.appendEvent(Fixture.event(index % 4 == 0 ? 2 : 1, "event \(index)"))])
            }
            let reader: any DeploymentReader = store
            let latest = try await reader.events(EventQuery(deploymentID: 1, newestFirst: true, limit: 15))
            let all = try await reader.events(EventQuery(deploymentID: 1, limit: 1000))
            #expect(all.count == 30)
            #expect(latest.map(\.id) == all.suffix(15).reversed().map(\.id))
            #expect(latest.allSatisfy { $0.deploymentId == 1 })
        }
    }

    /// Records show their JSON columns decoded: what is set is what is read back, without a caller ever
    /// seeing the JSON.
    @Test(arguments: StoreBackend.all)
    func recordsShowTheirNestedValuesDecoded(backend: StoreBackend) async throws {
        try await backend.withStore { harness in
            let store = harness.store
            var deployment = Fixture.deployment(1)
            deployment.parameters = ["version": "3.9"]
            var phase = Fixture.phase(1, 0)
            phase.gate = .manual
            phase.batches = [[1], [0, 2]]
            var target = Fixture.target(1, 0)
            target.failure = FailurePoint(stage: .step, step: "restart", exitCode: nil, reason: "killed")
            try await store.write([.saveDeployment(deployment), .savePhase(phase), .saveTarget(target)])
            let reader: any DeploymentReader = store
            #expect(try await reader.deployment(1)?.parameters == ["version": "3.9"])
            #expect(try await reader.deployment(1)?.selection == Fixture.deployment(1).selection)
            #expect(try await reader.phases(of: 1).first?.gate == .manual)
            #expect(try await reader.phases(of: 1).first?.batches == [[1], [0, 2]])
            #expect(try await reader.targets(of: 1).first?.failure == FailurePoint(stage: .step, step: "restart", exitCode: nil, reason: "killed"))
            #expect(try await reader.targets(of: 1).first?.decodedNode() == Fixture.target(1, 0).decodedNode())
        }
    }

    /// A log line's stream is one of three, read back as written.
    @Test(arguments: StoreBackend.all)
    func aLinesStreamIsReadBackAsWritten(backend: StoreBackend) async throws {
        try await backend.withStore { harness in
            let store = harness.store
            try await store.write([.saveDeployment(Fixture.deployment(1)), .saveTarget(Fixture.target(1, 0))])
            let lines = LogStream.allCases.enumerated().map { index, stream in
                LogLineRecord(id: Int64(index + 1), deploymentId: 1, targetIndex: 0, seq: index + 1, time: 1, stream: stream, step: nil, text: stream.rawValue)
            }
            try await store.write([.appendLogs(lines)])
            let read = try await store.logLines(of: 1, targets: nil, afterID: 0, limit: 10)
            #expect(read.map(\.stream) == LogStream.allCases)
            #expect(try await store.lastLogLines(of: 1, target: 0, count: 1).map(\.stream) == [.system])
        }
    }
}
