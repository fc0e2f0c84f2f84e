import Foundation
import Testing
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
