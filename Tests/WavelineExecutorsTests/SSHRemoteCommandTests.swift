import Foundation
import Subprocess
import SystemPackage
import Testing
import WavelineCore
@testable import WavelineExecutors

/// Values that break naive shell building: every one must reach the program as exactly itself, and none may run.
let hostileValues: [String] = [
    "", " ", "two words", "'", "''", "a'b", "\"", "\\", "\\'", "$HOME", "${HOME}", "$(touch /tmp/waveline-pwned-1)",
    "`touch /tmp/waveline-pwned-2`", "; touch /tmp/waveline-pwned-3", "a && b || c", "| cat", "> /tmp/waveline-pwned-4",
    "line1\nline2", "\n", "\t tab", "*", "?", "[a-z]", "~", "-n", "--", "#comment", "!", "%s%n", "é ü 日本 🚀", "\r\n",
]

@Suite("SSH remote command quoting")
struct SSHRemoteCommandTests {
    @Test func quotingIsStrictPOSIXSingleQuoting() {
        #expect(RemoteCommand.quote("") == "''")
        #expect(RemoteCommand.quote("abc") == "'abc'")
        #expect(RemoteCommand.quote("a'b") == "'a'\\''b'")
        #expect(RemoteCommand.quote("$(x) `y` \"z\"") == "'$(x) `y` \"z\"'")
    }

    /// Runs the script through a real `/bin/sh -c` (what sshd does with it) and checks that the program got
    /// every hostile argument and variable unchanged, that the marker came first on stderr, and that nothing ran.
    @Test func hostileArgumentsAndVariablesArriveUnchangedAndInert() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wl q 'dir' $(x)-\(UUID().uuidString.prefix(6))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for index in 1...4 { try? FileManager.default.removeItem(atPath: "/tmp/waveline-pwned-\(index)") }

        var environment: [String: String] = [:]
        for (index, value) in hostileValues.enumerated() { environment["WL_V\(index)"] = value }
        // The program prints its directory, then each variable, then each argument, NUL-separated.
        let printer = "pwd; printf '\\0'; for v in $(env | grep -o '^WL_V[0-9]*' | sort -t V -k 2 -n); do eval \"printf '%s\\0' \\\"\\$$v\\\"\"; done; printf '%s\\0' \"$@\""
        let command = ResolvedCommand(argv: ["/bin/sh", "-c", printer, "sh"] + hostileValues, environment: environment)
        let script = try RemoteCommand.script(for: command, directory: directory).get()

        // The variables travel on stdin, never on a command line (`ps` shows those to every local user).
        #expect(!script.command.contains("WL_V0=") && script.standardInput.contains("export WL_V0="), "a variable is on the command line: \(script.command)")
        let result = try await Subprocess.run(
            .path(FilePath("/bin/sh")), arguments: ["-c", script.command], input: .string(script.standardInput),
            output: .string(limit: 1 << 20), error: .string(limit: 1 << 20))
        #expect(result.terminationStatus == .exited(0), "\result.standardError")
        var fields = result.standardOutput.split(separator: "\0", omittingEmptySubsequences: false).map(String.init)
        #expect(fields.last == "")
        fields.removeLast()
        #expect(fields.first == directory + "\n")
        let values = Array(fields.dropFirst())
        #expect(values.count == hostileValues.count * 2)
        #expect(Array(values.prefix(hostileValues.count)) == hostileValues, "variables")
        #expect(Array(values.suffix(hostileValues.count)) == hostileValues, "arguments")
        let stderr = result.standardError
        #expect(stderr.hasPrefix(RemoteCommand.markerPrefix))
        #expect(RemoteCommand.markerID(in: String(stderr.split(separator: "\n").first ?? "")) != nil)
        for index in 1...4 {
            #expect(!FileManager.default.fileExists(atPath: "/tmp/waveline-pwned-\(index)"), "a hostile value ran")
        }
    }

    @Test func whatCannotBePassedIsRefusedWithAReason() {
        #expect(throws: RemoteCommandProblem.self) { try RemoteCommand.script(for: ResolvedCommand(argv: []), directory: nil).get() }
        #expect(throws: RemoteCommandProblem.self) { try RemoteCommand.script(for: ResolvedCommand(argv: ["a\0b"]), directory: nil).get() }
        #expect(throws: RemoteCommandProblem.self) { try RemoteCommand.script(for: ResolvedCommand(argv: ["A=b"]), directory: nil).get() }
        let noDirectory = try? RemoteCommand.script(for: ResolvedCommand(argv: ["true"]), directory: nil).get()
        #expect(noDirectory?.command.contains("cd ") == false)
        #expect(throws: RemoteCommandProblem.self) { try RemoteCommand.script(for: ResolvedCommand(argv: ["true"], environment: ["1X": "v"]), directory: nil).get() }
        #expect(throws: RemoteCommandProblem.self) { try RemoteCommand.script(for: ResolvedCommand(argv: ["true"], environment: ["A-B": "v"]), directory: nil).get() }
    }

    @Test func sshOptionsVerifyHostKeysAndShareOneMaster() throws {
        let executor = SSHExecutor(controlDirectory: "/tmp/wl-sockets", sshProgram: "/usr/bin/ssh")
        let strict = executor.options(for: SSHConnection(
            host: "db-1", port: 2222, user: "ops", identityFile: "/keys/id", jumpHost: "bastion",
            knownHostsFile: "/etc/wl/known_hosts", connectTimeout: .milliseconds(2500), options: ["ServerAliveInterval": "9"]))
        let text = strict.joined(separator: " ")
        #expect(text.contains("-o StrictHostKeyChecking=yes"))
        #expect(text.contains("-o BatchMode=yes"))
        #expect(text.contains("-o UserKnownHostsFile=/etc/wl/known_hosts"))
        #expect(text.contains("-o ControlMaster=auto -o ControlPath=/tmp/wl-sockets/"))
        #expect(text.contains("-o ConnectTimeout=3"))
        #expect(text.contains("-p 2222") && text.contains("-l ops") && text.contains("-i /keys/id") && text.contains("-J bastion"))
        #expect(text.contains("-o IdentitiesOnly=yes"))
        // The inventory's own option comes before Waveline's default for the same keyword, so it wins.
        let own = try #require(text.range(of: "ServerAliveInterval=9"))
        let ours = try #require(text.range(of: "ServerAliveInterval=5"))
        #expect(own.lowerBound < ours.lowerBound)
        #expect(!text.contains(" -F "))

        let acceptNew = executor.options(for: SSHConnection(host: "db-2", acceptNewHostKey: true)).joined(separator: " ")
        #expect(acceptNew.contains("-o StrictHostKeyChecking=accept-new"))
        #expect(!acceptNew.contains("StrictHostKeyChecking=no"))
    }
}

