import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Synchronization
import WavelineIntegrations

/// One request as a fake received it, with what its endpoint description says is wrong with it.
struct RecordedRequest: Sendable {
    var method: String
    var path: String
    var query: [String: String]
    /// Names lowercased.
    var headers: [String: String]
    var body: JSONValue?
    /// The endpoint it matched (`method path`), nil when none did.
    var endpoint: String?
    var problems: [String] = []
}

/// How a fake answers, switchable while it runs.
enum FakeMode: Sendable, Equatable {
    case normal
    /// HTTP 429 with this `Retry-After` (seconds), or without the header when nil.
    case rateLimited(retryAfter: Int?)
    /// This 5xx status.
    case serverError(Int)
}

/// What a fake answers: status, extra headers, JSON body (nil: empty).
struct FakeAnswer: Sendable {
    var status: Int
    var headers: [String: String] = [:]
    var body: JSONValue?
}

/// The state a fake keeps: the requests seen, the mode, and the service's own data (messages, issues).
final class FakeRecorder: Sendable {
    private let state = Mutex<(requests: [RecordedRequest], mode: FakeMode)>(([], .normal))

    var requests: [RecordedRequest] { state.withLock { $0.requests } }
    var mode: FakeMode {
        get { state.withLock { $0.mode } }
        set { state.withLock { $0.mode = newValue } }
    }

    func record(_ request: RecordedRequest) { state.withLock { $0.requests.append(request) } }

    /// Every problem of every request, each prefixed with its endpoint.
    var problems: [String] {
        requests.flatMap { request in request.problems.map { "\(request.method) \(request.path): \($0)" } }
    }
}

/// A service stand-in: the endpoints it serves and how it answers a conforming request.
protocol FakeBehaviour: Sendable {
    var service: FakeService { get }
    /// `captured` holds the `{…}` path segments.
    func answer(_ request: RecordedRequest, endpoint: EndpointDescription, captured: [String]) -> FakeAnswer
}

/// Runs a fake on a free loopback port for the duration of `body`, which gets its base URL
/// (`http://127.0.0.1:PORT`) and its recorder.
func withFakeServer<T: Sendable>(_ behaviour: some FakeBehaviour, _ body: (String, FakeRecorder) async throws -> T) async throws -> T {
    let recorder = FakeRecorder()
    let router = Router()
    router.add(middleware: FakeMiddleware(behaviour: behaviour, recorder: recorder))
    var logger = Logger(label: "fake-\(behaviour.service.rawValue)")
    logger.logLevel = .critical
    let (ports, portInbox) = AsyncStream<Int>.makeStream()
    let application = Application(
        router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
        onServerRunning: { channel in portInbox.yield(channel.localAddress?.port ?? 0) }, logger: logger)
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await application.runService(gracefulShutdownSignals: []) }
        defer { group.cancelAll() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else { throw FakeError("the fake did not start") }
        return try await body("http://127.0.0.1:\(port)", recorder)
    }
}

/// A base URL where nothing listens: a fake's, after it stopped.
func closedPortURL() async throws -> String {
    try await withFakeServer(FakeSlack()) { url, _ in url }
}

struct FakeError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

struct FakeMiddleware<Context: RequestContext>: RouterMiddleware {
    let behaviour: any FakeBehaviour
    let recorder: FakeRecorder

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let buffer = try await request.body.collect(upTo: 16 << 20)
        let data = Data(buffer.readableBytesView)
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        var query: [String: String] = [:]
        for (key, value) in request.uri.queryParameters { query[String(key)] = String(value) }
        var recorded = RecordedRequest(
            method: request.method.rawValue, path: request.uri.path, query: query, headers: headers,
            body: data.isEmpty ? nil : try? JSONValue.decode(data))
        let endpoints = EndpointDescription.all.filter { $0.service == behaviour.service }
        let matched = endpoints.lazy.compactMap { endpoint in endpoint.match(method: recorded.method, path: recorded.path).map { (endpoint, $0) } }.first
        guard let (endpoint, captured) = matched else {
            recorded.problems = ["no endpoint \(recorded.method) \(recorded.path) in the description"]
            recorder.record(recorded)
            return Self.response(FakeAnswer(status: 404, body: ["ok": false, "error": "unknown_method"]))
        }
        recorded.endpoint = "\(endpoint.method) \(endpoint.path)"
        recorded.problems = endpoint.problems(recorded)
        recorder.record(recorded)
        switch recorder.mode {
        case .rateLimited(let seconds):
            var answer = FakeAnswer(status: 429, body: behaviour.service == .slack ? ["ok": false, "error": "ratelimited"] : ["errorMessages": ["Rate limit exceeded."], "errors": [:]])
            if let seconds { answer.headers["Retry-After"] = String(seconds) }
            return Self.response(answer)
        case .serverError(let status):
            return Self.response(FakeAnswer(status: status, body: nil))
        case .normal:
            break
        }
        if !recorded.problems.isEmpty {
            // A real service refuses what it does not understand; the test sees the problems in the recorder too.
            let message = recorded.problems.joined(separator: "; ")
            return Self.response(behaviour.service == .slack
                ? FakeAnswer(status: 200, body: ["ok": false, "error": "invalid_arguments", "detail": .string(message)])
                : FakeAnswer(status: 400, body: ["errorMessages": [.string(message)], "errors": [:]]))
        }
        return Self.response(behaviour.answer(recorded, endpoint: endpoint, captured: captured))
    }

    static func response(_ answer: FakeAnswer) -> Response {
        var headers = HTTPFields()
        for (name, value) in answer.headers {
            if let field = HTTPField.Name(name) { headers[field] = value }
        }
        guard let body = answer.body else {
            return Response(status: .init(code: answer.status), headers: headers)
        }
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: .init(code: answer.status), headers: headers,
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: body.encoded())))
    }
}
