import Foundation
import Testing
import WavelineCore
@testable import WavelineExecutors

/// What the SSH executor refuses or keeps apart on its own, whatever the inventory loader let through.
@Suite struct SSHConnectionSafetyTests {
    static func node(_ connection: SSHConnection, name: String = "n1") -> Node {
        Node(name: name, cluster: "c1", zone: "a", connection: .ssh(connection))
    }

    /// A stand-in for `ssh` that records that it ran and prints its environment on stderr.
    static func recordingSSH(in directory: String) throws -> (program: String, ranMarker: String) {
        let marker = directory + "/ssh-ran"
        let path = directory + "/fake-ssh"
        try "#!/bin/sh\ntouch '\(marker)'\ncat >/dev/null\nenv >&2\nexit 0\n".write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        return (path, marker)
    }

    static let hostile: [(String, SSHConnection)] = [
        ("a jump host hiding an option", SSHConnection(host: "db-1", jumpHost: "nojump.invalid,-oProxyCommand=touch /tmp/wl-pwned-j")),
        ("a jump host with a command", SSHConnection(host: "db-1", jumpHost: "$(touch /tmp/wl-pwned-k)")),
        ("a user hiding an option", SSHConnection(host: "db-1", user: "u@-oProxyCommand=touch /tmp/wl-pwned-u")),
        ("a user with a command", SSHConnection(host: "db-1", user: "$(touch /tmp/wl-pwned-v)")),
        ("a host that is an option", SSHConnection(host: "-oProxyCommand=touch /tmp/wl-pwned-h")),
        ("a host with spaces", SSHConnection(host: "db-1 -oProxyCommand=x")),
        ("an identity file that is an option", SSHConnection(host: "db-1", identityFile: "-oProxyCommand=x")),
        ("ProxyCommand", SSHConnection(host: "db-1", options: ["ProxyCommand": "touch /tmp/wl-pwned-p"])),
        ("proxycommand in any case", SSHConnection(host: "db-1", options: ["proxyCOMMAND": "touch /tmp/wl-pwned-p"])),
        ("LocalCommand", SSHConnection(host: "db-1", options: ["LocalCommand": "touch /tmp/wl-pwned-l", "PermitLocalCommand": "yes"])),
        ("PermitLocalCommand", SSHConnection(host: "db-1", options: ["PermitLocalCommand": "yes"])),
        ("KnownHostsCommand", SSHConnection(host: "db-1", options: ["KnownHostsCommand": "/bin/echo"])),
        ("Match exec", SSHConnection(host: "db-1", options: ["Match": "exec \"touch /tmp/wl-pwned-m\""])),
        ("Include", SSHConnection(host: "db-1", options: ["Include": "/tmp/evil_config"])),
        ("StrictHostKeyChecking=no", SSHConnection(host: "db-1", options: ["StrictHostKeyChecking": "no"])),
        ("UserKnownHostsFile", SSHConnection(host: "db-1", options: ["UserKnownHostsFile": "/dev/null"])),
        ("PKCS11Provider", SSHConnection(host: "db-1", options: ["PKCS11Provider": "/tmp/evil.so"])),
        ("LocalForward", SSHConnection(host: "db-1", options: ["LocalForward": "8080 localhost:80"])),
        ("an option name with a space", SSHConnection(host: "db-1", options: ["Compression yes\nProxyCommand": "x"])),
        ("an option value with a newline", SSHConnection(host: "db-1", options: ["Compression": "yes\nProxyCommand x"])),
    ]

    @Test func hostileConnectionsAreRefusedBeforeSSHRuns() async throws {
        let data = try TemporaryDirectory()
        let (fake, ran) = try Self.recordingSSH(in: data.path)
        let executor = SSHExecutor(controlDirectory: data.path, sshProgram: fake)
        for (what, connection) in Self.hostile {
            #expect(SSHConnectionCheck.problem(in: connection) != nil, "\(what) was accepted")
            let result = await executor.run(ResolvedCommand(argv: ["true"]), on: Self.node(connection), timeout: .seconds(30)) { _ in }
            guard case .couldNotStart(let why) = result.outcome else {
                Issue.record("\(what): expected couldNotStart, got \(result.outcome)")
                continue
            }
            #expect(why.contains("refused"), "\(what): \(why)")
        }
        #expect(!FileManager.default.fileExists(atPath: ran), "ssh ran for a refused connection")
        await executor.release(nodes: Self.hostile.map { Self.node($0.1) })
        #expect(!FileManager.default.fileExists(atPath: ran), "ssh ran to release a refused connection")
    }

