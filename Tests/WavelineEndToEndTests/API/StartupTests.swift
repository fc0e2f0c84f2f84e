import Foundation
import Testing
import WavelineAPI
import WavelineCore
import WavelineServer
import WavelineTesting

/// Starting a server: every failure is a one-line message and a non-zero exit (on the debug binary too, whose
/// assertions a release build leaves out), and one data folder is served by one process at a time.
@Suite(.serialized) struct StartupTests {
    static func bench() throws -> Workbench {
        try Workbench(inventory: oneZoneInventory(nodes: 1), operations: ["noop": "name: noop\nsteps:\n  - {name: work, run: [\"true\"]}\n"])
    }

    /// `waveline serve` on the bench, ended after `timeout` if it does not stop by itself.
    static func serve(_ bench: Workbench, data: String? = nil, inventory: String? = nil, port: Int = 0,
                      environment: [String: String] = [:], timeout: Duration = .seconds(20)) async throws -> CLIRun {
        try await runWaveline(
            ["serve", "--port", String(port), "--data", data ?? bench.data, "--inventory", inventory ?? bench.inventory,
             "--catalog", bench.catalog, "--password-hash-cost", "4", "--log-level", "warning"],
            timeout: timeout,
            environment: ["WAVELINE_INITIAL_ADMIN_TOKEN": Workbench.adminToken, "WAVELINE_INITIAL_ADMIN_PASSWORD": Workbench.adminPassword]
                .merging(environment) { $1 }
        )
    }

    /// A start that fails: it exits by itself with a non-zero status and one line saying why, no crash.
    static func expectOneLineFailure(_ run: CLIRun, saying words: [String], sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        #expect(run.signal == nil && run.exitCode != nil && run.exitCode != 0, "\(run)", sourceLocation: sourceLocation)
        #expect(!looksLikeACrash(run.output), "\(run)", sourceLocation: sourceLocation)
        #expect(!run.stdout.contains("listening"), "\(run)", sourceLocation: sourceLocation)
        let lines = run.stderr.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        #expect(lines.count == 1, "expected one line on stderr: \(run)", sourceLocation: sourceLocation)
        for word in words {
            #expect(run.stderr.contains(word), "expected '\(word)': \(run)", sourceLocation: sourceLocation)
        }
    }

    @Test func aShortInitialTokenIsAMessageNotACrash() async throws {
        let bench = try Self.bench()
        defer { bench.remove() }
        let run = try await Self.serve(bench, environment: ["WAVELINE_INITIAL_ADMIN_TOKEN": "short"])
        Self.expectOneLineFailure(run, saying: ["WAVELINE_INITIAL_ADMIN_TOKEN is too short"])
        // Nothing was half made: the next start with a good token creates the admin.
        try await bench.withServer { server in
            let me = try await server.get("/api/v1/me", as: SessionView.self)
            #expect(me.user == "admin")
        }
    }

    @Test func aShortInitialPasswordIsAMessageNotACrash() async throws {
        let bench = try Self.bench()
        defer { bench.remove() }
        let run = try await Self.serve(bench, environment: ["WAVELINE_INITIAL_ADMIN_PASSWORD": "short"])
        Self.expectOneLineFailure(run, saying: ["WAVELINE_INITIAL_ADMIN_PASSWORD is too short"])
    }

    @Test func aBrokenInventoryIsReportedWithItsLocation() async throws {
        let bench = try Self.bench()
        defer { bench.remove() }
        let broken = bench.root + "/broken.yaml"
        try "environments: [{name: test}\n".write(toFile: broken, atomically: true, encoding: .utf8)
        let run = try await Self.serve(bench, inventory: broken)
        #expect(run.exitCode == 1 && !looksLikeACrash(run.output), "\(run)")
        #expect(run.stderr.contains("the workspace files have errors") && run.stderr.contains("broken.yaml:"), "\(run)")
    }

    @Test func aPortInUseIsAMessageNotACrash() async throws {
        let bench = try Self.bench()
        defer { bench.remove() }
        let other = try Self.bench()
        defer { other.remove() }
        try await bench.withServer { server in
            let run = try await Self.serve(other, port: server.port)
            Self.expectOneLineFailure(run, saying: ["127.0.0.1:\(server.port)", "in use"])
        }
    }

    @Test func anUnusableDataFolderIsAMessageNotACrash() async throws {
        let bench = try Self.bench()
        defer { bench.remove() }
        // A file where the folder should be, a folder inside a file, and a database file that is not one.
        let file = bench.root + "/not-a-folder"
        try "x".write(toFile: file, atomically: true, encoding: .utf8)
        Self.expectOneLineFailure(try await Self.serve(bench, data: file), saying: [file, "not a folder"])
        Self.expectOneLineFailure(try await Self.serve(bench, data: file + "/data"), saying: [file + "/data"])
        let garbage = bench.root + "/garbage"
        try FileManager.default.createDirectory(atPath: garbage, withIntermediateDirectories: true)
        try String(repeating: "not a database ", count: 400).write(toFile: garbage + "/waveline.sqlite", atomically: true, encoding: .utf8)
        Self.expectOneLineFailure(try await Self.serve(bench, data: garbage), saying: [garbage + "/waveline.sqlite"])
    }

    @Test func aSecondServerOnADataFolderInUseStopsAtOnceNamingTheFirst() async throws {
        let bench = try Self.bench()
        defer { bench.remove() }
        try await bench.withServer { server in
            let second = try await Self.serve(bench)
            Self.expectOneLineFailure(second, saying: ["\(bench.data) is in use by Waveline process \(server.pid)"])
            // The first one is untouched and still serves.
            #expect(try await server.get("/api/v1/me", as: SessionView.self).user == "admin")
            let lock = try String(contentsOfFile: bench.data + "/waveline.lock", encoding: .utf8)
            #expect(lock.trimmingCharacters(in: .whitespacesAndNewlines) == String(server.pid))
        }
        // Once it stopped, the folder is free again; a killed server does not hold it either.
        try await bench.withServer { server in server.crash() }
        try await bench.withServer { server in
            let me = try await server.get("/api/v1/me", as: SessionView.self)
            #expect(me.user == "admin")
        }
    }

    @Test func theDataFolderAndDatabaseArePrivate() async throws {
        let bench = try Self.bench()
        defer { bench.remove() }
        // An existing folder readable by everyone is made private.
        try FileManager.default.createDirectory(atPath: bench.data, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        try await bench.withServer { server in
            let id = try await server.deploy("noop", selection: Selection(nodes: ["n1"])).deployment.id
            _ = try await server.waitUntilFinal(id)
            func mode(_ path: String) throws -> Int {
                try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
            }
            #expect(try mode(bench.data) == 0o700)
            for file in ["waveline.sqlite", "waveline.sqlite-wal", "waveline.sqlite-shm", "waveline.lock"] {
                #expect(try mode(bench.data + "/" + file) == 0o600, "\(file)")
            }
            #expect(try mode(bench.data + "/nodes") & 0o077 == 0)
            #expect(try mode(bench.nodeDirectory("n1")) == 0o700)
        }
    }
}
