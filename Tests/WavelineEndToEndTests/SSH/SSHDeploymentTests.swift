import Foundation
import Subprocess
import SystemPackage
import Testing
import WavelineAPI
import WavelineCore
import WavelineServer
import WavelineStore
import WavelineTesting

/// The real `waveline serve` driving real sshd hosts on loopback (the "remote" side is this machine, so its
/// files and processes are checked directly).
@Suite("SSH deployments", .serialized, .sshHosts(6))
struct SSHDeploymentTests {
    static let writeValue = """
        name: write-value
        role: deployer
        idempotent: true
        parameters:
          - {name: value, type: string, required: true}
        steps:
          - name: write
            shell: printf '%s' "$WAVELINE_PARAM_VALUE" > value.txt
          - name: copy
            run: [cp, value.txt, copy.txt]
          - name: echo
            run: [printf, '%s\\n', "{{value}}"]
        post_checks:
          - {name: read back, run: [cat, value.txt]}
        """

    /// Works until the test puts `go` in the node's folder: a step that is surely still running when the test
    /// acts on it, however loaded the machine (a fixed sleep once ended before the host was killed).
    static let heldWork = """
        name: held-work
        role: deployer
        idempotent: true
        steps:
          - name: work
            shell: while [ ! -f go ]; do sleep 0.05; done; echo done > done.txt
            timeout: 1m
        """

    func release(_ nodes: [String]) throws {
        for node in nodes where !FileManager.default.createFile(atPath: "\(remoteRoot)/\(node)/go", contents: Data()) {
            throw HarnessError("cannot put go in \(remoteRoot)/\(node)")
        }
    }

    static func slowWork(seconds: Int) -> String {
        """
        name: slow-work
        role: deployer
        idempotent: true
        steps:
          - name: work
            shell: sleep \(seconds); echo done > done.txt
            timeout: 1m
        """
    }

    static func hang(_ token: String, timeout: String) -> String {
        """
        name: hang
        role: deployer
        idempotent: true
        steps:
          - name: hang
            shell: sleep \(token)
            timeout: \(timeout)
        """
    }

    static let tolerant = "name: tolerant\nfailure_budget: 100%\nphases:\n  - {name: all, size: rest, batch_size: 100%, parallelism: 10}\n"
    static let strict = "name: strict\nfailure_budget: 0\nphases:\n  - {name: all, size: rest, batch_size: 100%, parallelism: 10}\n"

    let remoteRoot = "/tmp/wl-remote-\(UUID().uuidString.prefix(8))"

    func remoteDirectories(_ hosts: SSHTestHosts, count: Int) throws {
        _ = try hosts.remoteDirectory(remoteRoot)
        for index in 1...count { _ = try hosts.remoteDirectory("\(remoteRoot)/n\(index)") }
    }

    func remoteFile(_ node: String, _ file: String) -> String? {
        try? String(contentsOfFile: "\(remoteRoot)/\(node)/\(file)", encoding: .utf8)
    }

    // MARK: -

