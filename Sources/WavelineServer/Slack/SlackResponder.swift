import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

/// Answers the person who pressed a button, through the payload's `response_url`: an ephemeral message only
/// they see, posted after the press was acknowledged. Posts only to URLs under the configured prefixes
/// (`SlackInteractions.responseURLPrefixes`), never follows a redirect, and gives up after a few seconds: an
/// answer that cannot be delivered is logged, never retried into a pile-up.
///
/// A service of the application: its HTTP client is shut down when the server stops.
final class SlackResponder: Service, Sendable {
    private let client: HTTPClient
    private let prefixes: [String]
    private let logger: Logger

    init(prefixes: [String], logger: Logger) {
        self.prefixes = prefixes
        self.logger = logger
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(5), read: .seconds(10)))
        configuration.maximumUsesPerConnection = 100
        client = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration)
    }

    func run() async throws {
        try? await gracefulShutdown()
        try await client.shutdown()
    }

    /// Whether `url` is under one of the allowed prefixes: compared as text, after refusing what could make
    /// the text and the host it names differ (user info, backslashes, spaces and control characters).
    static func isAllowed(_ url: String, prefixes: [String]) -> Bool {
        guard url.count <= 2_000, !url.contains(where: { $0 == "\\" || $0 == "@" || $0.isWhitespace || $0.asciiValue.map { $0 < 0x20 || $0 == 0x7f } == true }),
              let parsed = URL(string: url), parsed.user == nil, parsed.password == nil else { return false }
        return prefixes.contains { prefix in
            prefix.hasSuffix("/") && url.hasPrefix(prefix) && (prefix.hasPrefix("https://") || prefix.hasPrefix("http://"))
        }
    }

    /// Posts `{"response_type":"ephemeral","replace_original":false,"text":…}` to `url` when it is allowed.
    func respond(to url: String?, text: String) async {
        guard let url else {
            logger.info("slack interaction without a response_url: the person is not told", metadata: ["answer": "\(text)"])
            return
        }
        guard Self.isAllowed(url, prefixes: prefixes) else {
            logger.warning("slack interaction: response_url outside the allowed prefixes, not posted", metadata: ["allowed": "\(prefixes)"])
            return
        }
        let message = EphemeralMessage(text: text)
        do {
            var request = HTTPClientRequest(url: url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
            request.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(message)))
            let response = try await client.execute(request, timeout: .seconds(10))
            // The answer's body is not needed; read a little so the connection can be reused.
            _ = try? await response.body.collect(upTo: 16 * 1024)
            if response.status.code >= 300 {
                logger.warning("slack response_url answered \(response.status.code)")
            }
        } catch {
            logger.warning("slack response_url could not be reached", metadata: ["error": "\(error)"])
        }
    }

    struct EphemeralMessage: Codable, Sendable, Hashable {
        var response_type = "ephemeral"
        var replace_original = false
        var text: String
    }
}
