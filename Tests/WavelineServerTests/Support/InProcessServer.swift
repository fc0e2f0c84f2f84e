import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import WavelineAPI
import WavelineCore
import WavelineServer
import WavelineTesting

/// The server built in this process by its own builder (`WavelineServerBuilder.build`), with requests sent
/// straight to its router by Hummingbird's test client: no process, no socket, no port. The engine's service runs
/// meanwhile (the router test mode runs the application's services), so deployments really run on local nodes.
struct InProcessServer: Sendable {
    let client: any TestClientProtocol
    /// Sent as `Authorization: Bearer`; nil sends no credentials.
    var token: String?
    /// A browser session's cookie (`waveline_session=…`), sent as `Cookie` when set.
    var cookie: String?

    /// A raw request: what the router answered, whatever it is.
    func request(_ method: HTTPRequest.Method, _ path: String, body: Data? = nil, headers: HTTPFields = [:]) async throws -> TestResponse {
        var fields = headers
        if let token, fields[.authorization] == nil { fields[.authorization] = "Bearer \(token)" }
        if let cookie, fields[.cookie] == nil { fields[.cookie] = cookie }
        if body != nil, fields[.contentType] == nil { fields[.contentType] = "application/json" }
        return try await client.execute(uri: path, method: method, headers: fields, body: body.map { ByteBuffer(bytes: $0) })
    }

    /// A request whose JSON answer is decoded, failing on any status but 2xx.
    func json<T: Decodable>(_ method: HTTPRequest.Method, _ path: String, body: Data? = nil, as type: T.Type = T.self) async throws -> T {
        let response = try await request(method, path, body: body)
        guard (200..<300).contains(response.status.code) else {
            throw HarnessError("\(method) \(path) answered \(response.status.code): \(response.text)")
        }
        return try JSONDecoder().decode(T.self, from: response.data)
    }

    func get<T: Decodable>(_ path: String, as type: T.Type = T.self) async throws -> T {
        try await json(.get, path)
    }

    func post<T: Decodable>(_ path: String, _ body: some Encodable, as type: T.Type = T.self) async throws -> T {
        try await json(.post, path, body: try JSONEncoder().encode(body))
    }

    /// A request expected to fail: its status and the API's error message. The body must have the one error shape
    /// and repeat the HTTP status.
    func failure(_ method: HTTPRequest.Method, _ path: String, body: Data? = nil) async throws -> (status: Int, message: String) {
        let response = try await request(method, path, body: body)
        let status = response.status.code
        guard let error = try? JSONDecoder().decode(ErrorBody.self, from: response.data) else {
            Issue.record("\(method) \(path) answered \(status) without the error shape: \(response.text.prefix(300))")
            return (status, response.text)
        }
        #expect(error.error.status == status, "the error body's status \(error.error.status) differs from the HTTP status \(status)")
        #expect(response.headers[.contentType]?.hasPrefix("application/json") == true, "\(method) \(path): error without a JSON content type")
        return (status, error.error.message)
    }

    func deploy(_ operation: String, nodes: [String], parameters: [String: String] = [:], strategy: String = "all-at-once") async throws -> DeploymentDetail {
        try await post("/api/v1/deployments", CreateDeploymentBody(
            operation: operation, selection: Selection(nodes: nodes), parameters: parameters, strategy: strategy,
            reason: "in-process test", ticket: "TEST-2", queue: false
        ))
    }

    func detail(_ id: Int64) async throws -> DeploymentDetail { try await get("/api/v1/deployments/\(id)") }

    /// Asks for the deployment until `condition` holds or it is final (failing then, saying where it stopped).
    /// The steps run as real local processes, so this waits on their end, not on a fixed time.
    @discardableResult
    func waitFor(_ id: Int64, _ what: String, timeout: Duration = .seconds(30), until condition: (DeploymentDetail) -> Bool) async throws -> DeploymentDetail {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while true {
            let detail = try await detail(id)
            if condition(detail) { return detail }
            if clock.now > deadline || detail.deployment.status.isFinal {
                throw HarnessError("timed out waiting for \(what); deployment #\(id) is \(detail.deployment.status.rawValue)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    func waitUntilFinal(_ id: Int64) async throws -> DeploymentDetail {
        try await waitFor(id, "a final state") { $0.deployment.status.isFinal }
    }

    /// The same server as another user: made by the admin with the grants on first use, with a fresh API token.
    func `as`(_ user: String, _ grants: [GrantBody]) async throws -> InProcessServer {
        let response = try await request(.post, "/api/v1/users", body: try JSONEncoder().encode(CreateUserBody(name: user, password: nil, grants: grants)))
        guard response.status == .created || response.status == .conflict else {
            throw HarnessError("creating user \(user) answered \(response.status.code): \(response.text)")
        }
        let made: CreatedToken = try await post("/api/v1/tokens", CreateTokenBody(name: "test", expiresInDays: 1, user: user))
        var other = self
        other.token = made.token
        return other
    }

    /// Without credentials.
    var anonymous: InProcessServer {
        var other = self
        other.token = nil
        other.cookie = nil
        return other
    }
}

extension Workbench {
    /// Builds the server on this workbench's folders in this process (`serverOptions`, changed by `configure`),
    /// runs `body` against its router while its services run, then shuts it down gracefully (the engine stops,
    /// the store closes, the data folder is released).
    func withInProcessServer<T: Sendable>(
        configure: (inout ServerOptions) -> Void = { _ in },
        _ body: @Sendable (InProcessServer) async throws -> T
    ) async throws -> T {
        var options = serverOptions()
        configure(&options)
        let server = try await WavelineServerBuilder.build(options)
        return try await server.application.test(.router) { client in
            try await body(InProcessServer(client: client, token: Workbench.adminToken))
        }
    }
}

extension TestResponse {
    /// The body's bytes, for JSON decoding.
    var data: Data { Data(body.readableBytesView) }
    /// The body as UTF-8 text.
    var text: String { String(decoding: body.readableBytesView, as: UTF8.self) }
}
