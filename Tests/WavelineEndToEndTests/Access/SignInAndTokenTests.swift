import Foundation
import NIOHTTP1
import Testing
import WavelineAPI
import WavelineCore
import WavelineServer
import WavelineStore
import WavelineTesting

/// Signing in: API tokens (shown once, stored hashed, expiring, revocable), browser sessions with CSRF
/// protection, the rate limit on passwords, and the first start's admin.
@Suite(.serialized) struct SignInAndTokenTests {
    static let quick = """
        name: quick
        role: operator
        steps:
          - {name: work, run: ["true"]}
        """

    static func bench() throws -> Workbench {
        try Workbench(inventory: oneZoneInventory(nodes: 2), operations: ["quick": Self.quick])
    }

    @Test func tokensAreShownOnceStoredHashedAndRefusedOnceRevokedOrExpired() async throws {
        let bench = try Self.bench()
        defer { bench.remove() }
        var secrets: [String] = []
        try await bench.withServer { admin in
            let ops = try await admin.as("ops", [GrantBody(role: .operator)])
            // ops's own token lives a day: it can make tokens that live no longer.
            let made: CreatedToken = try await ops.post("/api/v1/tokens", json: CreateTokenBody(name: "ci", expiresInDays: 1))
            secrets = [made.token, ops.token ?? ""]
            #expect(made.token.hasPrefix("wl_") && made.token.count > 40)
            #expect(made.details.user == "ops" && made.details.name == "ci")
            #expect(abs(made.details.expiresAt - made.details.createdAt - 86400) < 5)
            var ci = admin
            ci.token = made.token
            #expect(try await ci.get("/api/v1/me", as: SessionView.self).tokenName == "ci")

            // Listing never shows a secret.
            let (_, listed) = try await ops.request("GET", "/api/v1/tokens")
            #expect(!String(decoding: listed, as: UTF8.self).contains(made.token))
            #expect(try JSONDecoder().decode(TokenList.self, from: listed).tokens.contains { $0.id == made.details.id })
            // Someone else's tokens are not ops's to see or revoke.
            let foreign = try await ops.failure("GET", "/api/v1/tokens?user=admin")
            #expect(foreign.status == 403 && foreign.message.contains("ops may not manage-tokens"), "\(foreign.message)")

            // Revoked: refused with the reason, by the API and the CLI.
            let revoked: TokenView = try await ops.requestJSON("DELETE", "/api/v1/tokens/\(made.details.id)")
            #expect(revoked.revokedAt != nil)
            let refused = try await ci.failure("GET", "/api/v1/deployments")
            #expect(refused.status == 401 && refused.message.contains("'ci'") && refused.message.contains("was revoked"), "\(refused.message)")
            let cli = try await ci.cli(["status"])
            #expect(cli.exitCode == 1 && cli.stderr.contains("was revoked"), "\(cli)")

            // Expired: its expiry is moved into the past in the store (as time would).
            let store = try await SQLDeploymentStore.sqlite(path: bench.data + "/waveline.sqlite")
            let other: CreatedToken = try await ops.post("/api/v1/tokens", json: CreateTokenBody(name: "laptop", expiresInDays: 1))
            let found = try? await store.token(id: other.details.id)
            if var record = found ?? nil {
                record.expiresAt = SystemTime().now() - 60
                try await store.write([.saveToken(record)])
            }
            try await store.close()
            #expect(found != nil, "the new token is not in the store")
            var laptop = admin
            laptop.token = other.token
            let expired = try await laptop.failure("GET", "/api/v1/deployments")
            #expect(expired.status == 401 && expired.message.contains("'laptop'") && expired.message.contains("expired"), "\(expired.message)")

            // Unknown and malformed tokens.
            laptop.token = "wl_not-a-token"
            #expect(try await laptop.failure("GET", "/api/v1/deployments").message.contains("not known"))
            let bad = try await laptop.failure("POST", "/api/v1/tokens", body: try JSONEncoder().encode(CreateTokenBody(name: "x")))
            #expect(bad.status == 401)
            let tooLong = try await ops.failure("POST", "/api/v1/tokens", body: try JSONEncoder().encode(CreateTokenBody(name: "x", expiresInDays: 1000)))
            #expect(tooLong.status == 400 && tooLong.message.contains("expiresInDays"), "\(tooLong.message)")

            // Made and revoked tokens are in the audit trail, without their secrets.
            let events: EventList = try await admin.get("/api/v1/events?kind=token.created,token.revoked")
            #expect(events.events.contains { $0.kind == "token.revoked" && $0.actor == "ops" && $0.message.contains(made.details.id) })
        }
        // The database holds hashes only.
        let database = try Data(contentsOf: URL(fileURLWithPath: bench.data + "/waveline.sqlite"))
            + ((try? Data(contentsOf: URL(fileURLWithPath: bench.data + "/waveline.sqlite-wal"))) ?? Data())
        for secret in secrets where !secret.isEmpty {
            #expect(database.range(of: Data(secret.utf8)) == nil, "a token is stored in the clear")
        }
    }