@Suite("SSH failure classification")
struct SSHFailureTests {
    let destination = "db-1 (ops@127.0.0.1:22)"

    @Test(arguments: [
        ("ssh: connect to host 127.0.0.1 port 22220: Connection refused", "refused the connection"),
        ("ssh: connect to host 10.1.2.3 port 22: No route to host", "is unreachable"),
        ("ssh: connect to host 10.1.2.3 port 22: Connection timed out", "did not answer in time"),
        ("ssh: Could not resolve hostname nowhere: Name or service not known", "is unreachable"),
        ("ops@127.0.0.1: Permission denied (publickey).", "authentication to db-1 (ops@127.0.0.1:22) failed (ops@127.0.0.1: Permission denied (publickey).)"),
        ("kex_exchange_identification: read: Connection reset by peer", "closed the connection while it was being set up"),
    ])
    func connectFailuresHaveAReason(line: String, expected: String) throws {
        let reason = try #require(SSHFailure.reason(lines: [line], destination: destination, started: false))
        #expect(reason.contains(expected), "\(reason)")
        #expect(reason.contains(destination))
    }

    @Test func hostKeyProblemsAreNamed() throws {
        let changed = [
            "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@",
            "@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @",
            "Offending ED25519 key in /tmp/known_hosts:1",
            "Host key for [127.0.0.1]:22220 has changed and you have requested strict checking.",
            "Host key verification failed.",
        ]
        let changedReason = try #require(SSHFailure.reason(lines: changed, destination: destination, started: false))
        #expect(changedReason.contains("has changed"))
        let unknown = [
            "No ED25519 host key is known for [127.0.0.1]:22220 and you have requested strict checking.",
            "Host key verification failed.",
        ]
        let unknownReason = try #require(SSHFailure.reason(lines: unknown, destination: destination, started: false))
        #expect(unknownReason.contains("is unknown"))
        #expect(unknownReason.contains("accept_new_host_key"))
    }

    @Test func aDropMidCommandIsNotAConnectFailure() throws {
        let reason = try #require(SSHFailure.reason(
            lines: ["doing work", "Connection to 127.0.0.1 closed by remote host."], destination: destination, started: true))
        #expect(reason.contains("was lost while the command ran"))
    }

    @Test func aRemoteExit255WithoutAnSSHMessageIsTheCommands() {
        #expect(SSHFailure.reason(lines: ["my tool failed"], destination: destination, started: true) == nil)
        let beforeStart = SSHFailure.reason(lines: ["something odd"], destination: destination, started: false)
        #expect(beforeStart?.contains("could not connect") == true)
    }
}
