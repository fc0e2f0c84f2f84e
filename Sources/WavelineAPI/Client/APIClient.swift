import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import WavelineCore

/// A client of the HTTP API (the CLI's only way to the server). Errors come back as the server's one-sentence
/// message.
public struct APIClient: Sendable {
    public let baseURL: String
    /// The API token sent as `Authorization: Bearer`; nil before `waveline login`.
    public let token: String?
    /// HTTP Basic credentials instead of a token: only `waveline login` uses them, to make its token.
    public var basic: (user: String, password: String)?

    public init(baseURL: String, token: String?, basic: (user: String, password: String)? = nil) {
        self.baseURL = baseURL
        self.token = token
        self.basic = basic
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String

        public init(description: String) {
            self.description = description
        }
    }

    /// One client for the process. A short connect timeout: the default retries a refused connection until
    /// the request's deadline, so a stopped server took a minute to be reported.
    static let http: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.timeout.connect = .seconds(3)
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    public var unreachable: String {
        "cannot reach the Waveline server at \(baseURL); start it with `waveline serve` or `waveline demo`, or point --server (or WAVELINE_URL) at it"
    }

    public func get<T: Decodable>(_ path: String, as type: T.Type) async throws -> T {
        try await send("GET", path, body: Optional<Int>.none, as: type)
    }

    public func post<Body: Encodable, T: Decodable>(_ path: String, body: Body, as type: T.Type) async throws -> T {
        try await send("POST", path, body: body, as: type)
    }

    public func patch<Body: Encodable, T: Decodable>(_ path: String, body: Body, as type: T.Type) async throws -> T {
        try await send("PATCH", path, body: body, as: type)
    }

    public func delete<T: Decodable>(_ path: String, as type: T.Type) async throws -> T {
        try await send("DELETE", path, body: Optional<Int>.none, as: type)
    }

    private func authorize(_ request: inout HTTPClientRequest) {
        if let basic {
            let encoded = Data("\(basic.user):\(basic.password)".utf8).base64EncodedString()
            request.headers.add(name: "Authorization", value: "Basic \(encoded)")
        } else if let token {
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
        }
    }

    /// What a 204 decodes to.
    public struct NoContent: Decodable, Sendable {
        public init() {}
    }

    /// Runs an operator action on a deployment; the deployment after it.
    public func act(_ request: OperatorActionRequest) async throws -> DeploymentDetail {
        try await post(request.path, body: request.body, as: DeploymentDetail.self)
    }

    /// A GET whose answer is text (JSON lines, YAML), handed over a chunk at a time as it arrives.
    public func getStream(_ path: String, _ handle: (ByteBuffer) throws -> Void) async throws {
        var request = HTTPClientRequest(url: baseURL + path)
        authorize(&request)
        let response: HTTPClientResponse
        do {
            response = try await Self.http.execute(request, timeout: .hours(1))
        } catch {
            throw Failure(description: unreachable)
        }
        guard (200..<300).contains(response.status.code) else {
            let bytes = try await response.body.collect(upTo: 1 << 20)
            if let error = try? JSONDecoder().decode(ErrorBody.self, from: Data(bytes.readableBytesView)) {
                throw Failure(description: error.error.message)
            }
            throw Failure(description: "the server answered \(response.status.code) \(response.status.reasonPhrase)")
        }
        for try await chunk in response.body { try handle(chunk) }
    }

    private func send<Body: Encodable, T: Decodable>(_ method: String, _ path: String, body: Body?, as type: T.Type) async throws -> T {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = HTTPMethod(rawValue: method)
        authorize(&request)
        request.headers.add(name: "Accept", value: "application/json")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(body)))
        }
        let response: HTTPClientResponse
        do {
            response = try await Self.http.execute(request, timeout: .seconds(60))
        } catch {
            throw Failure(description: unreachable)
        }
        let bytes = try await response.body.collect(upTo: 64 * 1024 * 1024)
        let data = Data(bytes.readableBytesView)
        guard (200..<300).contains(response.status.code) else {
            if let error = try? JSONDecoder().decode(ErrorBody.self, from: data) {
                throw Failure(description: error.error.message)
            }
            throw Failure(description: "the server answered \(response.status.code) \(response.status.reasonPhrase)")
        }
        if data.isEmpty, let nothing = NoContent() as? T { return nothing }
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch {
            throw Failure(description: "unexpected answer from the server for \(path): \(error)")
        }
    }

    /// Follows a server-sent event stream, handing each event (its name and data) to `handle` until it returns
    /// false, an `end` event comes, or the stream ends. Returns the last event id seen, to resume from, and
    /// whether the stream ended for good (false: it dropped, resume).
    public func events(_ path: String, lastEventID: Int64?, handle: (String, String) throws -> Bool) async throws -> (lastID: Int64?, ended: Bool) {
        var request = HTTPClientRequest(url: baseURL + path)
        request.headers.add(name: "Accept", value: "text/event-stream")
        authorize(&request)
        if let lastEventID { request.headers.add(name: "Last-Event-ID", value: String(lastEventID)) }
        let response: HTTPClientResponse
        do {
            response = try await Self.http.execute(request, timeout: .hours(24))
        } catch {
            throw Failure(description: unreachable)
        }
        guard response.status.code == 200 else {
            let bytes = try await response.body.collect(upTo: 1 << 20)
            if let error = try? JSONDecoder().decode(ErrorBody.self, from: Data(bytes.readableBytesView)) {
                throw Failure(description: error.error.message)
            }
            throw Failure(description: "the server answered \(response.status.code)")
        }
        var reader = ServerSentEventReader(lastEventID: lastEventID.map(String.init))
        var lastID = lastEventID
        // A stream that drops mid-way ends quietly: the caller resumes from the last event id.
        do {
            for try await chunk in response.body {
                for event in try reader.read(chunk.readableBytesView) {
                    lastID = event.id.flatMap { Int64($0) } ?? lastID
                    if try !handle(event.event ?? "message", event.data) { return (lastID, true) }
                    if event.event == "end" { return (lastID, true) }
                }
                lastID = reader.lastEventID.flatMap { Int64($0) } ?? lastID
            }
        } catch let error as Failure {
            throw error
        } catch let error as ServerSentEventReader.LineTooLong {
            throw Failure(description: error.description)
        } catch {
            return (lastID, false)
        }
        return (lastID, false)
    }
}
