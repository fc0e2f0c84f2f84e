import Testing
import WavelineCore
import WavelineStore

@Suite(.timeLimit(.minutes(1)))
struct LogAndEventTests {
    /// 5,000 lines of deployment 1 over three targets, interleaved as a real run writes them, in one write.
    static let lines: [LogLineRecord] = {
        var seq = [0, 0, 0]
        return (1...5_000).map { id in
            let target = Int(id % 3)
            seq[target] += 1
            return Fixture.logLine(Int64(id), deployment: 1, target: target, seq: seq[target])
        }
    }()

    /// Reads everything after `afterID` page by page, checking each page is in id order.
    func pages(
        _ store: any DeploymentStore, deployment: Int64, target: Int?, limit: Int
    ) async throws -> (lines: [LogLineRecord], pages: Int) {
        var all: [LogLineRecord] = []
        var cursor: Int64 = 0
        var count = 0
        while true {
            let page = try await store.logLines(of: deployment, targets: target.map { [$0] }, afterID: cursor, limit: limit)
            #expect(page.count <= limit)
            guard let last = page.last else { return (all, count) }
            all += page
            cursor = last.id
            count += 1
            if count > 10_000 { Issue.record("paging does not end"); return (all, count) }
        }
    }

    @Test(arguments: StoreBackend.all)
    func fiveThousandLinesInOneWritePageInIDOrder(backend: StoreBackend) async throws {
        try await backend.withStore { harness in
            let store = harness.store
            let others = (5_001...5_100).map { Fixture.logLine(Int64($0), deployment: 2, target: 0, seq: $0 - 5_000) }
            try await store.write([.appendLogs(Self.lines)])
            try await store.write([.appendLogs(others)])
            #expect(try await store.maxLogLineID() == 5_100)

            let all = try await pages(store, deployment: 1, target: nil, limit: 700)
            #expect(all.lines == Self.lines, "every line, each field as written, in id order")
            #expect(all.pages == 8)
            for target in 0..<3 {
                let expected = Self.lines.filter { $0.targetIndex == target }
                let read = try await pages(store, deployment: 1, target: target, limit: 333)
                #expect(read.lines == expected, "target \(target)")
                #expect(read.lines.map(\.seq) == Array(1...expected.count))
            }
            #expect(try await pages(store, deployment: 2, target: nil, limit: 1_000).lines == others)
            #expect(try await store.logLines(of: 1, targets: [2], afterID: 4_990, limit: 10).map(\.id) == [4_991, 4_994, 4_997, 5_000])
            #expect(try await store.logLines(of: 1, targets: [0], afterID: 5_000, limit: 10).isEmpty)
            #expect(try await store.logLines(of: 3, targets: nil, afterID: 0, limit: 10).isEmpty)
        }
    }

    @Test(arguments: StoreBackend.all)
    func aDeploymentsWholeLogPagesInIDOrderAmongOtherDeploymentsLines(backend: StoreBackend) async throws {
        try await backend.withStore { harness in
            let store = harness.store
            // Deployments 1 and 2 run at once, three and two nodes; their lines interleave in id order. Lines of
            // deployment 1 start after some of 2's and end before 2's last; deployment 3 has nodes and no line.
            var changes: [StoreChange] = (1...3).map { .saveDeployment(Fixture.deployment($0)) }
            changes += (0..<3).map { .saveTarget(Fixture.target(1, $0)) } + (0..<2).map { .saveTarget(Fixture.target(2, $0)) }
            changes.append(.saveTarget(Fixture.target(3, 0)))
            try await store.write(changes)
            var seq: [Int64: [Int: Int]] = [:]
            let lines: [LogLineRecord] = (1...3_000).map { id in
                let deployment: Int64 = (id <= 200 || id > 2_900 || id % 4 == 0) ? 2 : 1
                let target = Int(id / 7) % (deployment == 1 ? 3 : 2)
                seq[deployment, default: [:]][target, default: 0] += 1
                return Fixture.logLine(Int64(id), deployment: deployment, target: target, seq: seq[deployment]![target]!)
            }
            try await store.write([.appendLogs(lines)])
            for deployment: Int64 in [1, 2] {
                let expected = lines.filter { $0.deploymentId == deployment }
                let read = try await pages(store, deployment: deployment, target: nil, limit: 250)
                #expect(read.lines == expected, "deployment \(deployment): every line once, in id order")
                #expect(read.pages == (expected.count + 249) / 250)
            }
            let fromMiddle = try await store.logLines(of: 1, targets: nil, afterID: 1_000, limit: 5)
            #expect(fromMiddle.map(\.id) == lines.filter { $0.deploymentId == 1 && $0.id > 1_000 }.prefix(5).map(\.id))
            #expect(try await store.logLines(of: 1, targets: nil, afterID: 2_900, limit: 10).isEmpty)
            #expect(try await store.logLines(of: 3, targets: nil, afterID: 0, limit: 10).isEmpty)
            #expect(try await store.logLines(of: 4, targets: nil, afterID: 0, limit: 10).isEmpty)
        }
    }

