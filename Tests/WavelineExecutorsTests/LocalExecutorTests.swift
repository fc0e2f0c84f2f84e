#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Synchronization
import Testing
import WavelineCore
@testable import WavelineExecutors

/// Collects what an executor hands to its `output` callback.
final class CollectedOutput: Sendable {
    private let state = Mutex<(lines: [OutputLine], batches: Int)>(([], 0))

    var callback: @Sendable ([OutputLine]) -> Void {
        { batch in self.state.withLock { $0.lines += batch; $0.batches += 1 } }
    }

    var lines: [OutputLine] { state.withLock { $0.lines } }
    var batches: Int { state.withLock { $0.batches } }
    func texts(_ stream: OutputLine.Stream) -> [String] { lines.filter { $0.stream == stream }.map(\.text) }
}

/// A fresh data directory, removed when the test ends.
struct TemporaryDirectory: ~Copyable {
    let path: String

    init() throws {
        let base = FileManager.default.temporaryDirectory.path
        path = base + "/waveline-executor-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

private func localNode(_ name: String, directory: String? = nil) -> Node {
    Node(name: name, cluster: "c1", zone: "a", connection: .local(LocalConnection(directory: directory)))
}

/// `setsid(1)` (util-linux) puts a child outside the command's process group; macOS has none.
private let hasSetsid = access("/usr/bin/setsid", X_OK) == 0 || access("/bin/setsid", X_OK) == 0

private func isAlive(_ pid: pid_t) -> Bool {
    kill(pid, 0) == 0 || errno != ESRCH
}

/// Waits (up to 10 s) for `pid` to disappear: a killed orphan stays a zombie until init reaps it, which in a
/// container can take a moment.
private func waitUntilGone(_ pid: pid_t) async -> Bool {
    for _ in 0..<200 {
        if !isAlive(pid) { return true }
        try? await Task.sleep(for: .milliseconds(50))
    }
    return !isAlive(pid)
}

@Suite struct LocalExecutorTests {
    @Test func exitCodesAreOutcomes() async throws {
        let data = try TemporaryDirectory()
        let executor = LocalExecutor(dataDirectory: data.path)
        let node = localNode("n1")
        let ok = await executor.run(ResolvedCommand(argv: ["true"]), on: node, timeout: .seconds(30)) { _ in }
        #expect(ok.outcome == .exited(0))
        #expect(ok.succeeded)
        let failed = await executor.run(
            ResolvedCommand(argv: ["/bin/sh", "-c", "exit 7"]), on: node, timeout: .seconds(30)
        ) { _ in }
        #expect(failed.outcome == .exited(7))
        #expect(failed.exitCode == 7)
        #expect(failed.duration > .zero)
    }

    @Test func killedBySignalIsSignaled() async throws {
        let data = try TemporaryDirectory()
        let executor = LocalExecutor(dataDirectory: data.path)
        let killed = await executor.run(
            ResolvedCommand(argv: ["/bin/sh", "-c", "kill -9 $$"]), on: localNode("n1"), timeout: .seconds(30)
        ) { _ in }
        #expect(killed.outcome == .signaled(SIGKILL))
    }

    @Test func stdoutAndStderrAreSeparateAndInOrder() async throws {
        let data = try TemporaryDirectory()
        let executor = LocalExecutor(dataDirectory: data.path)
        let collected = CollectedOutput()
        let script = "echo out1; echo err1 >&2; printf 'out2\\r\\n'; echo err2 >&2; echo; printf 'partial'"
        let result = await executor.run(
            ResolvedCommand(argv: ["/bin/sh", "-c", script]), on: localNode("n1"), timeout: .seconds(30),
            output: collected.callback
        )
        #expect(result.outcome == .exited(0))
        #expect(collected.texts(.stdout) == ["out1", "out2", "", "partial"])
        #expect(collected.texts(.stderr) == ["err1", "err2"])
        let now = Date().timeIntervalSince1970
        #expect(collected.lines.allSatisfy { abs($0.time - now) < 60 })
    }

    @Test func eachNodeHasItsOwnWorkingDirectory() async throws {
        let data = try TemporaryDirectory()
        let executor = LocalExecutor(dataDirectory: data.path)
        let absolute = data.path + "/elsewhere/n3"
        let nodes = [localNode("n1"), localNode("n2", directory: "custom/n2"), localNode("n3", directory: absolute)]
        let expected = [data.path + "/nodes/n1", data.path + "/custom/n2", absolute]
        for (node, directory) in zip(nodes, expected) {
            #expect(executor.workingDirectory(for: node) == directory)
            let collected = CollectedOutput()
            let result = await executor.run(
                ResolvedCommand(argv: ["/bin/sh", "-c", "pwd -P; echo \"$1\" > marker.txt", "step", node.name]),
                on: node, timeout: .seconds(30), output: collected.callback
            )
            #expect(result.outcome == .exited(0))
            let realDirectory = try #require(realpath(directory, nil).map { pointer in
                defer { free(pointer) }
                return String(cString: pointer)
            })
            #expect(collected.texts(.stdout) == [realDirectory])
            let marker = try String(contentsOfFile: directory + "/marker.txt", encoding: .utf8)
            #expect(marker == node.name + "\n")
        }
    }