    /// lightning → thunder over six hosts in two zones; a parameter full of shell metacharacters arrives
    /// unchanged and runs nothing; masters are closed when the deployment ends.
    @Test func lightningThunderOverSSHCarriesHostileValuesUnchanged() async throws {
        let hosts = try SSHTestHosts.required()
        try remoteDirectories(hosts, count: 6)
        defer { try? FileManager.default.removeItem(atPath: remoteRoot) }
        let pwned = "/tmp/wl-pwned-\(UUID().uuidString.prefix(8))"
        let value = "it's \"quoted\" $(touch \(pwned)-1) `touch \(pwned)-2`; touch \(pwned)-3 && echo $HOME | cat > \(pwned)-4 * ~ é 🚀"
        let bench = try Workbench(inventory: sshInventory(hosts, remoteRoot: remoteRoot, nodes: 6),
                                  operations: ["write-value": Self.writeValue])
        defer { bench.remove() }
        try await bench.withServer { server in
            let created = try await server.deploy("write-value", selection: Selection(clusters: ["app-ssh"]),
                                                  parameters: ["value": value], strategy: "lightning-thunder")
            let done = try await server.waitUntilFinal(created.deployment.id, timeout: .seconds(120))
            #expect(done.deployment.status == .succeeded, "\(done.deployment.statusReason ?? "")")
            #expect(done.phases.count == 2)
            for index in 1...6 {
                let node = "n\(index)"
                #expect(done.target(node)?.status == .succeeded, "\(node): \(done.target(node)?.failure?.reason ?? "")")
                #expect(remoteFile(node, "value.txt") == value, "\(node)'s value.txt")
                #expect(remoteFile(node, "copy.txt") == value, "\(node)'s copy.txt")
            }
            let logs = try await server.logs(created.deployment.id, node: "n1")
            #expect(logs.contains { $0.stream == "stdout" && $0.text == value })
            #expect(!logs.contains { $0.text.contains("__waveline_pgid__") }, "the marker line is not logged")
            for index in 1...4 { #expect(!FileManager.default.fileExists(atPath: "\(pwned)-\(index)"), "a metacharacter ran") }

            // The masters of those hosts are closed once the deployment is over.
            let sockets = bench.data + "/ssh/"
            try await eventually("no ssh master left for \(sockets)") { try await pgrep(sockets).isEmpty }
        }
    }

    /// A host that dies mid-step fails only its node, with a connection reason; the failure budget counts it;
    /// once the host is back, retry finishes the deployment.
    @Test func aHostKilledMidDeploymentFailsOnlyItsNodeAndRetryWorks() async throws {
        let hosts = try SSHTestHosts.required()
        try remoteDirectories(hosts, count: 6)
        defer { try? FileManager.default.removeItem(atPath: remoteRoot) }
        let bench = try Workbench(inventory: sshInventory(hosts, remoteRoot: remoteRoot, nodes: 6),
                                  operations: ["held-work": Self.heldWork], strategies: ["strict": Self.strict])
        defer { bench.remove() }
        let victim = hosts.hosts[2].name  // n3, zone a
        // Every other node may finish; n3 works until its host is killed.
        try release(["n1", "n2", "n4", "n5", "n6"])
        try await bench.withServer { server in
            let created = try await server.deploy("held-work", selection: Selection(clusters: ["app-ssh"]), strategy: "strict")
            let id = created.deployment.id
            try await server.waitFor(id, "n3 working") { $0.target("n3")?.currentStep == "work" && $0.target("n3")?.status == .running }
            try await hosts.kill(victim)
            let halted = try await server.waitFor(id, timeout: .seconds(60), "the deployment to halt") { detail in
                detail.deployment.status == .halted && detail.targets.allSatisfy { $0.status != .running }
            }
            let failure = try #require(halted.target("n3")?.failure)
            #expect(halted.target("n3")?.status == .failed)
            #expect(failure.reason.contains("n3 (") && (failure.reason.contains("lost") || failure.reason.contains("closed")),
                    "reason: \(failure.reason)")
            #expect(!failure.reason.contains("code 255"))
            #expect(halted.deployment.statusReason?.contains("failure budget") == true, "\(halted.deployment.statusReason ?? "")")
            for node in ["n1", "n5"] {
                #expect(halted.target(node)?.status == .succeeded, "\(node) in the same batch goes on")
                #expect(remoteFile(node, "done.txt") == "done\n")
            }

            try await hosts.revive(victim)
            try release(["n3"])
            _ = try await server.act("retry", id, nodes: ["n3"])
            let done = try await server.waitUntilFinal(id, timeout: .seconds(90))
            #expect(done.deployment.status == .succeeded, "\(done.deployment.statusReason ?? "")")
            #expect(remoteFile("n3", "done.txt") == "done\n")
        }
    }

