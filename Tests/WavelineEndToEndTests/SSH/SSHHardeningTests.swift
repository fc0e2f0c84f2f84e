import Foundation
import Testing
import WavelineAPI
import WavelineCore
import WavelineServer
import WavelineStore
import WavelineTesting

/// The real server against hosts that refuse it, keys that are refused, and a server environment full of
/// secrets: one bad host never takes the server down, a node never borrows another's authenticated
/// connection, and steps and ssh see only what they need.
@Suite("SSH hardening", .serialized, .sshHosts(2))
struct SSHHardeningTests {
    let remoteRoot = "/tmp/wl-remote-\(UUID().uuidString.prefix(8))"

    static let tolerant = "name: tolerant\nfailure_budget: 100%\nphases:\n  - {name: all, size: rest, batch_size: 100%, parallelism: 20}\n"
    static let quick = "name: quick\nrole: deployer\nidempotent: true\nsteps:\n  - {name: touch, run: [touch, ran.txt]}\n"
    static let printEnvironment = "name: print-env\nrole: deployer\nidempotent: true\nsteps:\n  - {name: env, run: [env]}\n"

    /// Nodes whose ports refuse connections, each with variables far larger than a pipe holds (so ssh, failing
    /// at once, never reads them while they are still being written), deployed thirty times (240 refused connections): every node
    /// fails with a refused connection, and the server answers all along.
    @Test func nodesOnClosedPortsDeployedOverAndOverNeverCrashTheServer() async throws {
        let nodes = 8
        let big = String(repeating: "x", count: 256 * 1024)
        var inventory = """
            environments:
              - {name: test}
            products:
              - {name: app, owner: team}
            clusters:
              - name: closed
                product: app
                environment: test
                zones: [a]
                variables: {BIG_ONE: "\(big)", BIG_TWO: "\(big)"}
                connection: {type: ssh, host: 127.0.0.1, user: nobody, connect_timeout: 5s}
                nodes:

            """
        // Port 1 on loopback: nothing listens there, the kernel refuses at once.
        for index in 1...nodes { inventory += "      - {name: c\(index), zone: a, connection: {port: 1}}\n" }
        let bench = try Workbench(inventory: inventory, operations: ["quick": Self.quick], strategies: ["tolerant": Self.tolerant])
        defer { bench.remove() }
        try await bench.withServer { server in
            for round in 1...30 {
                let created = try await server.deploy("quick", selection: Selection(clusters: ["closed"]), strategy: "tolerant")
                let done = try await server.waitUntilFinal(created.deployment.id, timeout: .seconds(60))
                #expect(done.targets.count == nodes)
                for target in done.targets {
                    #expect(target.status == .failed, "round \(round) \(target.node): \(target.status)")
                    #expect(target.failure?.reason.contains("refused") == true, "round \(round) \(target.node): \(target.failure?.reason ?? "")")
                }
            }
        }
    }

    /// Two nodes on one host and user: n1 with the host's key holds a master open; n2, configured with a key the
    /// host refuses, must fail to authenticate rather than run over n1's connection.
    @Test func aNodeWithARefusedKeyNeverRunsOverAnotherNodesMaster() async throws {
        let hosts = try SSHTestHosts.required()
        _ = try hosts.remoteDirectory(remoteRoot)
        for node in ["n1", "n2"] { _ = try hosts.remoteDirectory("\(remoteRoot)/\(node)") }
        defer { try? FileManager.default.removeItem(atPath: remoteRoot) }
        let keys = remoteRoot + "-keys"
        try FileManager.default.createDirectory(atPath: keys, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: keys) }
        #expect(try await run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", keys + "/refused"]) == 0)