    @Test func workingDirectoryThatCannotBeMadeIsCouldNotStart() async throws {
        let data = try TemporaryDirectory()
        let blocker = data.path + "/file"
        try "x".write(toFile: blocker, atomically: true, encoding: .utf8)
        let executor = LocalExecutor(dataDirectory: data.path)
        let result = await executor.run(
            ResolvedCommand(argv: ["true"]), on: localNode("n1", directory: blocker + "/sub"), timeout: .seconds(30)
        ) { _ in }
        guard case .couldNotStart(let why) = result.outcome else {
            Issue.record("expected couldNotStart, got \(result.outcome)")
            return
        }
        #expect(why.hasPrefix("cannot create working directory \(blocker)/sub: "))
    }

    @Test func relativeProgramRunsFromTheNodeDirectory() async throws {
        let data = try TemporaryDirectory()
        let executor = LocalExecutor(dataDirectory: data.path)
        let node = localNode("n1")
        let bin = executor.workingDirectory(for: node) + "/bin"
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        try "#!/bin/sh\necho \"service $1\"\n".write(toFile: bin + "/service", atomically: true, encoding: .utf8)
        chmod(bin + "/service", 0o755)
        let collected = CollectedOutput()
        let result = await executor.run(
            ResolvedCommand(argv: ["./bin/service", "start"]), on: node, timeout: .seconds(30),
            output: collected.callback
        )
        #expect(result.outcome == .exited(0))
        #expect(collected.texts(.stdout) == ["service start"])

        try "#!/bin/sh\n".write(toFile: bin + "/plain", atomically: true, encoding: .utf8)
        let notExecutable = await executor.run(
            ResolvedCommand(argv: ["bin/plain"]), on: node, timeout: .seconds(30)
        ) { _ in }
        guard case .couldNotStart(let why) = notExecutable.outcome else {
            Issue.record("expected couldNotStart, got \(notExecutable.outcome)")
            return
        }
        #expect(why.contains("not executable") && why.contains("bin/plain"))
    }

    @Test func environmentIsTheCommandsNotTheServers() async throws {
        let data = try TemporaryDirectory()
        let secret = "WAVELINE_TEST_SECRET_\(UUID().uuidString.replacingOccurrences(of: "-", with: "_"))"
        setenv(secret, "leaked", 1)
        defer { unsetenv(secret) }
        let executor = LocalExecutor(dataDirectory: data.path)
        let collected = CollectedOutput()
        let result = await executor.run(
            ResolvedCommand(argv: ["env"], environment: ["WAVELINE_PARAM_VERSION": "1.2.3", "LANG": "C"]),
            on: localNode("n1"), timeout: .seconds(30), output: collected.callback
        )
        #expect(result.outcome == .exited(0))
        let variables = collected.texts(.stdout)
        #expect(variables.contains("WAVELINE_PARAM_VERSION=1.2.3"))
        #expect(variables.contains("LANG=C"))
        #expect(variables.contains { $0.hasPrefix("PATH=") })
        #expect(!variables.contains { $0.hasPrefix(secret) })
        let allowed = Set(LocalExecutor.inheritedVariables + ["WAVELINE_PARAM_VERSION", "PWD", "SHLVL", "_"])
        let names = variables.compactMap { $0.split(separator: "=", maxSplits: 1).first.map(String.init) }
        #expect(names.allSatisfy { allowed.contains($0) }, "unexpected variables: \(names)")
    }

