import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import WavelineServer

/// The CLI's view of the HTTP API. Errors come back as the server's one-sentence message.
struct APIClient {
    let baseURL: String
    /// The API token sent as `Authorization: Bearer`; nil before `waveline login`.
    let token: String?
    /// HTTP Basic credentials instead of a token: only `waveline login` uses them, to make its token.
    var basic: (user: String, password: String)?

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// One client for the process. A short connect timeout: the default retries a refused connection until
    /// the request's deadline, so a stopped server took a minute to be reported.
    static let http: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.timeout.connect = .seconds(3)
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    var unreachable: String {
        "cannot reach the Waveline server at \(baseURL); start it with `waveline serve` or `waveline demo`, or point --server (or WAVELINE_URL) at it"
    }

    func get<T: Decodable>(_ path: String, as type: T.Type) async throws -> T {
        try await send("GET", path, body: Optional<Int>.none, as: type)
    }

    func post<Body: Encodable, T: Decodable>(_ path: String, body: Body, as type: T.Type) async throws -> T {
        try await send("POST", path, body: body, as: type)
    }

    func patch<Body: Encodable, T: Decodable>(_ path: String, body: Body, as type: T.Type) async throws -> T {
        try await send("PATCH", path, body: body, as: type)
    }

    func delete<T: Decodable>(_ path: String, as type: T.Type) async throws -> T {
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

    /// A GET whose answer is text (JSON lines, YAML), handed over a chunk at a time as it arrives.
    /// What a 204 decodes to.
    struct NoContent: Decodable {}

    func getStream(_ path: String, _ handle: (ByteBuffer) throws -> Void) async throws {
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

    /// Follows a server-sent event stream, handing each event to `handle` until it returns false or the
    /// stream ends. Returns the last event id seen, to resume from.
    func events(_ path: String, lastEventID: Int64?, handle: (String, String) throws -> Bool) async throws -> (lastID: Int64?, ended: Bool) {
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
        var lastID = lastEventID
        var pending = Data()
        var event = "message", data = ""
        // A stream that drops mid-way ends quietly: the caller resumes from the last event id.
        do {
            for try await chunk in response.body {
                pending.append(contentsOf: chunk.readableBytesView)
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                    pending.removeSubrange(pending.startIndex...newline)
                    if line.isEmpty {
                        if !data.isEmpty {
                            if try !handle(event, data) { return (lastID, true) }
                            if event == "end" { return (lastID, true) }
                        }
                        event = "message"
                        data = ""
                    } else if line.hasPrefix("event: ") {
                        event = String(line.dropFirst(7))
                    } else if line.hasPrefix("data: ") {
                        data += String(line.dropFirst(6))
                    } else if line.hasPrefix("id: ") {
                        lastID = Int64(line.dropFirst(4)) ?? lastID
                    }
                }
            }
        } catch let error as Failure {
            throw error
        } catch {
            return (lastID, false)
        }
        return (lastID, false)
    }
}
