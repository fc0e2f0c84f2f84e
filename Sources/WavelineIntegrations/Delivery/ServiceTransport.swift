import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// The HTTP exchange both clients share: send one request, read a bounded answer, turn transport failures and
/// 429 into `DeliveryError`. What a status or body *means* is left to each client.
struct ServiceTransport: Sendable {
    let http: HTTPClient
    /// Per request, connect included: a service that hangs must not hold a delivery for ever.
    let timeout: TimeAmount
    /// Larger answers are cut; nothing Waveline reads is near it (a page of 200 messages with their blocks).
    static let maximumResponseBytes = 8 << 20
    /// Error bodies are quoted in `DeliveryError.detail` at most this long.
    static let maximumQuotedBytes = 500

    struct Response: Sendable {
        var status: HTTPResponseStatus
        var headers: HTTPHeaders
        var body: Data
    }

    /// Sends the request; throws `.transient` when the service cannot be reached or answers 5xx, and
    /// `.rateLimited` on 429. `service` names the service in messages ("Slack chat.postMessage").
    func send(_ request: HTTPClientRequest, service: String) async throws(DeliveryError) -> Response {
        let response: HTTPClientResponse
        let body: ByteBuffer
        do {
            response = try await http.execute(request, timeout: timeout)
            body = try await response.body.collect(upTo: Self.maximumResponseBytes)
        } catch {
            throw .transient(detail: "\(service): cannot reach \(Self.hostAndPath(request.url)): \(Self.describe(error))")
        }
        let answer = Response(status: response.status, headers: response.headers, body: Data(body.readableBytesView))
        if response.status == .tooManyRequests {
            let delay = Self.retryAfter(response.headers) ?? .seconds(1)
            throw .rateLimited(retryAfter: delay, detail: "\(service): HTTP 429 Too Many Requests")
        }
        if response.status.code >= 500 {
            throw .transient(detail: "\(service): HTTP \(response.status.code) \(Self.quote(answer.body))",
                             retryAfter: Self.retryAfter(response.headers))
        }
        return answer
    }

    /// `Retry-After` as seconds (the only form Slack and Jira send); nil when absent or not a number.
    static func retryAfter(_ headers: HTTPHeaders) -> Duration? {
        guard let text = headers.first(name: "Retry-After")?.trimmingCharacters(in: .whitespaces),
              let seconds = Int(text), seconds >= 0 else { return nil }
        return .seconds(min(seconds, 24 * 3600))
    }

    static func quote(_ body: Data) -> String {
        let text = String(decoding: body.prefix(maximumQuotedBytes), as: UTF8.self)
            .replacingOccurrences(of: "\n", with: " ")
        return body.count > maximumQuotedBytes ? text + "…" : text
    }

    /// The scheme, host and path of a URL, without its query (which could carry a cursor or a marker).
    static func hostAndPath(_ url: String) -> String {
        url.split(separator: "?", maxSplits: 1).first.map(String.init) ?? url
    }

    static func describe(_ error: any Error) -> String {
        if let client = error as? HTTPClientError {
            if client == .connectTimeout { return "connection timed out" }
            if client == .deadlineExceeded { return "no answer in time" }
            if client == .remoteConnectionClosed { return "connection closed by the service" }
            return "\(client)"
        }
        let text = "\(error)"
        if text.lowercased().contains("refused") { return "connection refused" }
        return text
    }
}

/// The HTTP client Slack's and Jira's clients use unless given one. A short connect timeout: by default a refused
/// connection is retried until the request's deadline, so "Slack is down" would take the whole timeout to show.
public enum IntegrationHTTP {
    public static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.timeout.connect = .seconds(3)
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()
}
