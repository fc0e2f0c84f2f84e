import Foundation
import Testing
import WavelineAPI
import WavelineTesting

/// `waveline users slack` and `users add --slack-user-id` against the real binary: the mapping is stored, shown,
/// refused when taken, and removed.
@Suite struct SlackMappingCLITests {
    @Test func anAdminMapsAndUnmapsSlackAccountsWithTheCLI() async throws {
        let bench = try Workbench(inventory: oneZoneInventory(nodes: 1), operations: [:])
        defer { bench.remove() }
        try await bench.withServer { server in
            let added = try await server.cli(["users", "add", "bob", "--token-only", "--grant", "approver", "--slack-user-id", "U0BOB"])
            #expect(added.succeeded, "\(added)")
            let carol = try await server.cli(["users", "add", "carol", "--token-only", "--grant", "approver"])
            #expect(carol.succeeded, "\(carol)")

            let taken = try await server.cli(["users", "slack", "carol", "U0BOB"])
            #expect(taken.exitCode == 1 && taken.stderr.contains("already mapped to bob"), "\(taken)")
            let malformed = try await server.cli(["users", "slack", "carol", "bob@example.com"])
            #expect(malformed.exitCode == 1 && malformed.stderr.contains("Slack user id"), "\(malformed)")
            let neither = try await server.cli(["users", "slack", "carol"])
            #expect(neither.exitCode != 0 && neither.stderr.contains("--remove"), "\(neither)")

            let removed = try await server.cli(["users", "slack", "bob", "--remove"])
            #expect(removed.succeeded && removed.stdout.contains("bob has no Slack account"), "\(removed)")
            let mapped = try await server.cli(["users", "slack", "carol", "U0BOB"])
            #expect(mapped.succeeded && mapped.stdout.contains("carol acts from Slack as U0BOB"), "\(mapped)")

            let list = try await server.cli(["users", "list"])
            #expect(list.stdout.split(separator: "\n").contains { $0.hasPrefix("carol\t") && $0.hasSuffix("slack U0BOB") }, "\(list)")
            #expect(!list.stdout.split(separator: "\n").contains { $0.hasPrefix("bob\t") && $0.contains("slack") }, "\(list)")
        }
    }
}
