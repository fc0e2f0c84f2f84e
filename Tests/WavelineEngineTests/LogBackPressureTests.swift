import Foundation
import Synchronization
import Testing
import WavelineCore
@testable import WavelineEngine
import WavelineExecutors
import WavelineStore

/// The log buffer is bounded: while the store has not taken what waits, appenders (the executors' readers,
/// which then stop reading the step's pipe) are held instead of the buffer growing.
struct LogBackPressureTests {
    @Test func appendersWaitWhileTheBufferIsFullAndNothingIsLost() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("waveline-pressure-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let sqlite = try await SQLDeploymentStore.sqlite(path: directory + "/waveline.sqlite")
        let store = GatedStore(base: sqlite)
        let limit = 64 * 1024
        let pipeline = try await LogPipeline(store: store, feed: LiveFeed(bufferLimit: 16), bufferLimit: limit)
        let line = String(repeating: "x", count: 1000)
        let returned = Count()

        // 20 appenders of 100 lines (about 100 KB each) while the store takes nothing.
        let appenders = (0..<20).map { index in
            Task {
                await pipeline.append(deployment: 1, target: index, step: "s", lines: (0..<100).map { OutputLine(stream: .stdout, text: "\(index) \($0) \(line)", time: 0) })
                returned.value.add(1, ordering: .relaxed)
            }
        }
        let settled = await eventually(timeout: .seconds(30)) {
            pipeline.heldAppenders + returned.value.load(ordering: .relaxed) == 20
        }
        #expect(settled)
        #expect(returned.value.load(ordering: .relaxed) <= 1, "appenders returned while the store took nothing")
        #expect(pipeline.mostPendingBytes <= limit + 20 * 110_000)

        store.open()
        for appender in appenders { await appender.value }
        #expect(await pipeline.flush())
        let stored = try await sqlite.logLines(of: 1, targets: nil, afterID: 0, limit: 10_000)
        #expect(stored.count == 2000)
        for index in 0..<20 {
            #expect(stored.filter { $0.targetIndex == index }.map(\.seq) == Array(1...100))
        }
        try await sqlite.close()
    }
}

final class Count: Sendable {
    let value = Atomic<Int>(0)
}

/// Polls until `condition` holds or `timeout` passes.
private func eventually(timeout: Duration, _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return condition()
}

/// A real store whose writes wait until `open()`: a store slower than the steps printing.
final class GatedStore: DeploymentStoreDecorator {
    let base: any DeploymentStore
    private let gate = Mutex<(open: Bool, waiting: [CheckedContinuation<Void, Never>])>((false, []))

    init(base: any DeploymentStore) { self.base = base }

    func open() {
        let waiting = gate.withLock { gate in
            gate.open = true
            defer { gate.waiting = [] }
            return gate.waiting
        }
        for waiter in waiting { waiter.resume() }
    }

    func write(_ changes: [StoreChange]) async throws {
        await withCheckedContinuation { continuation in
            let open = gate.withLock { gate -> Bool in
                if !gate.open { gate.waiting.append(continuation) }
                return gate.open
            }
            if open { continuation.resume() }
        }
        try await base.write(changes)
    }
}