    @Test func theCLISignsInWithAPasswordAndSavesAPrivateToken() async throws {
        let bench = try Self.bench()
        defer { bench.remove() }
        let config = bench.root + "/config"
        try await bench.withServer { admin in
            var anonymous = admin
            anonymous.token = nil
            let login = try await runWaveline(["login", "--user", "admin", "--password-stdin", "--server", admin.url],
                                              input: Workbench.adminPassword + "\n", environment: ["XDG_CONFIG_HOME": config])
            #expect(login.exitCode == 0 && login.stdout.contains("Signed in to \(admin.url) as admin"), "\(login)")
            let file = config + "/waveline/credentials.json"
            let mode = try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int
            #expect(mode == 0o600)
            let whoami = try await runWaveline(["whoami", "--server", admin.url], environment: ["XDG_CONFIG_HOME": config])
            #expect(whoami.exitCode == 0 && whoami.stdout.contains("admin — admin on everything"), "\(whoami)")

            let add = try await runWaveline(["users", "add", "ci-bot", "--token-only", "--grant", "operator:env=test", "--server", admin.url], environment: ["XDG_CONFIG_HOME": config])
            #expect(add.exitCode == 0 && add.stdout.contains("ci-bot: operator in test"), "\(add)")
            let token = try await runWaveline(["tokens", "create", "pipeline", "--user", "ci-bot", "--server", admin.url], environment: ["XDG_CONFIG_HOME": config])
            #expect(token.exitCode == 0 && token.stdout.hasPrefix("wl_") && token.stderr.contains("shown only now"), "\(token)")
            var bot = admin
            bot.token = token.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(try await bot.get("/api/v1/me", as: SessionView.self).user == "ci-bot")

            let wrong = try await runWaveline(["login", "--user", "admin", "--password-stdin", "--server", admin.url],
                                              input: "not the password\n", environment: ["XDG_CONFIG_HOME": config])
            #expect(wrong.exitCode == 1 && wrong.stderr.contains("wrong user name or password"), "\(wrong)")

            let logout = try await runWaveline(["logout", "--server", admin.url], environment: ["XDG_CONFIG_HOME": config])
            #expect(logout.exitCode == 0, "\(logout)")
            let after = try await runWaveline(["whoami", "--server", admin.url], environment: ["XDG_CONFIG_HOME": config])
            #expect(after.exitCode == 1 && after.stderr.contains("waveline login"), "\(after)")
        }
    }

    @Test func passwordGuessingIsLimitedPerUserAndAddress() async throws {
        let bench = try Self.bench()
        defer { bench.remove() }
        try await bench.withServer { admin in
            var anonymous = admin
            anonymous.token = nil
            func signIn(_ password: String) async throws -> (Int, String) {
                let (status, data) = try await anonymous.request("POST", "/api/v1/session", body: try JSONEncoder().encode(SignInBody(user: "admin", password: password)))
                return (status, String(decoding: data, as: UTF8.self))
            }
            for attempt in 1...5 {
                let (status, text) = try await signIn("guess \(attempt)")
                #expect(status == 401 && text.contains("wrong user name or password"), "\(text)")
            }
            // The sixth is refused without checking, even with the right password, and says when to retry.
            let (status, data, headers) = try await anonymous.requestWithHeaders("POST", "/api/v1/session", body: try JSONEncoder().encode(SignInBody(user: "admin", password: Workbench.adminPassword)))
            #expect(status == 429, "\(String(decoding: data, as: UTF8.self))")
            #expect(String(decoding: data, as: UTF8.self).contains("too many failed sign-ins"))
            #expect(headers.contains { $0.0.lowercased() == "retry-after" && (Int($0.1) ?? 0) > 0 })
            // Failures are audited; the token still works (it is not a password).
            let failures: EventList = try await admin.get("/api/v1/events?kind=auth.sign_in_failed")
            #expect(failures.events.count == 5 && failures.events.allSatisfy { $0.message.contains("'admin'") })
        }
    }