        let port = hosts.hosts[0].port
        let inventory = sshInventory(hosts, remoteRoot: remoteRoot, nodes: 1)
            + "      - {name: n2, zone: b, connection: {port: \(port), identity_file: \(keys)/refused, directory: \"\(remoteRoot)/n2\"}}\n"
        let slow = "name: slow\nrole: deployer\nidempotent: true\nsteps:\n  - {name: work, shell: 'sleep 4; touch done.txt'}\n"
        let bench = try Workbench(inventory: inventory, operations: ["quick": Self.quick, "slow": slow])
        defer { bench.remove() }
        try await bench.withServer { server in
            let holding = try await server.deploy("slow", selection: Selection(nodes: ["n1"]), strategy: "all-at-once")
            try await server.waitFor(holding.deployment.id, "n1 working") { $0.target("n1")?.currentStep == "work" && $0.target("n1")?.status == .running }
            // The step's start is recorded before ssh runs: wait for n1's master socket itself.
            try await eventually("n1's master is listening") {
                !((try? FileManager.default.contentsOfDirectory(atPath: bench.data + "/ssh")) ?? []).isEmpty
            }
            let borrowing = try await server.deploy("quick", selection: Selection(nodes: ["n2"]), strategy: "all-at-once")
            let refused = try await server.waitUntilFinal(borrowing.deployment.id, timeout: .seconds(60))
            #expect(refused.target("n2")?.status == .failed)
            let reason = refused.target("n2")?.failure?.reason ?? ""
            #expect(reason.contains("authentication"), "n2: \(reason)")
            #expect(!FileManager.default.fileExists(atPath: "\(remoteRoot)/n2/ran.txt"), "n2's step ran over n1's master")
            let held = try await server.waitUntilFinal(holding.deployment.id, timeout: .seconds(60))
            #expect(held.deployment.status == .succeeded, "\(held.deployment.statusReason ?? "")")
        }
    }

    /// Over SSH, the server killed twice: first while a step sleeps (the restart ends the remote copy before
    /// running it again, never overlapping it), then while a non-idempotent step waits for a file and ends while
    /// the server is down (the restart finds its exit code on the host and does not run it again).
    @Test func afterACrashRemoteStepsAreEndedOrRecognisedNeverRunTwiceAtOnce() async throws {
        let hosts = try SSHTestHosts.required()
        _ = try hosts.remoteDirectory(remoteRoot)
        _ = try hosts.remoteDirectory("\(remoteRoot)/n1")
        defer { try? FileManager.default.removeItem(atPath: remoteRoot) }
        let token = "32\(Int.random(in: 1000...9999)).\(Int.random(in: 100...999))"
        let operation = """
            name: remote-crash
            role: deployer
            idempotent: false
            steps:
              - name: long
                shell: 'if [ -f long.pid ] && kill -0 "$(cat long.pid)" 2>/dev/null; then echo OVERLAP >> journal; fi; echo $$ > long.pid; echo "long start" >> journal; if [ ! -f second ]; then touch second; sleep \(token); fi; echo "long end" >> journal'
              - name: gated
                shell: 'echo "gated start" >> journal; i=0; while [ ! -f go ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done; echo "gated end" >> journal'
            """
        let bench = try Workbench(inventory: sshInventory(hosts, remoteRoot: remoteRoot, nodes: 1), operations: ["remote-crash": operation])
        defer { bench.remove() }
        func journal() -> [String] {
            ((try? String(contentsOfFile: "\(remoteRoot)/n1/journal", encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        }
        var id: Int64 = 0
        try await bench.withServer { server in
            id = try await server.deploy("remote-crash", selection: Selection(nodes: ["n1"]), strategy: "all-at-once").deployment.id
            try await eventually("the remote sleep \(token) runs") { try await !pgrep("sleep \(token)").isEmpty }
            server.crash()
        }
        #expect(try await !pgrep("sleep \(token)").isEmpty, "the step still runs on the host after the crash")
        // The restart ends the remote copy, then (a person retrying the interrupted non-idempotent node) runs it
        // again. On a loaded machine the restart's check of the host may time out; the retry then ends the copy
        // before it starts the step, so either way no two copies ever run (the journal has no OVERLAP).
        try await bench.withServer { server in
            _ = try await server.waitFor(id, "paused for a person") { $0.deployment.status == .paused }
            _ = try await server.act("retry", id)
            try await eventually("the gated step runs") { journal().contains("gated start") }
            #expect(try await pgrep("sleep \(token)").isEmpty, "the killed server's remote step still runs")
            server.crash()
        }
        try Data().write(to: URL(fileURLWithPath: "\(remoteRoot)/n1/go"))
        try await eventually("the gated step ended while the server was down") { journal().contains("gated end") }
        try await bench.withServer { server in
            let final = try await server.waitUntilFinal(id, timeout: .seconds(60))
            #expect(final.deployment.status == .succeeded, "\(final.deployment.statusReason ?? "")")
            #expect(journal() == ["long start", "long start", "long end", "gated start", "gated end"], "\(journal())")
        }
    }

    /// A server started with secrets in its environment: a step printing `env`, locally and over ssh, never
    /// shows them, nor do the ssh client processes hold them.
    @Test func stepsAndTheSSHClientNeverSeeTheServersEnvironment() async throws {
        let hosts = try SSHTestHosts.required()
        _ = try hosts.remoteDirectory(remoteRoot)
        _ = try hosts.remoteDirectory("\(remoteRoot)/n1")
        defer { try? FileManager.default.removeItem(atPath: remoteRoot) }
        let canary = "wl-canary-\(UUID().uuidString.prefix(8))"
        let inventory = sshInventory(hosts, remoteRoot: remoteRoot, nodes: 1)
            + "  - name: local\n    product: app\n    environment: test\n    zones: [a]\n    nodes:\n      - {name: l1, zone: a}\n"
        let slowEnv = "name: slow-env\nrole: deployer\nidempotent: true\nsteps:\n  - {name: env, shell: 'env; sleep 3'}\n"
        let bench = try Workbench(inventory: inventory, operations: ["print-env": Self.printEnvironment, "slow-env": slowEnv])
        defer { bench.remove() }
        try await bench.withServer(environment: ["WAVELINE_TEST_CANARY": canary, "OTHER_ENV_DB_PASSWORD": canary]) { server in
            let local = try await server.deploy("print-env", selection: Selection(nodes: ["l1"]), strategy: "all-at-once")
            let remote = try await server.deploy("slow-env", selection: Selection(nodes: ["n1"]), strategy: "all-at-once")
            // While the remote step runs, the ssh processes (client and master) are alive: read their environment.
            try await server.waitFor(remote.deployment.id, "n1 running") { $0.target("n1")?.status == .running }
            try await eventually("n1's master is up") { try await !pgrep(bench.data + "/ssh/").isEmpty }
            for pid in try await pgrep(bench.data + "/ssh/") {
                guard let environ = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { continue }
                let text = String(decoding: environ, as: UTF8.self)
                #expect(!text.contains(canary), "ssh process \(pid) holds the server's canary")
                #expect(!text.contains(Workbench.adminToken), "ssh process \(pid) holds the initial admin token")
            }
            for id in [local.deployment.id, remote.deployment.id] {
                let done = try await server.waitUntilFinal(id, timeout: .seconds(60))
                #expect(done.deployment.status == .succeeded, "\(done.deployment.statusReason ?? "")")
                let lines = try await server.logs(id)
                #expect(lines.contains { $0.stream == "stdout" && $0.text.hasPrefix("PATH=") }, "env printed nothing")
                for line in lines {
                    #expect(!line.text.contains(canary), "a step saw the server's canary: \(line.text)")
                    #expect(!line.text.contains("WAVELINE_INITIAL_ADMIN"), "a step saw the initial credentials: \(line.text)")
                }
            }
        }
    }
}
