import Foundation
import Subprocess
import SystemPackage
import Testing
import WavelineAPI
import WavelineCore
import WavelineTesting

/// `serve` and `demo` at start: a taken port is one sentence and a prompt non-zero exit (the demo touching
/// nothing), a stop signal while the demo prepares ends it and what it started, and `demo --pace` reaches the
/// nodes' steps.
@Suite(.serialized) struct ListenAndPaceTests {
    /// A port some other program listens on, for as long as the value lives.
    final class OccupiedPort {
        let port: Int
        private let descriptor: Int32

        init() throws {
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard descriptor >= 0 else { throw HarnessError("socket: errno \(errno)") }
            self.descriptor = descriptor
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = 0
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0, listen(descriptor, 8) == 0 else { throw HarnessError("bind/listen: errno \(errno)") }
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
            }
            port = Int(UInt16(bigEndian: address.sin_port))
        }

        deinit { close(descriptor) }
    }

    static func temporaryFolder() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("waveline-startup-\(UUID().uuidString.prefix(8))").path
    }

    /// The demo services' pids as their pid files name them, node by node.
    static func servicePIDs(_ folder: String) -> [String: pid_t] {
        let nodes = folder + "/nodes"
        var found: [String: pid_t] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: nodes)) ?? [] {
            if let text = try? String(contentsOfFile: "\(nodes)/\(name)/run/service.pid", encoding: .utf8),
               let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                found[name] = pid
            }
        }
        return found
    }

    static func alive(_ pids: some Sequence<pid_t>) -> [pid_t] {
        pids.filter { let state = processState($0); return !state.gone && !state.zombie }
    }

    @Test func serveOnATakenPortSaysWhichAddressAndExits() async throws {
        let bench = try Workbench(inventory: oneZoneInventory(nodes: 1), operations: [:])
        defer { bench.remove() }
        let taken = try OccupiedPort()
        let run = try await runWaveline(
            ["serve", "--port", "\(taken.port)", "--data", bench.data, "--inventory", bench.inventory, "--catalog", bench.catalog],
            timeout: .seconds(30), environment: ["WAVELINE_INITIAL_ADMIN_PASSWORD": Workbench.adminPassword]
        )
        #expect(run.exitCode == 1, "\(run)")
        #expect(run.stderr.contains("cannot listen on 127.0.0.1:\(taken.port): the port is in use by another program"), "\(run)")
        #expect(run.stderr.contains("--port"), "\(run)")
        #expect(!run.stderr.contains("errno") && !looksLikeACrash(run.output), "\(run)")
        // Refused before anything was set up: no store made, no first password shown for a server that never ran.
        #expect(!FileManager.default.fileExists(atPath: bench.data + "/waveline.sqlite"))
        #expect(!run.stdout.contains("password"), "\(run)")
    }

    @Test func demoOnATakenPortSaysWhichAddressAndLeavesItsFolderAsItWas() async throws {
        let folder = Self.temporaryFolder()
        defer {
            for pid in Self.servicePIDs(folder).values { kill(pid, SIGKILL) }
            try? FileManager.default.removeItem(atPath: folder)
        }
        let prepared = try await runWaveline(["demo", "--data", folder, "--prepare-only"], timeout: .seconds(120))
        #expect(prepared.exitCode == 0, "\(prepared)")
        let servicesBefore = Self.servicePIDs(folder)
        let inventoryBefore = try String(contentsOfFile: folder + "/inventory.yaml", encoding: .utf8)
        #expect(!servicesBefore.isEmpty)

        let taken = try OccupiedPort()
        let run = try await runWaveline(["demo", "--data", folder, "--port", "\(taken.port)"], timeout: .seconds(30))
        #expect(run.exitCode == 1, "\(run)")
        #expect(run.stderr.contains("cannot listen on 127.0.0.1:\(taken.port): the port is in use by another program"), "\(run)")
        #expect(run.stderr.contains("--port") && !looksLikeACrash(run.output), "\(run)")
        // Nothing reset, nothing started: the same services, the same files, no store.
        #expect(Self.servicePIDs(folder) == servicesBefore)
        #expect(Self.alive(servicesBefore.values).count == servicesBefore.count, "the demo stopped services of a folder it did not take over")
        #expect(try String(contentsOfFile: folder + "/inventory.yaml", encoding: .utf8) == inventoryBefore)
        #expect(!FileManager.default.fileExists(atPath: folder + "/waveline.sqlite"))
    }

    /// Starts `waveline demo ARGUMENTS`, hands its pid and stdout lines to `body`, then ends it with SIGTERM
    /// (if still running) and returns how it ended.
    static func withDemo(
        _ arguments: [String], _ body: (pid_t, inout AsyncThrowingStream<String, any Error>.Iterator) async throws -> Void
    ) async throws -> (exit: TerminationStatus, stdout: String) {
        let outcome = try await Subprocess.run(
            .path(FilePath(Workbench.binary)), arguments: Arguments(["demo"] + arguments),
            environment: .inherit.updating(["WAVELINE_INITIAL_ADMIN_PASSWORD": Workbench.adminPassword]),
            input: .none, output: .sequence, error: .discarded
        ) { execution -> Result<String, any Error> in
            let pid = execution.processIdentifier.value
            // A watchdog: a demo that hangs is killed, and the test then fails on how it ended.
            let watchdog = Task {
                try await Task.sleep(for: .seconds(120))
                kill(pid, SIGKILL)
            }
            defer { watchdog.cancel() }
            let (lines, feed) = AsyncThrowingStream<String, any Error>.makeStream()
            let reader = Task {
                var seen: [String] = []
                do {
                    for try await line in execution.standardOutput.strings() {
                        seen.append(line)
                        feed.yield(line)
                    }
                    feed.finish()
                } catch {
                    feed.finish(throwing: error)
                }
                return seen.joined(separator: "\n")
            }
            var iterator = lines.makeAsyncIterator()
            let result: Result<Void, any Error>
            do { result = .success(try await body(pid, &iterator)) } catch { result = .failure(error) }
            kill(pid, SIGTERM)
            let text = await reader.value
            return result.map { text }
        }
        return (outcome.terminationStatus, try outcome.closureResult.get())
    }

    @Test func aStopSignalWhileTheDemoPreparesEndsItAndTheServicesItStarted() async throws {
        let folder = Self.temporaryFolder()
        defer {
            for pid in Self.servicePIDs(folder).values { kill(pid, SIGKILL) }
            try? FileManager.default.removeItem(atPath: folder)
        }
        let ended = try await Self.withDemo(["--data", folder, "--port", "0"]) { pid, lines in
            while let line = try await lines.next() {
                if line.hasPrefix("Preparing the demo") { break }
            }
            kill(pid, SIGTERM)
        }
        #expect(ended.exit == .exited(0), "\(ended)")
        #expect(Self.alive(Self.servicePIDs(folder).values).isEmpty, "services of the stopped demo still run")
    }

    @Test func theDemoPaceSetsHowLongEachServiceActionTakes() async throws {
        let folder = Self.temporaryFolder()
        defer {
            for pid in Self.servicePIDs(folder).values { kill(pid, SIGKILL) }
            try? FileManager.default.removeItem(atPath: folder)
        }
        // deploy-version runs four paced actions per node (stop, install: two, start): a node's run lasts at
        // least four paces, whatever the machine's speed. The script's own default (0.4 s) would make it 1.6 s.
        let pace = 1.5
        let ended = try await Self.withDemo(["--data", folder, "--port", "0", "--pace", "\(pace)"]) { _, lines in
            var url: String?
            while let line = try await lines.next() {
                if let range = line.range(of: "Waveline demo is running at ") {
                    url = line[range.upperBound...].split(separator: " ").first.map(String.init)
                    break
                }
            }
            let port = try #require(url.flatMap { $0.split(separator: ":").last }.flatMap { Int($0) }, "the demo did not say where it runs")
            let anonymous = RunningServer(port: port, pid: 0, token: nil)
            let basic = Data("admin:\(Workbench.adminPassword)".utf8).base64EncodedString()
            let (status, body) = try await anonymous.request(
                "POST", "/api/v1/tokens", body: try JSONEncoder().encode(CreateTokenBody(name: "test", expiresInDays: 1)),
                headers: [("Authorization", "Basic \(basic)")]
            )
            #expect(status == 201, "\(String(decoding: body, as: UTF8.self))")
            let server = RunningServer(port: port, pid: 0, token: try JSONDecoder().decode(CreatedToken.self, from: body).token)
            let lightning = try await server.waitFor(1, timeout: .seconds(90), "the lightning phase's nodes to succeed") { detail in
                detail.targets.filter { $0.phase == 0 }.allSatisfy { $0.status == .succeeded }
            }
            let runs = lightning.targets.filter { $0.phase == 0 }
            #expect(!runs.isEmpty)
            for run in runs {
                let took = try #require(run.finishedAt) - (try #require(run.startedAt))
                #expect(took >= 4 * pace, "\(run.node) took \(took) s at a pace of \(pace) s per action")
            }
        }
        #expect(ended.exit == .exited(0), "\(ended)")
        #expect(Self.alive(Self.servicePIDs(folder).values).isEmpty, "services of the stopped demo still run")
    }
}