    @Test func guessesSentAllAtOnceAreLimitedToo() async throws {
        // Twelve wrong passwords at once: each bcrypt check takes a while, so none has failed when the others
        // arrive. Only five may be checked; the others are refused without checking.
        let bench = try Self.bench()
        defer { bench.remove() }
        try await bench.withServer { admin in
            var signedOut = admin
            signedOut.token = nil
            let anonymous = signedOut
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for attempt in 1...12 {
                    group.addTask {
                        try await anonymous.request("POST", "/api/v1/session", body: try JSONEncoder().encode(SignInBody(user: "admin", password: "guess \(attempt)"))).0
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 401 }.count == 5, "\(statuses)")
            #expect(statuses.filter { $0 == 429 }.count == 7, "\(statuses)")
            let failures: EventList = try await admin.get("/api/v1/events?kind=auth.sign_in_failed")
            #expect(failures.events.count == 5)
        }
    }

    @Test func browserSessionsNeedTheirCSRFTokenAndEndOnSignOutOrPasswordChange() async throws {
        let bench = try Self.bench()
        defer { bench.remove() }
        try await bench.withServer { admin in
            let id = try await admin.deploy("quick", selection: Selection(nodes: ["n1"])).deployment.id
            _ = try await admin.waitUntilFinal(id)
            _ = try await admin.request("POST", "/api/v1/users", body: try JSONEncoder().encode(
                CreateUserBody(name: "olga", password: "olga's long password", grants: [GrantBody(role: .operator)])))
            var anonymous = admin
            anonymous.token = nil

            // The cookie: HttpOnly, Secure, SameSite=Strict.
            let (status, data, headers) = try await anonymous.requestWithHeaders("POST", "/api/v1/session", body: try JSONEncoder().encode(SignInBody(user: "olga", password: "olga's long password")))
            #expect(status == 200)
            let setCookie = try #require(headers.first { $0.0.lowercased() == "set-cookie" }?.1)
            #expect(setCookie.hasPrefix("waveline_session=") && setCookie.contains("HttpOnly") && setCookie.contains("Secure") && setCookie.contains("SameSite=Strict"), "\(setCookie)")
            let session = try JSONDecoder().decode(SessionView.self, from: data)
            let csrf = try #require(session.csrfToken)
            let cookie = String(setCookie.split(separator: ";")[0])

            // A state-changing API call without the token, or with a wrong one, is refused; with it, it goes through.
            let body = try JSONEncoder().encode(CreateDeploymentBody(operation: "quick", selection: Selection(nodes: ["n2"]), parameters: nil, strategy: "all-at-once", reason: "csrf", ticket: nil, queue: false))
            let missing = try await anonymous.request("POST", "/api/v1/deployments", body: body, headers: [("Cookie", cookie)])
            #expect(missing.0 == 403 && String(decoding: missing.1, as: UTF8.self).contains("CSRF"))
            let wrong = try await anonymous.request("POST", "/api/v1/deployments", body: body, headers: [("Cookie", cookie), ("X-CSRF-Token", "x" + csrf)])
            #expect(wrong.0 == 403)
            #expect(try await anonymous.request("GET", "/api/v1/deployments", headers: [("Cookie", cookie)]).0 == 200, "reads need no token")
            let right = try await anonymous.request("POST", "/api/v1/deployments", body: body, headers: [("Cookie", cookie), ("X-CSRF-Token", csrf)])
            #expect(right.0 == 201, "\(String(decoding: right.1, as: UTF8.self))")

            // The same through the web form: a forged post (no token) acts on nothing.
            var browser = WebPageTests.Browser(base: admin.url)
            try await browser.signIn("olga", password: "olga's long password")
            let before = try await admin.detail(id).deployment.status
            let forged = try await browser.send("POST", "/deployments/\(id)/actions/rollback", form: [("return", "/deployments/\(id)")], csrf: "forged")
            #expect(forged.status == 303)
            let page = try await browser.send("GET", "/deployments/\(id)")
            #expect(page.body.contains("CSRF token is missing or wrong"), "\(page.body.prefix(2000))")
            #expect(try await admin.detail(id).deployment.status == before)
            // A sign-in posted from another site is refused.
            var other = WebPageTests.Browser(base: admin.url)
            let crossSite = try await other.send("POST", "/login", form: [("user", "olga"), ("password", "olga's long password")], origin: "https://evil.example")
            #expect(crossSite.status == 403 && other.cookies["waveline_session"] == nil)

            // A new password ends every browser session of the user.
            _ = try await admin.request("PATCH", "/api/v1/users/olga", body: try JSONEncoder().encode(UpdateUserBody(password: "olga's new long password")))
            let ended = try await browser.send("GET", "/deployments/\(id)")
            #expect(ended.status == 303 && ended.headers["Location"].first?.hasPrefix("/login") == true)
            #expect(try await anonymous.request("GET", "/api/v1/me", headers: [("Cookie", cookie)]).0 == 401)

            // Signing out ends the session on the server, not only in the browser.
            var fresh = WebPageTests.Browser(base: admin.url)
            try await fresh.signIn("olga", password: "olga's new long password")
            let kept = try #require(fresh.cookies["waveline_session"])
            _ = try await fresh.send("POST", "/logout", form: [("return", "/")])
            #expect(try await anonymous.request("GET", "/api/v1/me", headers: [("Cookie", "waveline_session=\(kept)")]).0 == 401)

            // Passwords and session ids appear in no answer and no event.
            let (_, trail) = try await admin.request("GET", "/api/v1/audit/export")
            let text = String(decoding: trail, as: UTF8.self)
            for secret in ["olga's long password", "olga's new long password", kept, String(cookie.dropFirst("waveline_session=".count))] {
                #expect(!text.contains(secret), "the audit trail holds a secret")
            }
        }
        // Nor does the database: bcrypt hashes and SHA-256 digests only.
        let database = try Data(contentsOf: URL(fileURLWithPath: bench.data + "/waveline.sqlite"))
            + ((try? Data(contentsOf: URL(fileURLWithPath: bench.data + "/waveline.sqlite-wal"))) ?? Data())
        #expect(database.range(of: Data("olga's long password".utf8)) == nil && database.range(of: Data("olga's new long password".utf8)) == nil)
    }

