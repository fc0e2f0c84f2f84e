import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
import WavelineAPI
import WavelineCore
import WavelineServer
import WavelineTesting

/// Each kind of refusal in-process: the status, the one JSON error shape repeating it, and a message naming what
/// was wrong. (The end-to-end `APIErrorTests` walk every route over a socket; these pin each status's shape.)
@Suite struct ErrorShapeTests {
    @Test func eachRefusalHasItsStatusAndTheOneErrorShape() async throws {
        let bench = try Workbench(inventory: oneZoneInventory(nodes: 1), operations: ["quick": Operations.quick])
        defer { bench.remove() }
        try await bench.withInProcessServer { server in
            func body(nodes: [String], operation: String = "quick") throws -> Data {
                try JSONEncoder().encode(CreateDeploymentBody(operation: operation, selection: Selection(nodes: nodes), parameters: nil, strategy: nil, reason: "errors", ticket: nil, queue: nil))
            }

            let badID = try await server.failure(.get, "/api/v1/deployments/abc")
            #expect(badID.status == 400 && badID.message.contains("abc"), "\(badID)")
            let badJSON = try await server.failure(.post, "/api/v1/deployments", body: Data("{\"operation\": ".utf8))
            #expect(badJSON.status == 400, "\(badJSON)")

            let anonymous = try await server.anonymous.failure(.get, "/api/v1/deployments")
            #expect(anonymous.status == 401, "\(anonymous)")
            var stranger = server
            stranger.token = "wl_not_a_token_anyone_was_given_0123456789abcdef"
            let badToken = try await stranger.failure(.get, "/api/v1/deployments")
            #expect(badToken.status == 401, "\(badToken)")

            let viewer = try await server.as("vera", [GrantBody(role: .viewer)])
            let forbidden = try await viewer.failure(.post, "/api/v1/deployments", body: try body(nodes: ["n1"]))
            #expect(forbidden.status == 403 && forbidden.message.contains("vera"), "\(forbidden)")
            let audit = try await viewer.failure(.get, "/api/v1/audit/export")
            #expect(audit.status == 403, "\(audit)")

            let missing = try await server.failure(.get, "/api/v1/deployments/777")
            #expect(missing.status == 404 && missing.message.contains("#777"), "\(missing)")
            let noRoute = try await server.failure(.get, "/api/v1/nothing-here")
            #expect(noRoute.status == 404, "\(noRoute)")

            let unknownNode = try await server.failure(.post, "/api/v1/deployments", body: try body(nodes: ["n9"]))
            #expect(unknownNode.status == 422 && unknownNode.message.contains("n9"), "\(unknownNode)")
            let unknownOperation = try await server.failure(.post, "/api/v1/deployments", body: try body(nodes: ["n1"], operation: "explode"))
            #expect(unknownOperation.status == 422 && unknownOperation.message.contains("explode"), "\(unknownOperation)")

            let wrongMethod = try await server.request(.put, "/api/v1/deployments")
            #expect(wrongMethod.status == .methodNotAllowed)
            #expect(wrongMethod.headers[.allow] == "GET, POST")
        }
    }
}
