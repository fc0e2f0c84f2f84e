import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import WavelineAPI
import WavelineCore
import WavelineServer

/// A live server process: its port, and the means to kill it for real.
public struct RunningServer: Sendable {
    public let port: Int
    public let pid: pid_t
    /// Sent as `Authorization: Bearer`; nil sends no credentials.
    public var token: String?

    public init(port: Int, pid: pid_t, token: String?) {
        self.port = port
        self.pid = pid
        self.token = token
    }

    public var url: String { "http://127.0.0.1:\(port)" }

    /// `kill -9`: no shutdown code runs.
    public func crash() { kill(pid, SIGKILL) }

    public func terminate() { kill(pid, SIGTERM) }

    public func get<T: Decodable>(_ path: String, as type: T.Type = T.self) async throws -> T {
        let (status, data) = try await request("GET", path)
        guard status == 200 else { throw HarnessError("GET \(path) answered \(status): \(String(decoding: data, as: UTF8.self))") }
        return try JSONDecoder().decode(T.self, from: data)
    }

    public func post<T: Decodable>(_ path: String, json: some Encodable, as type: T.Type = T.self) async throws -> T {
        let (status, data) = try await request("POST", path, body: try JSONEncoder().encode(json))
        guard (200..<300).contains(status) else { throw HarnessError("POST \(path) answered \(status): \(String(decoding: data, as: UTF8.self))") }
        return try JSONDecoder().decode(T.self, from: data)
    }

    /// A raw request: status and body, whatever they are.
    public func request(_ method: String, _ path: String, body: Data? = nil, headers: [(String, String)] = []) async throws -> (Int, Data) {
        let (status, data, _) = try await requestWithHeaders(method, path, body: body, headers: headers)
        return (status, data)
    }

    /// A raw request, with the answer's headers too.
    public func requestWithHeaders(_ method: String, _ path: String, body: Data? = nil, headers: [(String, String)] = []) async throws -> (Int, Data, [(String, String)]) {
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

    public func deploy(_ operation: String, selection: Selection, parameters: [String: String] = [:], strategy: String = "all-at-once", queue: Bool = false) async throws -> DeploymentDetail {
        try await post("/api/v1/deployments", json: CreateDeploymentBody(
            operation: operation, selection: selection, parameters: parameters, strategy: strategy,
            reason: "end-to-end test", ticket: "TEST-1", queue: queue
        ))
    }

    public func detail(_ id: Int64) async throws -> DeploymentDetail {
        try await get("/api/v1/deployments/\(id)")
    }

    public func act(_ action: String, _ id: Int64, nodes: [String] = []) async throws -> DeploymentDetail {
        try await post("/api/v1/deployments/\(id)/actions/\(action)", json: ActionBody(nodes: nodes, reason: "test"))
    }

    /// Polls until `condition` holds, failing after `timeout`.
    @discardableResult
    public func waitFor(_ id: Int64, timeout: Duration = .seconds(60), _ what: String, until condition: (DeploymentDetail) -> Bool) async throws -> DeploymentDetail {
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

    public func waitUntilFinal(_ id: Int64, timeout: Duration = .seconds(60)) async throws -> DeploymentDetail {
        try await waitFor(id, timeout: timeout, "a final state") { $0.deployment.status.isFinal }
    }

    public func logs(_ id: Int64, node: String? = nil) async throws -> [LogLineView] {
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

