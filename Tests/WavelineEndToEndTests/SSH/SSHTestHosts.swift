import Foundation
import Subprocess
import SystemPackage
import Testing
import WavelineTesting

/// sshd test hosts on loopback, started by `scripts/sshd-hosts.sh` for the length of a suite (see
/// `SSHHostsTrait`) and stopped afterwards, even when a test fails.
struct SSHTestHosts: Sendable {
    struct Host: Sendable {
        var name: String
        var port: Int
    }

    /// Holds the client key, known_hosts, ssh_config and each host's files.
    let directory: String
    let hosts: [Host]
    /// The account the hosts are logged into (a light /bin/sh account when the tests run as root).
    let user: String

    static var script: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("scripts/sshd-hosts.sh").path
    }

    var clientKey: String { directory + "/client_ed25519" }
    var knownHosts: String { directory + "/known_hosts" }
    func host(_ name: String) -> Host? { hosts.first { $0.name == name } }

    /// Runs the script; its stdout, or an error with its stderr.
    @discardableResult
    static func script(_ arguments: [String]) async throws -> String {
        let result = try await Subprocess.run(
            .path(FilePath("/bin/bash")), arguments: Arguments([script] + arguments),
            output: .string(limit: 1 << 20), error: .string(limit: 1 << 20))
        guard result.terminationStatus == .exited(0) else {
            throw HarnessError("sshd-hosts.sh \(arguments.joined(separator: " ")) failed: \(result.standardError)")
        }
        return result.standardOutput
    }

    static func start(count: Int) async throws -> SSHTestHosts {
        let directory = "/tmp/wl-sshd-\(UUID().uuidString.prefix(8))"
        let table = try await script(["start", String(count), directory])
        let hosts = table.split(separator: "\n").compactMap { line -> Host? in
            let fields = line.split(separator: "\t")
            guard fields.count == 3, let port = Int(fields[1]) else { return nil }
            return Host(name: String(fields[0]), port: port)
        }
        let user = (try? String(contentsOfFile: directory + "/user", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? NSUserName()
        return SSHTestHosts(directory: directory, hosts: hosts, user: user)
    }

    func stop() async {
        _ = try? await Self.script(["stop", directory])
        try? FileManager.default.removeItem(atPath: directory)
    }

    func kill(_ name: String) async throws { try await Self.script(["kill", directory, name]) }
    func revive(_ name: String) async throws { try await Self.script(["revive", directory, name]) }

    /// A directory for a node's files on the "remote" side (this machine), owned by the hosts' account.
    func remoteDirectory(_ path: String) throws -> String {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.ownerAccountName: user, .posixPermissions: 0o755], ofItemAtPath: path)
        return path
    }

    @TaskLocal static var current: Result<SSHTestHosts, HarnessError>?

    /// The suite's hosts; when they could not be started, cancels (skips) the calling test saying why, except on
    /// CI (`CI=true`), where a missing part is a failure: CI installs sshd, so a skip there would hide a broken setup.
    static func required() throws -> SSHTestHosts {
        switch current {
        case .success(let hosts)?: return hosts
        case .failure(let problem)? where ProcessInfo.processInfo.environment["CI"] == "true": throw problem
        case .failure(let problem)?: try Test.cancel("\(problem)")
        case nil: try Test.cancel("no sshd test hosts: the suite lacks the .sshHosts trait")
        }
    }
}

/// Starts `count` sshd hosts around a suite and stops them after it, whatever happened. When sshd cannot be
/// installed or started, the suite's tests see why through `SSHTestHosts.current` and are skipped.
struct SSHHostsTrait: SuiteTrait, TestTrait, TestScoping {
    let count: Int
    var isRecursive: Bool { false }

    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        if SSHTestHosts.current != nil { return try await function() }
        let started: Result<SSHTestHosts, HarnessError>
        do {
            started = .success(try await SSHTestHosts.start(count: count))
        } catch {
            started = .failure(HarnessError("sshd test hosts are not available, SSH tests skipped: \(error)"))
        }
        do {
            try await SSHTestHosts.$current.withValue(started) { try await function() }
        } catch {
            if case .success(let hosts) = started { await hosts.stop() }
            throw error
        }
        if case .success(let hosts) = started { await hosts.stop() }
    }
}

extension Trait where Self == SSHHostsTrait {
    static func sshHosts(_ count: Int) -> Self { SSHHostsTrait(count: count) }
}