    @Test(arguments: StoreBackend.all)
    func lastLogLinesIsTheTailInOrder(backend: StoreBackend) async throws {
        try await backend.withStore { harness in
            let store = harness.store
            try await store.write([.appendLogs(Self.lines)])
            let target1 = Self.lines.filter { $0.targetIndex == 1 }
            #expect(try await store.lastLogLines(of: 1, target: 1, count: 5) == Array(target1.suffix(5)))
            #expect(try await store.lastLogLines(of: 1, target: 1, count: 1) == [target1.last].compactMap { $0 })
            #expect(try await store.lastLogLines(of: 1, target: 1, count: 10_000) == target1)
            #expect(try await store.lastLogLines(of: 1, target: 7, count: 5).isEmpty)
            #expect(try await store.lastLogLines(of: 2, target: 1, count: 5).isEmpty)
        }
    }

    @Test(arguments: StoreBackend.all)
    func maxLogLineIDSurvivesAReopen(backend: StoreBackend) async throws {
        try await backend.withStore { harness in
            try await harness.store.write([.appendLogs(Array(Self.lines.prefix(10)))])
            #expect(try await harness.store.maxLogLineID() == 10)
            try await harness.reopen()
            #expect(try await harness.store.maxLogLineID() == 10)
            #expect(try await harness.store.logLines(of: 1, targets: nil, afterID: 0, limit: 100) == Array(Self.lines.prefix(10)))
        }
    }

    @Test(arguments: StoreBackend.all)
    func eventsGetIncreasingIDsFromTheStoreAlsoAcrossAReopen(backend: StoreBackend) async throws {
        try await backend.withStore { harness in
            var event = Fixture.event(1, "first")
            event.id = 999  // ignored: the store assigns ids
            try await harness.store.write([.appendEvent(event), .appendEvent(Fixture.event(nil, "global"))])
            try await harness.store.write([.appendEvent(Fixture.event(2, "other"))])
            try await harness.store.write([.saveDeployment(Fixture.deployment(1)), .appendEvent(Fixture.event(1, "second"))])
            let before = try await harness.store.events(of: nil, afterID: 0, limit: 100)
            #expect(before.map(\.message) == ["first", "global", "other", "second"])
            #expect(before.map(\.id) == [1, 2, 3, 4])
            #expect(before[1].deploymentId == nil)
            var expected = Fixture.event(1, "first")
            expected.id = 1
            // The store chains events (AuditChainTests checks the chain itself).
            #expect(before[0].prevHash == AuditChain.genesis && before[0].hash?.count == 64)
            expected.prevHash = before[0].prevHash
            expected.hash = before[0].hash
            #expect(before[0] == expected, "every field round-trips")

            try await harness.reopen()
            try await harness.store.write([.appendEvent(Fixture.event(1, "after reopen"))])
            let after = try await harness.store.events(of: nil, afterID: 0, limit: 100)
            #expect(after.map(\.id) == [1, 2, 3, 4, 5])
            #expect(try await harness.store.events(of: 1, afterID: 0, limit: 100).map(\.message) == ["first", "second", "after reopen"])
            #expect(try await harness.store.events(of: 1, afterID: 1, limit: 1).map(\.message) == ["second"])
            #expect(try await harness.store.events(of: nil, afterID: 3, limit: 100).map(\.id) == [4, 5])
        }
    }
}
