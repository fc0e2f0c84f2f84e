import Foundation
import Testing
import WavelineAPI
import WavelineCore
import WavelineServer
import WavelineTesting

/// Changes to users made at the same time: each applies to the user as stored when it is written, so a slow
/// password change (bcrypt at the real cost) neither undoes a demotion nor brings back a removed user, and
/// the last admin on everything stays one.
@Suite(.serialized) struct UserChangeTests {
    static func bench() throws -> Workbench {
        try Workbench(inventory: oneZoneInventory(nodes: 1), operations: [:])
    }

    /// The real cost, so that hashing a new password takes a noticeable while (about 0.25 s).
    static let realCost = ["--password-hash-cost", "12"]

    static func patch(_ server: RunningServer, _ user: String, _ body: UpdateUserBody) async throws -> Int {
        try await server.request("PATCH", "/api/v1/users/\(user)", body: try JSONEncoder().encode(body)).0
    }

    @Test func aPasswordChangeDoesNotUndoADemotionMadeMeanwhile() async throws {
        let bench = try Self.bench()
        defer { bench.remove() }
        try await bench.withServer(extraArguments: Self.realCost) { admin in
            _ = try await admin.as("olga", [GrantBody(role: .operator)])
            let second = try await admin.as("root2")
            // One admin resets olga's password; while it is hashed, another makes her a viewer.
            async let reset = Self.patch(admin, "olga", UpdateUserBody(password: "a new long password"))
            try await Task.sleep(for: .milliseconds(60))
            let demoted = try await Self.patch(second, "olga", UpdateUserBody(grants: [GrantBody(role: .viewer)]))
            #expect(try await reset == 200)
            #expect(demoted == 200)
            let olga: UserView = try await admin.get("/api/v1/users/olga")
            #expect(olga.grants.map(\.role) == [.viewer])
            #expect(olga.hasPassword)
        }
    }

    @Test func aPasswordChangeDoesNotBringBackARemovedUser() async throws {
        let bench = try Self.bench()
        defer { bench.remove() }
        try await bench.withServer(extraArguments: Self.realCost) { admin in
            _ = try await admin.as("olga", [GrantBody(role: .operator)])
            let second = try await admin.as("root2")
            async let reset = Self.patch(admin, "olga", UpdateUserBody(password: "a new long password"))
            try await Task.sleep(for: .milliseconds(60))
            let removed = try await second.request("DELETE", "/api/v1/users/olga").0
            #expect(removed == 204)
            // Either order is fine, but olga stays removed.
            #expect([200, 404].contains(try await reset))
            #expect(try await admin.request("GET", "/api/v1/users/olga").0 == 404)
        }
    }

    @Test func aSignInWithThePasswordBeingChangedLeavesNoWayIn() async throws {
        let bench = try Self.bench()
        defer { bench.remove() }
        try await bench.withServer(extraArguments: Self.realCost) { admin in
            _ = try await admin.request("POST", "/api/v1/users", body: try JSONEncoder().encode(
                CreateUserBody(name: "olga", password: "olga's old long password", grants: [GrantBody(role: .operator)])))
            var signedOut = admin
            signedOut.token = nil
            let anonymous = signedOut
            // An admin resets olga's password; while it is hashed, someone signs in with the old one, and that
            // check is still running when the new password is stored.
            async let reset = Self.patch(admin, "olga", UpdateUserBody(password: "olga's new long password"))
            try await Task.sleep(for: .milliseconds(100))
            let (status, _, headers) = try await anonymous.requestWithHeaders(
                "POST", "/api/v1/session", body: try JSONEncoder().encode(SignInBody(user: "olga", password: "olga's old long password")))
            #expect(try await reset == 200)
            // Whatever the order, the old password opens nothing now.
            if status == 200, let setCookie = headers.first(where: { $0.0.lowercased() == "set-cookie" })?.1 {
                let cookie = String(setCookie.split(separator: ";")[0])
                #expect(try await anonymous.request("GET", "/api/v1/me", headers: [("Cookie", cookie)]).0 == 401)
            } else {
                #expect(status == 401)
            }
        }
    }

    @Test func theLastAdminStaysOneEvenWhenTwoDemoteEachOtherAtOnce() async throws {
        let bench = try Self.bench()
        defer { bench.remove() }
        try await bench.withServer { admin in
            let refused = try await admin.failure("DELETE", "/api/v1/users/admin")
            #expect(refused.status == 409 && refused.message.contains("last admin on everything"), "\(refused)")

            let second = try await admin.as("root2")
            for _ in 0..<5 {
                async let first = Self.patch(admin, "root2", UpdateUserBody(grants: [GrantBody(role: .viewer)]))
                async let other = Self.patch(second, "admin", UpdateUserBody(grants: [GrantBody(role: .viewer)]))
                let statuses = [try await first, try await other]
                // One demotion is made; the other is refused (409), or (403) its caller was just demoted.
                #expect(statuses.filter { $0 == 200 }.count == 1, "\(statuses)")
                let lister = try await admin.request("GET", "/api/v1/users").0 == 200 ? admin : second
                let users: UserList = try await lister.get("/api/v1/users")
                let admins = users.users.filter { $0.grants.contains { $0.role == .admin } }
                #expect(admins.count == 1, "\(admins.map(\.name))")
                // Make both admins again for the next round.
                let remaining = try #require(admins.first?.name == "admin" ? admin : second)
                let demoted = admins.first?.name == "admin" ? "root2" : "admin"
                #expect(try await Self.patch(remaining, demoted, UpdateUserBody(grants: [GrantBody(role: .admin)])) == 200)
            }
        }
    }
}