    @Test func serverWithoutPathGetsTheDefaultPath() async throws {
        let data = try TemporaryDirectory()
        let executor = LocalExecutor(dataDirectory: data.path, serverEnvironment: ["HOME": "/nowhere", "SECRET": "x"])
        #expect(executor.environment(for: ResolvedCommand(argv: ["x"])) == [
            "PATH": LocalExecutor.defaultSearchPath, "HOME": "/nowhere",
        ])
    }

    @Test func hostileValuesArriveUnchangedAndRunNothing() async throws {
        let data = try TemporaryDirectory()
        let executor = LocalExecutor(dataDirectory: data.path)
        let pwned = "/tmp/pwned-\(UUID().uuidString)"
        let value = "x; touch \(pwned) $(touch \(pwned)) `touch \(pwned)` \"'"

        let asArgument = CollectedOutput()
        let first = await executor.run(
            ResolvedCommand(argv: ["printf", "%s", value]), on: localNode("n1"), timeout: .seconds(30),
            output: asArgument.callback
        )
        #expect(first.outcome == .exited(0))
        #expect(asArgument.texts(.stdout) == [value])

        let asVariable = CollectedOutput()
        let second = await executor.run(
            ResolvedCommand(argv: ["/bin/sh", "-c", "printf %s \"$V\""], environment: ["V": value]),
            on: localNode("n1"), timeout: .seconds(30), output: asVariable.callback
        )
        #expect(second.outcome == .exited(0))
        #expect(asVariable.texts(.stdout) == [value])
        #expect(access(pwned, F_OK) != 0)
    }

    @Test func timeoutEndsTheWholeProcessGroup() async throws {
        let data = try TemporaryDirectory()
        let executor = LocalExecutor(dataDirectory: data.path)
        let collected = CollectedOutput()
        let clock = ContinuousClock()
        let started = clock.now
        let result = await executor.run(
            ResolvedCommand(argv: ["/bin/sh", "-c", "sleep 30 & echo $!; sleep 30"]), on: localNode("n1"),
            timeout: .milliseconds(500), output: collected.callback
        )
        #expect(result.outcome == .timedOut)
        #expect(clock.now - started < .seconds(15))
        let grandchild = try #require(collected.texts(.stdout).first.flatMap { pid_t($0) })
        #expect(await waitUntilGone(grandchild))
        #expect(kill(grandchild, 0) == -1 && errno == ESRCH)
    }

    @Test func timeoutEscalatesToKillWhenTermIsIgnored() async throws {
        let data = try TemporaryDirectory()
        let executor = LocalExecutor(dataDirectory: data.path)
        let collected = CollectedOutput()
        let result = await executor.run(
            ResolvedCommand(argv: ["/bin/sh", "-c", "trap '' TERM; echo ready; while :; do sleep 1; done"]),
            on: localNode("n1"), timeout: .milliseconds(300), output: collected.callback
        )
        #expect(result.outcome == .timedOut)
        #expect(collected.texts(.stdout) == ["ready"])
        #expect(result.duration < .seconds(15))
    }

    @Test func cancellationEndsTheWholeProcessGroup() async throws {
        let data = try TemporaryDirectory()
        let executor = LocalExecutor(dataDirectory: data.path)
        let collected = CollectedOutput()
        let run = Task {
            await executor.run(
                ResolvedCommand(argv: ["/bin/sh", "-c", "sleep 30 & echo $!; sleep 30"]), on: localNode("n1"),
                timeout: .seconds(60), output: collected.callback
            )
        }
        // Cancel once the script has told us its child's pid, so we know the group is up.
        var grandchild: pid_t?
        for _ in 0..<200 where grandchild == nil {
            grandchild = collected.texts(.stdout).first.flatMap { pid_t($0) }
            if grandchild == nil { try await Task.sleep(for: .milliseconds(20)) }
        }
        run.cancel()
        let result = await run.value
        #expect(result.outcome == .cancelled)
        #expect(result.duration < .seconds(15))
        let pid = try #require(grandchild)
        #expect(await waitUntilGone(pid))
    }

    @Test func alreadyCancelledRunsNothing() async throws {
        let data = try TemporaryDirectory()
        let executor = LocalExecutor(dataDirectory: data.path)
        let marker = data.path + "/ran"
        let run = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return await executor.run(
                ResolvedCommand(argv: ["touch", marker]), on: localNode("n1"), timeout: .seconds(30)
            ) { _ in }
        }
        #expect(await run.value.outcome == .cancelled)
        #expect(access(marker, F_OK) != 0)
    }

    @Test func missingProgramIsCouldNotStart() async throws {
        let data = try TemporaryDirectory()
        let executor = LocalExecutor(dataDirectory: data.path)
        let name = "no-such-program-\(UUID().uuidString)"
        for argv in [[name], ["./bin/" + name], ["/nonexistent/" + name]] {
            let result = await executor.run(ResolvedCommand(argv: argv), on: localNode("n1"), timeout: .seconds(30)) { _ in }
            guard case .couldNotStart(let why) = result.outcome else {
                Issue.record("expected couldNotStart for \(argv), got \(result.outcome)")
                continue
            }
            #expect(why.hasPrefix("program not found: "))
            #expect(why.contains(name))
        }
        let empty = await executor.run(ResolvedCommand(argv: []), on: localNode("n1"), timeout: .seconds(30)) { _ in }
        #expect(empty.outcome == .couldNotStart("the command has no program to run"))
    }

    @Test func aHugeLineArrivesInPieces() async throws {
        let data = try TemporaryDirectory()
        let executor = LocalExecutor(dataDirectory: data.path)
        let collected = CollectedOutput()
        // 200,000 bytes without a newline, then "end".
        let result = await executor.run(
            ResolvedCommand(argv: ["/bin/sh", "-c", "head -c 200000 /dev/zero | tr '\\0' 'a'; echo; echo end"]),
            on: localNode("n1"), timeout: .seconds(30), output: collected.callback
        )
        #expect(result.outcome == .exited(0))
        let lines = collected.texts(.stdout)
        #expect(lines.last == "end")
        let pieces = lines.dropLast()
        #expect(pieces.count == 4)
        #expect(pieces.allSatisfy { $0.utf8.count <= LineAssembler.defaultMaxLineBytes })
        #expect(pieces.joined() == String(repeating: "a", count: 200_000))
    }

    @Test func manyLinesArriveInOrderInBatches() async throws {
        let data = try TemporaryDirectory()
        let executor = LocalExecutor(dataDirectory: data.path)
        let collected = CollectedOutput()
        let result = await executor.run(
            ResolvedCommand(argv: ["seq", "1", "100000"]), on: localNode("n1"), timeout: .seconds(60),
            output: collected.callback
        )
        #expect(result.outcome == .exited(0))
        let lines = collected.texts(.stdout)
        #expect(lines.count == 100_000)
        #expect(lines == (1...100_000).map(String.init))
        #expect(collected.batches < 10_000)
    }

    @Test func outputArrivesBeforeTheProcessEnds() async throws {
        let data = try TemporaryDirectory()
        let executor = LocalExecutor(dataDirectory: data.path)
        let collected = CollectedOutput()
        let run = Task {
            await executor.run(
                ResolvedCommand(argv: ["/bin/sh", "-c", "echo early; sleep 30"]), on: localNode("n1"),
                timeout: .seconds(60), output: collected.callback
            )
        }
        var seen = false
        for _ in 0..<250 where !seen {
            seen = collected.texts(.stdout) == ["early"]
            if !seen { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(seen)
        run.cancel()
        #expect(await run.value.outcome == .cancelled)
    }

    @Test(.enabled(if: hasSetsid)) func aBackgroundChildHoldingTheStreamDoesNotBlockTheRun() async throws {
        let data = try TemporaryDirectory()
        let executor = LocalExecutor(dataDirectory: data.path)
        let collected = CollectedOutput()
        // The child moves to its own session (another process group) and keeps stdout open.
        let result = await executor.run(
            ResolvedCommand(argv: ["/bin/sh", "-c", "setsid sleep 30 & echo $!; echo done"]),
            on: localNode("n1"), timeout: .seconds(60), output: collected.callback
        )
        #expect(result.outcome == .exited(0))
        #expect(result.duration < .seconds(15))
        #expect(collected.texts(.stdout).last == "done")
        if let pid = collected.texts(.stdout).first.flatMap({ pid_t($0) }) { kill(pid, SIGKILL) }
    }

    @Test(.enabled(if: hasSetsid)) func anOrphanWritingForeverDoesNotBlockTheRun() async throws {
        let data = try TemporaryDirectory()
        let executor = LocalExecutor(dataDirectory: data.path)
        let collected = CollectedOutput()
        let result = await executor.run(
            ResolvedCommand(argv: ["/bin/sh", "-c", "setsid yes orphan & echo $! >&2; sleep 0.2"]),
            on: localNode("n1"), timeout: .seconds(60)
        ) { batch in
            // Keep everything but the flood of "orphan" lines.
            collected.callback(batch.filter { $0.stream != .stdout })
        }
        #expect(result.outcome == .exited(0))
        #expect(result.duration < .seconds(15))
        if let pid = collected.texts(.stderr).first.flatMap({ pid_t($0) }) { kill(pid, SIGKILL) }
        // Subprocess stops at the first moment the pipe is empty after the leader ended; when the orphan is
        // faster than the reader, the executor's own grace stops it and says so.
        #expect(collected.texts(.system).allSatisfy { $0.hasPrefix("stopped reading stdout") })
    }
}

@Suite struct LineAssemblerTests {
    private func feed(_ chunks: [[UInt8]], max: Int = 8) -> [String] {
        var assembler = LineAssembler(maxLineBytes: max)
        var lines: [String] = []
        for chunk in chunks { lines += chunk.withUnsafeBytes { assembler.append($0) }.map(\.text) }
        return lines + assembler.finish().map(\.text)
    }

    @Test func everyPieceOfACutLineButTheLastSaysItContinues() {
        var assembler = LineAssembler(maxLineBytes: 8)
        var pieces: [LineAssembler.Piece] = []
        for chunk in [Array("0123456789abcdefghij\nshort\n".utf8), Array("0123456789abcdefghij".utf8)] {
            pieces += chunk.withUnsafeBytes { assembler.append($0) }
        }
        pieces += assembler.finish()
        #expect(pieces.map(\.text) == ["01234567", "89abcdef", "ghij", "short", "01234567", "89abcdef", "ghij"])
        #expect(pieces.map(\.continues) == [true, true, false, false, true, true, false])
    }

    @Test func splitsAcrossChunks() {
        #expect(feed([Array("ab\ncd".utf8), Array("e\r".utf8), Array("\nf".utf8)]) == ["ab", "cde", "f"])
        #expect(feed([Array("\n\n".utf8)]) == ["", ""])
        #expect(feed([]) == [])
    }

    @Test func cutsLongLinesAtCharacterBoundaries() {
        // "é" is two bytes; a cut at byte 8 would split the fifth one.
        let line = String(repeating: "é", count: 10)
        let pieces = feed([Array(line.utf8) + [0x0A]])
        #expect(pieces.joined() == line)
        #expect(pieces.allSatisfy { $0.utf8.count <= 8 && !$0.contains("\u{FFFD}") })
        let streamed = feed(Array(line.utf8).map { [$0] })
        #expect(streamed.joined() == line)
        #expect(streamed.allSatisfy { $0.utf8.count <= 8 })
    }

    @Test func repairsInvalidUTF8() {
        #expect(feed([[0x61, 0xFF, 0x62, 0x0A]]) == ["a\u{FFFD}b"])
    }
}
