import Foundation
import HTTPTypes
import Testing
import WavelineAPI
import WavelineCore
@testable import WavelineServer
import WavelineTesting

/// Who a Slack account acts as: set on the user by an admin, one account for one user; and where the answer to
/// a press may be posted.
@Suite struct SlackUserMappingTests {
    @Test func anAdminMapsOneSlackAccountToOneUser() async throws {
        let bench = try Workbench(inventory: oneZoneInventory(nodes: 1), operations: ["quick": Operations.quick])
        defer { bench.remove() }
        try await bench.withInProcessServer { server in
            let created: UserView = try await server.post("/api/v1/users", CreateUserBody(name: "bob", password: nil, grants: [GrantBody(role: .approver)], slackUserId: "U0BOB"))
            #expect(created.slackUserId == "U0BOB")
            let carol = try await server.as("carol", [GrantBody(role: .approver)])

            // One account, one user: the second mapping is refused naming who has it.
            let taken = try await server.failure(.patch, "/api/v1/users/carol", body: try JSONEncoder().encode(UpdateUserBody(slackUserId: "U0BOB")))
            #expect(taken.status == 409 && taken.message.contains("already mapped to bob"), "\(taken.message)")
            let twice = try await server.failure(.post, "/api/v1/users", body: try JSONEncoder().encode(CreateUserBody(name: "dora", password: nil, grants: [], slackUserId: "U0BOB")))
            #expect(twice.status == 409)
            // Not a Slack member id: 400 saying what one looks like.
            for bad in ["u0bob", "X0BOB", "U0 BOB", "U", "U0BOB\n"] {
                let refused = try await server.failure(.patch, "/api/v1/users/carol", body: try JSONEncoder().encode(UpdateUserBody(slackUserId: bad)))
                #expect(refused.status == 400 && refused.message.contains("slackUserId"), "\(bad): \(refused.message)")
            }
            // Who one's presses act as is an admin's call, even for oneself.
            let own = try await carol.failure(.patch, "/api/v1/users/carol", body: try JSONEncoder().encode(UpdateUserBody(slackUserId: "U0CAROL")))
            #expect(own.status == 403)

            // Removed with "": the account is free again.
            let cleared: UserView = try await server.json(.patch, "/api/v1/users/bob", body: try JSONEncoder().encode(UpdateUserBody(slackUserId: "")))
            #expect(cleared.slackUserId == nil)
            let moved: UserView = try await server.json(.patch, "/api/v1/users/carol", body: try JSONEncoder().encode(UpdateUserBody(slackUserId: "U0BOB")))
            #expect(moved.slackUserId == "U0BOB")
            let list: UserList = try await server.get("/api/v1/users")
            #expect(list.users.compactMap(\.slackUserId) == ["U0BOB"])
        }
    }

    @Test func answersArePostedOnlyUnderTheAllowedPrefixes() {
        let slack = [SlackInteractions.slackResponseURLPrefix]
        #expect(SlackResponder.isAllowed("https://hooks.slack.com/actions/T0TEAM/123/abc", prefixes: slack))
        for url in [
            "https://hooks.slack.com.evil.example/actions/x", "http://hooks.slack.com/actions/x", "https://evil.example/https://hooks.slack.com/",
            "https://hooks.slack.com@evil.example/actions", "https://hooks.slack.com/actions/@evil.example", "https://hooks.slack.com\\@evil.example/",
            "https://hooks.slack.com/actions/x\r\nHost: evil", " https://hooks.slack.com/actions/x", "HTTPS://HOOKS.SLACK.COM/actions/x", "",
        ] {
            #expect(!SlackResponder.isAllowed(url, prefixes: slack), "\(url)")
        }
        // A local stand-in, for tests and the demo; a prefix without its closing slash allows nothing.
        #expect(SlackResponder.isAllowed("http://127.0.0.1:9999/actions/1", prefixes: ["http://127.0.0.1:9999/"]))
        #expect(!SlackResponder.isAllowed("http://127.0.0.1:99990/actions/1", prefixes: ["http://127.0.0.1:9999"]))
        #expect(!SlackResponder.isAllowed("http://127.0.0.1:9999/actions/1", prefixes: ["http://127.0.0.1:9999"]))
    }
}