    /// A changed host key and an unknown one fail with a host-key reason; accept-new trusts a first contact
    /// and says so in the log.
    @Test func hostKeysAreVerifiedAndAcceptNewIsExplicit() async throws {
        let hosts = try SSHTestHosts.required()
        try remoteDirectories(hosts, count: 3)
        defer { try? FileManager.default.removeItem(atPath: remoteRoot) }
        let keys = remoteRoot + "-keys"
        try FileManager.default.createDirectory(atPath: keys, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: keys) }
        // n1 → host-4 with someone else's key on record; n2 → host-5 unknown; n3 → host-6 unknown but accept-new.
        let other = try await run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", keys + "/other"])
        #expect(other == 0)
        let otherKey = try String(contentsOfFile: keys + "/other.pub", encoding: .utf8).split(separator: " ").prefix(2).joined(separator: " ")
        try "[127.0.0.1]:\(hosts.hosts[3].port) \(otherKey)\n".write(toFile: keys + "/changed", atomically: true, encoding: .utf8)
        try "".write(toFile: keys + "/empty-1", atomically: true, encoding: .utf8)
        try "".write(toFile: keys + "/empty-2", atomically: true, encoding: .utf8)
        let inventory = sshInventory(hosts, remoteRoot: remoteRoot, nodes: 3, firstHost: 4, extra: [
            "n1": "known_hosts_file: \(keys)/changed",
            "n2": "known_hosts_file: \(keys)/empty-1",
            "n3": "known_hosts_file: \(keys)/empty-2, accept_new_host_key: true",
        ])
        let bench = try Workbench(inventory: inventory, operations: ["write-value": Self.writeValue], strategies: ["tolerant": Self.tolerant])
        defer { bench.remove() }
        try await bench.withServer { server in
            let created = try await server.deploy("write-value", selection: Selection(clusters: ["app-ssh"]),
                                                  parameters: ["value": "v1"], strategy: "tolerant")
            let done = try await server.waitUntilFinal(created.deployment.id, timeout: .seconds(60))
            let changed = done.target("n1")?.failure?.reason ?? ""
            #expect(done.target("n1")?.status == .failed)
            #expect(changed.contains("host key") && changed.contains("changed"), "n1: \(changed)")
            let unknown = done.target("n2")?.failure?.reason ?? ""
            #expect(done.target("n2")?.status == .failed)
            #expect(unknown.contains("host key") && unknown.contains("unknown"), "n2: \(unknown)")
            #expect(done.target("n3")?.status == .succeeded, "n3: \(done.target("n3")?.failure?.reason ?? "")")
            #expect(remoteFile("n3", "value.txt") == "v1")
            #expect(remoteFile("n1", "value.txt") == nil && remoteFile("n2", "value.txt") == nil)
            let logs = try await server.logs(created.deployment.id, node: "n3")
            #expect(logs.contains { $0.stream == "system" && $0.text.contains("accept-new") })
            let recorded = try String(contentsOfFile: keys + "/empty-2", encoding: .utf8)
            #expect(recorded.contains("ssh-ed25519"), "accept-new records the key (hashed or not)")
            #expect(try String(contentsOfFile: keys + "/empty-1", encoding: .utf8).isEmpty, "nothing is silently accepted")
        }
    }

    /// A step that hangs is ended at its timeout, and its remote process group is gone.
    @Test func aHangingStepIsEndedAtItsTimeoutOnTheRemoteSide() async throws {
        let hosts = try SSHTestHosts.required()
        try remoteDirectories(hosts, count: 1)
        defer { try? FileManager.default.removeItem(atPath: remoteRoot) }
        let token = "29\(Int.random(in: 1000...9999)).\(Int.random(in: 100...999))"
        let bench = try Workbench(inventory: sshInventory(hosts, remoteRoot: remoteRoot, nodes: 1),
                                  operations: ["hang": Self.hang(token, timeout: "2s")])
        defer { bench.remove() }
        try await bench.withServer { server in
            let created = try await server.deploy("hang", selection: Selection(clusters: ["app-ssh"]), strategy: "all-at-once")
            let done = try await server.waitUntilFinal(created.deployment.id, timeout: .seconds(30))
            #expect(done.target("n1")?.status == .failed)
            #expect(done.target("n1")?.failure?.reason.contains("timed out") == true, "\(done.target("n1")?.failure?.reason ?? "")")
            try await eventually("the remote sleep \(token) is gone") { try await pgrep("sleep \(token)").isEmpty }
        }
    }

    /// With `--ssh-keep-masters`, a deployment's masters stay for the next one; stopping the server closes them.
    @Test func keptMastersOutliveTheDeploymentAndCloseWithTheServer() async throws {
        let hosts = try SSHTestHosts.required()
        try remoteDirectories(hosts, count: 2)
        defer { try? FileManager.default.removeItem(atPath: remoteRoot) }
        let bench = try Workbench(inventory: sshInventory(hosts, remoteRoot: remoteRoot, nodes: 2),
                                  operations: ["write-value": Self.writeValue])
        defer { bench.remove() }
        let sockets = bench.data + "/ssh/"
        try await bench.withServer(extraArguments: ["--ssh-keep-masters", "60"]) { server in
            for round in 1...2 {
                let created = try await server.deploy("write-value", selection: Selection(clusters: ["app-ssh"]),
                                                      parameters: ["value": "round \(round)"], strategy: "all-at-once")
                let done = try await server.waitUntilFinal(created.deployment.id, timeout: .seconds(60))
                #expect(done.deployment.status == .succeeded, "\(done.deployment.statusReason ?? "")")
                try await Task.sleep(for: .milliseconds(300))
                #expect(try await !pgrep(sockets).isEmpty, "round \(round): the masters were kept")
            }
        }
        try await eventually("the server closed its masters when it stopped") { try await pgrep(sockets).isEmpty }
    }

    /// Two nodes that are instances on one host share its master connection: a deployment ending on one
    /// must not close it under a deployment still running on the other.
    @Test func aDeploymentEndingOnOneInstanceLeavesItsHostsOtherInstanceConnected() async throws {
        let hosts = try SSHTestHosts.required()
        try remoteDirectories(hosts, count: 2)
        defer { try? FileManager.default.removeItem(atPath: remoteRoot) }
        let inventory = sshInventory(hosts, remoteRoot: remoteRoot, nodes: 1)
            + "      - {name: n2, zone: b, connection: {port: \(hosts.hosts[0].port), directory: \"\(remoteRoot)/n2\"}}\n"
        let bench = try Workbench(inventory: inventory, operations: ["write-value": Self.writeValue, "slow-work": Self.slowWork(seconds: 3)])
        defer { bench.remove() }
        try await bench.withServer { server in
            let slow = try await server.deploy("slow-work", selection: Selection(nodes: ["n2"]), strategy: "all-at-once")
            try await eventually("n2's master is open") { try await !pgrep(bench.data + "/ssh/").isEmpty }
            let quick = try await server.deploy("write-value", selection: Selection(nodes: ["n1"]), parameters: ["value": "x"], strategy: "all-at-once")
            let quickDone = try await server.waitUntilFinal(quick.deployment.id, timeout: .seconds(60))
            #expect(quickDone.deployment.status == .succeeded, "\(quickDone.deployment.statusReason ?? "")")
            let slowDone = try await server.waitUntilFinal(slow.deployment.id, timeout: .seconds(60))
            #expect(slowDone.deployment.status == .succeeded, "\(slowDone.deployment.statusReason ?? "")")
            #expect(remoteFile("n2", "done.txt") == "done\n")
            try await eventually("the shared master closed with the last deployment") { try await pgrep(bench.data + "/ssh/").isEmpty }
        }
    }

    /// Abort ends the remote command.
    @Test func abortEndsTheRemoteCommand() async throws {
        let hosts = try SSHTestHosts.required()
        try remoteDirectories(hosts, count: 2)
        defer { try? FileManager.default.removeItem(atPath: remoteRoot) }
        let token = "28\(Int.random(in: 1000...9999)).\(Int.random(in: 100...999))"
        let bench = try Workbench(inventory: sshInventory(hosts, remoteRoot: remoteRoot, nodes: 2),
                                  operations: ["hang": Self.hang(token, timeout: "5m")], strategies: ["tolerant": Self.tolerant])
        defer { bench.remove() }
        try await bench.withServer { server in
            let created = try await server.deploy("hang", selection: Selection(clusters: ["app-ssh"]), strategy: "tolerant")
            let id = created.deployment.id
            try await eventually("the remote sleep \(token) runs") { try await !pgrep("sleep \(token)").isEmpty }
            _ = try await server.act("abort", id)
            let done = try await server.waitUntilFinal(id, timeout: .seconds(30))
            #expect(done.deployment.status == .cancelled)
            try await eventually("the remote sleep \(token) is gone") { try await pgrep("sleep \(token)").isEmpty }
            try await eventually("no ssh master left") { try await pgrep(bench.data + "/ssh/").isEmpty }
        }
    }
}

/// Pids of processes whose command line contains `pattern` (taken literally).
func pgrep(_ pattern: String) async throws -> [String] {
    let escaped = pattern.map { "\\^$.|?*+()[]{}".contains($0) ? "\\\($0)" : String($0) }.joined()
    let result = try await Subprocess.run(.path(FilePath("/usr/bin/pgrep")), arguments: ["-f", escaped], output: .string(limit: 1 << 16))
    return result.standardOutput.split(separator: "\n").map(String.init)
}

func run(_ program: String, _ arguments: [String]) async throws -> Int32? {
    let result = try await Subprocess.run(.path(FilePath(program)), arguments: Arguments(arguments), output: .discarded)
    if case .exited(let code) = result.terminationStatus { return code }
    return nil
}

/// Polls `condition` for up to `timeout`; records an issue naming `what` when it never holds.
func eventually(_ what: String, timeout: Duration = .seconds(10), _ condition: () async throws -> Bool) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while clock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(100))
    }
    Issue.record("timed out waiting until \(what)")
}
