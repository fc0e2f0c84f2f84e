#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Synchronization
import Subprocess
import SystemPackage
import Testing
import WavelineCore
@testable import WavelineExecutors

/// Every way a process can end before or without reading what it is given must leave the server running: a
/// descriptor dropped unclosed is a fatal error of the whole process (these tests would crash the test run).
@Suite struct ProcessEndingTests {
    /// Far more than a pipe holds (64 KiB), so the writer is still writing when the process goes.
    static let bigValue = String(repeating: "v", count: 1 << 20)

    static func sshNode(_ name: String) -> Node {
        Node(name: name, cluster: "c1", zone: "a", connection: .ssh(SSHConnection(host: "127.0.0.1", port: 9)))
    }

    /// A stand-in for `ssh` that behaves like one refused at once: it never reads its standard input.
    static func fakeSSH(in directory: String, _ body: String) throws -> String {
        let path = directory + "/fake-ssh"
        try "#!/bin/sh\n\(body)\n".write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        return path
    }

    /// ssh closes its standard input and fails while the executor still writes the step's variables: the
    /// write fails with EPIPE every time (the reader is gone while the process still runs).
    @Test func sshClosingItsInputBeforeReadingIsAFailureNotACrash() async throws {
        let data = try TemporaryDirectory()
        let fake = try Self.fakeSSH(in: data.path, "exec 0<&-\necho 'ssh: connect to host 127.0.0.1 port 9: Connection refused' >&2\nsleep 0.2\nexit 255")
        let executor = SSHExecutor(controlDirectory: data.path, sshProgram: fake)
        let command = ResolvedCommand(argv: ["true"], environment: ["BIG": Self.bigValue])
        await withTaskGroup(of: CommandResult.self) { group in
            for index in 1...8 {
                group.addTask { await executor.run(command, on: Self.sshNode("n\(index)"), timeout: .seconds(30)) { _ in } }
            }
            for await result in group {
                guard case .connectionFailed(let why) = result.outcome else {
                    Issue.record("expected a connection failure, got \(result.outcome)")
                    continue
                }
                #expect(why.contains("refused"), "\(why)")
            }
        }
    }

    /// ssh exits at once without reading: the write ends short or with EPIPE, whichever comes first.
    @Test func sshExitingAtOnceManyTimesIsAFailureNotACrash() async throws {
        let data = try TemporaryDirectory()
        let fake = try Self.fakeSSH(in: data.path, "echo 'ssh: connect to host 127.0.0.1 port 9: Connection refused' >&2\nexit 255")
        let executor = SSHExecutor(controlDirectory: data.path, sshProgram: fake)
        let command = ResolvedCommand(argv: ["true"], environment: ["BIG": Self.bigValue])
        for _ in 1...10 {
            await withTaskGroup(of: CommandResult.self) { group in
                for index in 1...10 {
                    group.addTask { await executor.run(command, on: Self.sshNode("n\(index)"), timeout: .seconds(30)) { _ in } }
                }
                for await result in group {
                    if case .connectionFailed = result.outcome { continue }
                    Issue.record("expected a connection failure, got \(result.outcome)")
                }
            }
        }
    }

    /// A program killed by a signal while its input is being written.
    @Test func aProcessKilledWhileItsInputIsWrittenIsSignaled() async throws {
        let configuration = Configuration(
            executable: .path(FilePath("/bin/sh")), arguments: ["-c", "kill -9 $$"], platformOptions: LocalExecutor.platformOptions())
        let status = await StreamingProcess.run(configuration, input: Self.bigValue, started: { _ in }) { stream, _, _ in
            do { for try await _ in stream {} } catch {}
        }
        #expect(try status.get() == .signaled(SIGKILL))
    }

    /// A program that does not exist never starts; what was opened for it is closed.
    @Test func aMissingProgramWithInputIsAnErrorNotACrash() async throws {
        for _ in 1...20 {
            let configuration = Configuration(executable: .path(FilePath("/nonexistent/waveline-\(UUID().uuidString)")))
            let status = await StreamingProcess.run(configuration, input: Self.bigValue, started: { _ in }) { stream, _, _ in
                do { for try await _ in stream {} } catch {}
            }
            guard case .failure = status else {
                Issue.record("a missing program started: \(status)")
                return
            }
        }
        let data = try TemporaryDirectory()
        let executor = SSHExecutor(controlDirectory: data.path, sshProgram: "/nonexistent/ssh")
        let result = await executor.run(ResolvedCommand(argv: ["true"], environment: ["BIG": Self.bigValue]), on: Self.sshNode("n1"), timeout: .seconds(30)) { _ in }
        guard case .couldNotStart(let why) = result.outcome else {
            Issue.record("expected couldNotStart, got \(result.outcome)")
            return
        }
        #expect(why.contains("cannot run ssh"), "\(why)")
    }

    /// Local commands get no input; one that ends at once, many times over and many at a time, is fine.
    @Test func localProgramsEndingAtOnceManyAtATime() async throws {
        let data = try TemporaryDirectory()
        let executor = LocalExecutor(dataDirectory: data.path)
        let node = Node(name: "n1", cluster: "c1", zone: "a", connection: .local(LocalConnection()))
        await withTaskGroup(of: CommandResult.self) { group in
            for index in 0..<60 {
                let argv = index % 2 == 0 ? ["true"] : ["/bin/sh", "-c", "exec 0<&- 1>&- 2>&-; exit 3"]
                group.addTask { await executor.run(ResolvedCommand(argv: argv), on: node, timeout: .seconds(30)) { _ in } }
            }
            for await result in group {
                #expect(result.outcome == .exited(0) || result.outcome == .exited(3), "\(result.outcome)")
            }
        }
    }

    /// Runs wait for a slot instead of failing when there are more than the descriptor limit leaves room for.
    @Test func processSlotsBoundHowManyRunAtOnce() async {
        let slots = ProcessSlots(capacity: 2)
        let running = RunningCount()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<12 {
                group.addTask {
                    await slots.acquire()
                    running.enter()
                    await Task.yield()
                    running.leave()
                    slots.release()
                }
            }
        }
        #expect(running.peak <= 2)
        #expect(running.peak >= 1)
    }
}

final class RunningCount: Sendable {
    private let state = Mutex<(now: Int, peak: Int)>((0, 0))
    func enter() { state.withLock { $0.now += 1; $0.peak = max($0.peak, $0.now) } }
    func leave() { state.withLock { $0.now -= 1 } }
    var peak: Int { state.withLock { $0.peak } }
}