    @Test func theFirstStartMakesOneAdminAndPrintsItsPasswordOnce() async throws {
        let bench = try Self.bench()
        defer { bench.remove() }
        let first = try await runWaveline(["serve", "--port", "0", "--data", bench.data, "--inventory", bench.inventory, "--catalog", bench.catalog, "--password-hash-cost", "4"],
                                          timeout: .seconds(5), environment: ["WAVELINE_INITIAL_ADMIN_PASSWORD": "", "WAVELINE_INITIAL_ADMIN_TOKEN": ""])
        #expect(first.stdout.contains("First start: created user admin (admin on everything) with password: "), "\(first)")
        let password = try #require(first.stdout.components(separatedBy: "with password: ").last?.split(separator: "\n").first.map(String.init))
        #expect(password.count >= 16)
        let again = try await runWaveline(["serve", "--port", "0", "--data", bench.data, "--inventory", bench.inventory, "--catalog", bench.catalog],
                                          timeout: .seconds(5), environment: ["WAVELINE_INITIAL_ADMIN_PASSWORD": "", "WAVELINE_INITIAL_ADMIN_TOKEN": ""])
        #expect(again.stdout.contains("listening") && !again.stdout.contains("First start"), "\(again)")
        let store = try await SQLDeploymentStore.sqlite(path: bench.data + "/waveline.sqlite")
        let users = try await store.users()
        #expect(users.map(\.name) == ["admin"])
        #expect(users.first?.passwordHash?.hasPrefix("$2") == true && users.first?.passwordHash?.contains(password) == false)
        try await store.close()
    }
}
