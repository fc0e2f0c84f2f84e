import Foundation
import Testing
import WavelineServer
import WavelineTesting

/// `waveline serve --integrations FILE`: a mistake in the file or a credential without a value stops the start with
/// a located, readable error, before anything listens.
struct IntegrationsStartupTests {
    @Test func serveRefusesAnIntegrationsFileWithErrorsSayingWhere() async throws {
        let bench = try Workbench(inventory: oneZoneInventory(nodes: 1), operations: ["noop": "name: noop\nsteps:\n  - {name: s, run: [./bin/x]}\n"])
        defer { bench.remove() }
        let file = bench.root + "/integrations.yaml"
        try Data("""
            public_url: https://waveline.example.com
            slack:
              bot_token: xoxb-literal-value
              signing_secret: env:WAVELINE_TEST_SIGNING
              channels: {default: C0DEPLOYS1}
            tickets:
              prdo: {required: true}
            """.utf8).write(to: URL(fileURLWithPath: file))
        let serve = ["serve", "--inventory", bench.inventory, "--catalog", bench.catalog, "--data", bench.data, "--port", "0", "--integrations", file]
        let run = try await runWaveline(serve)
        #expect(run.exitCode == 1, "\(run)")
        #expect(run.output.contains("\(file):3:14: error: 'bot_token' of the slack section must say where the server reads it"), "\(run)")
        #expect(run.output.contains("\(file):7:3: error: no environment 'prdo' in the inventory; it has: test"), "\(run)")
        #expect(!run.output.contains("xoxb-literal-value"), "\(run)")
        #expect(!run.output.contains("listening"), "\(run)")

        try Data("""
            public_url: https://waveline.example.com
            slack:
              bot_token: env:WAVELINE_TEST_BOT_TOKEN_UNSET
              signing_secret: env:WAVELINE_TEST_SIGNING
              channels: {default: C0DEPLOYS1}
            """.utf8).write(to: URL(fileURLWithPath: file))
        let missing = try await runWaveline(serve, environment: ["WAVELINE_TEST_SIGNING": "signing-secret-value"])
        #expect(missing.exitCode == 1, "\(missing)")
        #expect(missing.output.contains("slack.bot_token: the server's environment variable WAVELINE_TEST_BOT_TOKEN_UNSET is not set"), "\(missing)")
        #expect(!missing.output.contains("signing-secret-value"), "\(missing)")
    }
}

/// The signing secret the integrations file names is the one `/slack/interactions` verifies with: without the
/// file the route does not exist; with it, a press signed with another secret is refused and one signed with
/// this secret is acknowledged.
struct SlackButtonsWiringTests {
    @Test func theFilesSigningSecretVerifiesPresses() async throws {
        let bench = try Workbench(inventory: oneZoneInventory(nodes: 1), operations: ["noop": "name: noop\nsteps:\n  - {name: s, run: [./bin/x]}\n"])
        defer { bench.remove() }
        // A press on Approve by a Slack account no one mapped: acknowledged, refused to that person afterwards.
        let body = Data("payload=%7B%22type%22%3A%22block_actions%22%2C%22user%22%3A%7B%22id%22%3A%22U0NOBODY%22%2C%22team_id%22%3A%22T0TEAM%22%7D%2C%22team%22%3A%7B%22id%22%3A%22T0TEAM%22%7D%2C%22response_url%22%3A%22https%3A%2F%2Fhooks.slack.com%2Factions%2FT0TEAM%2F1%2Fx%22%2C%22actions%22%3A%5B%7B%22action_id%22%3A%22waveline_approve%22%2C%22value%22%3A%221%22%7D%5D%7D".utf8)
        func press(_ server: RunningServer, secret: String) async throws -> Int {
            let timestamp = String(Int(Date().timeIntervalSince1970))
            let signature = SlackRequestVerifier.signature(secret: secret, timestamp: timestamp, body: Array(body))
            return try await server.request("POST", "/slack/interactions", body: body, headers: [
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("X-Slack-Request-Timestamp", timestamp), ("X-Slack-Signature", signature),
            ]).0
        }
        try await bench.withServer { server in
            let signed = try await press(server, secret: "the-signing-secret-of-the-test")
            #expect(signed == 404, "without integrations the route does not exist")
        }
        let file = bench.root + "/integrations.yaml"
        try Data("""
            public_url: https://waveline.example.com
            slack:
              bot_token: env:WAVELINE_TEST_BOT_TOKEN
              signing_secret: env:WAVELINE_TEST_SIGNING
              channels: {default: C0DEPLOYS1}
            """.utf8).write(to: URL(fileURLWithPath: file))
        try await bench.withServer(extraArguments: ["--integrations", file],
                                   environment: ["WAVELINE_TEST_BOT_TOKEN": "xoxb-test-token-value", "WAVELINE_TEST_SIGNING": "the-signing-secret-of-the-test"]) { server in
            let wrong = try await press(server, secret: "another-secret-entirely-wrong")
            let right = try await press(server, secret: "the-signing-secret-of-the-test")
            #expect(wrong == 401)
            #expect(right == 200)
        }
    }
}