    @Test func ordinaryConnectionsPass() {
        let fine: [SSHConnection] = [
            SSHConnection(host: "db-1.internal", port: 2222, user: "deploy", identityFile: "~/.ssh/id", jumpHost: "ops@bastion:2222,jump-2"),
            SSHConnection(host: "10.0.0.1", user: "ops.user_1"),
            SSHConnection(host: "[::1]", jumpHost: "[fe80::1]:22"),
            SSHConnection(host: "::1"),
            SSHConnection(host: "db-1", options: ["ServerAliveInterval": "15", "Compression": "yes", "SendEnv": "LANG"]),
        ]
        for connection in fine { #expect(SSHConnectionCheck.problem(in: connection) == nil, "\(connection) was refused") }
    }

    /// Nodes share a master only when everything that decides authentication and trust is the same.
    @Test func mastersAreSharedOnlyByNodesThatAuthenticateAlike() {
        let base = SSHConnection(host: "db-1", port: 22, user: "ops", identityFile: "/keys/a", knownHostsFile: "/kh/a", directory: "/srv/a")
        var otherDirectory = base
        otherDirectory.directory = "/srv/b"
        #expect(SSHExecutor.masterKey(base) == SSHExecutor.masterKey(otherDirectory), "instances in two directories share")
        var variants: [SSHConnection] = []
        var changed = base
        changed.identityFile = "/keys/b"; variants.append(changed)
        changed = base; changed.identityFile = nil; variants.append(changed)
        changed = base; changed.knownHostsFile = "/kh/b"; variants.append(changed)
        changed = base; changed.jumpHost = "bastion"; variants.append(changed)
        changed = base; changed.acceptNewHostKey = true; variants.append(changed)
        changed = base; changed.options = ["CertificateFile": "/keys/a-cert.pub"]; variants.append(changed)
        changed = base; changed.user = "root"; variants.append(changed)
        changed = base; changed.port = 2222; variants.append(changed)
        let keys = Set(variants.map(SSHExecutor.masterKey))
        #expect(keys.count == variants.count)
        #expect(!keys.contains(SSHExecutor.masterKey(base)))
        #expect(SSHExecutor.masterKey(base).count == 40)
        let executor = SSHExecutor(controlDirectory: "/tmp/wl-sockets", sshProgram: "/usr/bin/ssh")
        let text = executor.options(for: base).joined(separator: " ")
        #expect(text.contains("-o ControlPath=/tmp/wl-sockets/\(SSHExecutor.masterKey(base))"))
    }

    /// A directory or program that starts with '-' cannot become an option of the remote shell's builtins.
    @Test func aLeadingDashIsNeverAnOptionRemotely() throws {
        let script = try RemoteCommand.script(for: ResolvedCommand(argv: ["true"]), directory: "-P").get()
        #expect(script.command.contains("cd './-P'"), "\(script.command)")
        let absolute = try RemoteCommand.script(for: ResolvedCommand(argv: ["true"]), directory: "/srv/-x").get()
        #expect(absolute.command.contains("cd '/srv/-x'"))
        #expect(throws: RemoteCommandProblem.self) { try RemoteCommand.script(for: ResolvedCommand(argv: ["-c", "x"]), directory: nil).get() }
    }

    /// ssh gets the allow-listed variables only: never the server's secrets or initial credentials.
    @Test func theSSHClientGetsOnlyAllowListedVariables() async throws {
        let data = try TemporaryDirectory()
        let (fake, _) = try Self.recordingSSH(in: data.path)
        let server = [
            "PATH": "/usr/bin:/bin", "HOME": "/home/wl", "LANG": "C.UTF-8", "LC_TIME": "C", "SSH_AUTH_SOCK": "/tmp/agent.sock",
            "WAVELINE_INITIAL_ADMIN_PASSWORD": "canary-password", "WAVELINE_INITIAL_ADMIN_TOKEN": "canary-token",
            "PROD_DB_PASSWORD": "canary-secret", "AWS_SECRET_ACCESS_KEY": "canary-aws",
        ]
        let executor = SSHExecutor(controlDirectory: data.path, sshProgram: fake, serverEnvironment: server)
        let collected = CollectedOutput()
        let result = await executor.run(ResolvedCommand(argv: ["true"]), on: Self.node(SSHConnection(host: "db-1")), timeout: .seconds(30),
                                        output: collected.callback)
        #expect(result.outcome == .exited(0))
        let environment = collected.texts(.stderr)
        #expect(!environment.contains { $0.contains("canary") }, "\(environment)")
        for kept in ["PATH=/usr/bin:/bin", "HOME=/home/wl", "LANG=C.UTF-8", "LC_TIME=C", "SSH_AUTH_SOCK=/tmp/agent.sock"] {
            #expect(environment.contains(kept), "\(kept) is missing")
        }
        let local = LocalExecutor(dataDirectory: data.path, serverEnvironment: server)
        #expect(local.environment(for: ResolvedCommand(argv: ["env"])).values.allSatisfy { !$0.contains("canary") })
        #expect(local.environment(for: ResolvedCommand(argv: ["env"]))["SSH_AUTH_SOCK"] == nil, "steps do not get the agent")
    }
}
