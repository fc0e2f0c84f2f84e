import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Subprocess
import SystemPackage
import Testing
import WavelineAPI
import WavelineCore
import WavelineServer

/// A temporary Waveline installation: data folder, inventory, catalog, strategies, and the real `waveline`
/// binary to run against them. Each test gets its own.
struct Workbench {
    let root: String
    var data: String { root + "/data" }
    var inventory: String { root + "/inventory.yaml" }
    var catalog: String { root + "/catalog" }
    var strategies: String { root + "/strategies" }

    static var binary: String {
        if let path = ProcessInfo.processInfo.environment["WAVELINE_BIN"] { return path }
        // Tests/WavelineEndToEndTests/Harness/Workbench.swift → package root.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/waveline").path
    }

    init(inventory: String, operations: [String: String], strategies: [String: String] = [:]) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("waveline-e2e-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: root + "/catalog", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/strategies", withIntermediateDirectories: true)
        try inventory.write(toFile: root + "/inventory.yaml", atomically: true, encoding: .utf8)
        for (name, text) in operations { try text.write(toFile: "\(root)/catalog/\(name).yaml", atomically: true, encoding: .utf8) }
        for (name, text) in strategies { try text.write(toFile: "\(root)/strategies/\(name).yaml", atomically: true, encoding: .utf8) }
    }

    func nodeDirectory(_ node: String) -> String { data + "/nodes/" + node }

    func read(_ node: String, _ file: String) -> String? {
        try? String(contentsOfFile: nodeDirectory(node) + "/" + file, encoding: .utf8)
    }

    func remove() { try? FileManager.default.removeItem(atPath: root) }

    /// The admin's credentials on every test server's first start.
    static let adminToken = "wl_test_admin_token_0123456789abcdef0123456789"
    static let adminPassword = "correct horse battery staple"

    /// Runs `waveline serve` on a free port for the duration of `body`, then stops it (SIGTERM unless the body
    /// already killed it). The body gets a handle to talk to it and to kill it.
    ///
    /// The first start registers `adminToken` for the admin (WAVELINE_INITIAL_ADMIN_TOKEN), so requests are
    /// made as `admin` unless a test signs in as someone else (`RunningServer.as`). Passwords are hashed at
    /// bcrypt's lowest cost to keep tests fast.
    /// `environment`: more variables for the server process, on top of this one's.
    func withServer<T: Sendable>(
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

struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A live server process: its port, and the means to kill it for real.
struct RunningServer: Sendable {
    let port: Int
    let pid: pid_t
    /// Sent as `Authorization: Bearer`; nil sends no credentials.
    var token: String?

    var url: String { "http://127.0.0.1:\(port)" }

    /// `kill -9`: no shutdown code runs.
    func crash() { kill(pid, SIGKILL) }

    func terminate() { kill(pid, SIGTERM) }

    func get<T: Decodable>(_ path: String, as type: T.Type = T.self) async throws -> T {
        let (status, data) = try await request("GET", path)
        guard status == 200 else { throw HarnessError("GET \(path) answered \(status): \(String(decoding: data, as: UTF8.self))") }
        return try JSONDecoder().decode(T.self, from: data)
    }

    func post<T: Decodable>(_ path: String, json: some Encodable, as type: T.Type = T.self) async throws -> T {
        let (status, data) = try await request("POST", path, body: try JSONEncoder().encode(json))
        guard (200..<300).contains(status) else { throw HarnessError("POST \(path) answered \(status): \(String(decoding: data, as: UTF8.self))") }
        return try JSONDecoder().decode(T.self, from: data)
    }

    /// A raw request: status and body, whatever they are.
    func request(_ method: String, _ path: String, body: Data? = nil, headers: [(String, String)] = []) async throws -> (Int, Data) {
        let (status, data, _) = try await requestWithHeaders(method, path, body: body, headers: headers)
        return (status, data)
    }

    /// A raw request, with the answer's headers too.
    func requestWithHeaders(_ method: String, _ path: String, body: Data? = nil, headers: [(String, String)] = []) async throws -> (Int, Data, [(String, String)]) {
        var request = HTTPClientRequest(url: url + path)
        request.method = HTTPMethod(rawValue: method)
        if let token, !headers.contains(where: { $0.0.lowercased() == "authorization" }) {
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
        }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 64 << 20)
        return (Int(response.status.code), Data(bytes.readableBytesView), response.headers.map { ($0.name, $0.value) })
    }

    func deploy(_ operation: String, selection: Selection, parameters: [String: String] = [:], strategy: String = "all-at-once", queue: Bool = false) async throws -> DeploymentDetail {
        try await post("/api/v1/deployments", json: CreateDeploymentBody(
            operation: operation, selection: selection, parameters: parameters, strategy: strategy,
            reason: "end-to-end test", ticket: "TEST-1", queue: queue
        ))
    }

    func detail(_ id: Int64) async throws -> DeploymentDetail {
        try await get("/api/v1/deployments/\(id)")
    }

    func act(_ action: String, _ id: Int64, nodes: [String] = []) async throws -> DeploymentDetail {
        try await post("/api/v1/deployments/\(id)/actions/\(action)", json: ActionBody(nodes: nodes, reason: "test"))
    }

    /// Polls until `condition` holds, failing after `timeout`.
    @discardableResult
    func waitFor(_ id: Int64, timeout: Duration = .seconds(60), _ what: String, until condition: (DeploymentDetail) -> Bool) async throws -> DeploymentDetail {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while true {
            let detail = try await detail(id)
            if condition(detail) { return detail }
            if clock.now > deadline || detail.deployment.status.isFinal {
                throw HarnessError("timed out waiting for \(what); deployment #\(id) is \(detail.deployment.status.rawValue): \(detail.deployment.statusReason ?? "")")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    func waitUntilFinal(_ id: Int64, timeout: Duration = .seconds(60)) async throws -> DeploymentDetail {
        try await waitFor(id, timeout: timeout, "a final state") { $0.deployment.status.isFinal }
    }

    func logs(_ id: Int64, node: String? = nil) async throws -> [LogLineView] {
        var all: [LogLineView] = []
        var cursor: Int64 = 0
        while true {
            let page: LogPage = try await get("/api/v1/deployments/\(id)/logs?after=\(cursor)&limit=5000" + (node.map { "&node=\($0)" } ?? ""))
            all += page.lines
            if page.lines.isEmpty { return all }
            cursor = page.cursor
        }
    }
}

/// An inventory of `count` local nodes in one cluster over two zones, named n1…nN.
func localInventory(nodes count: Int, cluster: String = "app-test", environment: String = "test") -> String {
    var text = """
        environments:
          - {name: test}
          - {name: prod, protected: true}
        products:
          - {name: app, owner: team}
        clusters:
          - name: \(cluster)
            product: app
            environment: \(environment)
            zones: [a, b]
            nodes:

        """
    for index in 1...count {
        text += "      - {name: n\(index), zone: \(index % 2 == 1 ? "a" : "b")}\n"
    }
    return text
}

/// An inventory of SSH nodes n1…nN in one cluster over zones a (odd) and b (even), node i being sshd test
/// host `firstHost + i - 1`. The cluster declares the shared ssh settings once; each node adds its port and remote directory
/// (merged over the cluster's, without repeating `type`), plus `extra[node]`, more `key: value` pairs.
func sshInventory(
    _ hosts: SSHTestHosts, remoteRoot: String, nodes count: Int, firstHost: Int = 1, cluster: String = "app-ssh",
    extra: [String: String] = [:]
) -> String {
    var text = """
        environments:
          - {name: test}
        products:
          - {name: app, owner: team}
        clusters:
          - name: \(cluster)
            product: app
            environment: test
            zones: [a, b]
            connection:
              type: ssh
              host: 127.0.0.1
              user: \(hosts.user)
              identity_file: \(hosts.clientKey)
              known_hosts_file: \(hosts.knownHosts)
              connect_timeout: 5s
            nodes:

        """
    for index in 1...count {
        let name = "n\(index)"
        let host = hosts.hosts[firstHost - 1 + index - 1]
        let more = extra[name].map { ", " + $0 } ?? ""
        text += "      - {name: \(name), zone: \(index % 2 == 1 ? "a" : "b"), connection: {port: \(host.port), directory: \"\(remoteRoot)/\(name)\"\(more)}}\n"
    }
    return text
}
