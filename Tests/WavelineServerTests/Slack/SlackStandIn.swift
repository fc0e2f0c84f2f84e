import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing
import WavelineServer
import WavelineTesting

/// A local HTTP server standing in for Slack's `response_url`: it keeps every JSON body posted to it under
/// `/actions/…`, for the test to read what the person was told.
final class ResponseURLStandIn: Sendable {
    struct Answer: Decodable, Sendable, Hashable {
        var response_type: String
        var replace_original: Bool
        var text: String
    }

    private let received = Mutex<[(path: String, answer: Answer)]>([])

    var answers: [(path: String, answer: Answer)] { received.withLock { $0 } }

    /// Runs the stand-in on a free port for `body`, which gets the base URL (`http://127.0.0.1:PORT/`).
    func run<T: Sendable>(_ body: @Sendable (String) async throws -> T) async throws -> T {
        let router = Router()
        router.post("actions/**") { request, context -> HTTPResponse.Status in
            let data = try await request.body.collect(upTo: 64 * 1024)
            let answer = try JSONDecoder().decode(Answer.self, from: Data(data.readableBytesView))
            self.received.withLock { $0.append((request.uri.path, answer)) }
            return .ok
        }
        let application = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        return try await application.test(.live) { client in
            guard let port = client.port else { throw HarnessError("the stand-in has no port") }
            return try await body("http://127.0.0.1:\(port)/")
        }
    }

    /// The answer posted to `path`, waited for (the press is acknowledged before it is acted on).
    func answer(at path: String) async throws -> Answer {
        let arrived = await eventually(timeout: .seconds(30)) { answers.contains { $0.path == path } }
        guard arrived, let found = answers.first(where: { $0.path == path }) else {
            throw HarnessError("nothing was posted to \(path); got \(answers.map(\.path))")
        }
        return found.answer
    }
}

/// Button presses as Slack sends them: `payload=<URL-encoded JSON>`, signed with the app's signing secret at a
/// time read from the test's manual clock.
struct SlackPresses {
    static let secret = "test signing secret 0123456789abcdef"
    static let team = "T0TEAM"
    let time: ManualTime
    /// The stand-in's base URL; each press answers to its own path under `actions/`.
    let responseBase: String

    func body(action: String, value: String?, user: String, answerPath: String) throws -> Data {
        var actionObject: [String: Any] = ["action_id": action, "block_id": "dep-v1", "type": "button", "action_ts": "1.0"]
        if let value { actionObject["value"] = value }
        let payload: [String: Any] = [
            "type": "block_actions",
            "user": ["id": user, "username": user.lowercased(), "name": user.lowercased(), "team_id": Self.team],
            "api_app_id": "A0APP", "token": "legacy",
            "container": ["type": "message", "message_ts": "1.0", "channel_id": "C0CHAN", "is_ephemeral": false],
            "trigger_id": "1.2.3", "team": ["id": Self.team, "domain": "example"], "channel": ["id": "C0CHAN", "name": "deploys"],
            "response_url": responseBase + "actions/" + answerPath,
            "actions": [actionObject],
        ]
        let json = try JSONSerialization.data(withJSONObject: payload)
        return Data(("payload=" + Self.formEncoded(String(decoding: json, as: UTF8.self))).utf8)
    }

    static func formEncoded(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    /// Slack's headers for `body`, signed now (or `offset` seconds from now), with `secret`.
    func headers(for body: Data, offset: Double = 0, secret: String = Self.secret) -> HTTPFields {
        let timestamp = String(Int64(time.now() + offset))
        return [
            .contentType: "application/x-www-form-urlencoded",
            HTTPField.Name("X-Slack-Request-Timestamp")!: timestamp,
            HTTPField.Name("X-Slack-Signature")!: SlackRequestVerifier.signature(secret: secret, timestamp: timestamp, body: body),
        ]
    }
}
