import Foundation
import Logging
import Subprocess
import SystemPackage
import WavelineCore
import WavelineServer

/// A temporary Waveline installation: data folder, inventory, catalog, strategies, and the real `waveline`
/// binary to run against them (`withServer`), or the same server built in-process (`serverOptions`). Each test
/// gets its own.
public struct Workbench: Sendable {
    public let root: String
    public var data: String { root + "/data" }
    public var inventory: String { root + "/inventory.yaml" }
    public var catalog: String { root + "/catalog" }
    public var strategies: String { root + "/strategies" }

    /// The package's root folder (this file is Sources/WavelineTesting/Workbench.swift).
    public static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    public static var binary: String {
        if let path = ProcessInfo.processInfo.environment["WAVELINE_BIN"] { return path }
        return packageRoot.appendingPathComponent(".build/debug/waveline").path
    }

    public init(inventory: String, operations: [String: String], strategies: [String: String] = [:]) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("waveline-e2e-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: root + "/catalog", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/strategies", withIntermediateDirectories: true)
        try inventory.write(toFile: root + "/inventory.yaml", atomically: true, encoding: .utf8)
        for (name, text) in operations { try text.write(toFile: "\(root)/catalog/\(name).yaml", atomically: true, encoding: .utf8) }
        for (name, text) in strategies { try text.write(toFile: "\(root)/strategies/\(name).yaml", atomically: true, encoding: .utf8) }
    }

    public func nodeDirectory(_ node: String) -> String { data + "/nodes/" + node }

    public func read(_ node: String, _ file: String) -> String? {
        try? String(contentsOfFile: nodeDirectory(node) + "/" + file, encoding: .utf8)
    }

    public func remove() { try? FileManager.default.removeItem(atPath: root) }

    /// Puts an empty `file` in each node's folder (made if the node has not run yet): the release of a step that
    /// waits for it, so a test decides when a step ends instead of guessing with a sleep.
    public func release(_ file: String = "go", on nodes: [String]) throws {
        for node in nodes {
            try FileManager.default.createDirectory(atPath: nodeDirectory(node), withIntermediateDirectories: true)
            guard FileManager.default.createFile(atPath: nodeDirectory(node) + "/" + file, contents: Data()) else {
                throw HarnessError("cannot put \(file) in \(nodeDirectory(node))")
            }
        }
    }

    /// The lines of a node's `journal` file (steps append to it), empty when there is none.
    public func journal(_ node: String) -> [String] {
        (read(node, "journal") ?? "").split(separator: "\n").map(String.init)
    }

    /// Creates a file in a node's directory (made if missing), optionally executable.
    public func write(_ node: String, _ file: String, _ text: String, executable: Bool = false) throws {
        try FileManager.default.createDirectory(atPath: nodeDirectory(node), withIntermediateDirectories: true)
        let path = nodeDirectory(node) + "/" + file
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        if executable { try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path) }
    }

    /// The admin's credentials on every test server's first start.
    public static let adminToken = "wl_test_admin_token_0123456789abcdef0123456789"
    public static let adminPassword = "correct horse battery staple"

    /// The options `withServer` starts the binary with, for `WavelineServerBuilder.build` in this process: the
    /// same folders, the first start's admin, bcrypt's lowest cost, and a free port (unused by Hummingbird's
    /// router test mode, which sends requests to the router directly).
    public func serverOptions() -> ServerOptions {
        var options = ServerOptions(
            port: 0, dataDirectory: data, inventoryPaths: [inventory], catalogDirectory: catalog,
            strategiesDirectory: strategies, logLevel: .warning
        )
        options.passwordCost = 4
        options.initialAdminToken = Self.adminToken
        options.initialAdminPassword = Self.adminPassword
        return options
    }

    /// Runs `waveline serve` on a free port for the duration of `body`, then stops it (SIGTERM unless the body
    /// already killed it). The body gets a handle to talk to it and to kill it.
    ///
    /// The first start registers `adminToken` for the admin (WAVELINE_INITIAL_ADMIN_TOKEN), so requests are
    /// made as `admin` unless a test signs in as someone else (`RunningServer.as`). Passwords are hashed at
    /// bcrypt's lowest cost to keep tests fast.
    /// `environment`: more variables for the server process, on top of this one's.
    public func withServer<T: Sendable>(
        extraArguments: [String] = [], environment: [String: String] = [:], _ body: (RunningServer) async throws -> T
    ) async throws -> T {
        let arguments = ["serve", "--port", "0", "--data", data, "--inventory", inventory, "--catalog", catalog,
                         "--strategies", strategies, "--log-level", "warning", "--password-hash-cost", "4"] + extraArguments
        var serverEnvironment: [Subprocess.Environment.Key: String?] = [
            "WAVELINE_INITIAL_ADMIN_TOKEN": Self.adminToken, "WAVELINE_INITIAL_ADMIN_PASSWORD": Self.adminPassword,
        ]
        for (key, value) in environment { serverEnvironment[Subprocess.Environment.Key(stringLiteral: key)] = value }
        let outcome = try await Subprocess.run(
            .path(FilePath(Self.binary)), arguments: Arguments(arguments),
            environment: .inherit.updating(serverEnvironment),
            input: .none, output: .sequence, error: .discarded
        ) { execution -> Result<T, any Error> in
            var port: Int?
            var lines = execution.standardOutput.strings().makeAsyncIterator()
            while let line = try await lines.next() {
                if let range = line.range(of: "listening on http://127.0.0.1:") ?? line.range(of: "listening on https://127.0.0.1:") {
                    port = Int(line[range.upperBound...].trimmingCharacters(in: .whitespaces))
                    break
                }
            }
            guard let port else { return .failure(HarnessError("the server exited before listening")) }
            let server = RunningServer(port: port, pid: execution.processIdentifier.value, token: Self.adminToken)
            let result: Result<T, any Error>
            do { result = .success(try await body(server)) } catch { result = .failure(error) }
            server.terminate()
            return result
        }
        return try outcome.closureResult.get()
    }
}

/// A fixture that could not do what a test asked of it, saying what.
public struct HarnessError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
