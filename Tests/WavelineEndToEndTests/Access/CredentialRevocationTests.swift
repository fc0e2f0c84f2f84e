import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization
import Testing
import WavelineAPI
import WavelineCore
import WavelineServer
import WavelineTesting

/// Taking a credential back works for real: a changed password needs the old one, a token never makes one
/// that outlives it, and a revoked token, a changed password or a removed user ends the open live streams too.
@Suite(.serialized) struct CredentialRevocationTests {
    static let hang = """
        name: hang
        role: operator
        steps:
          - {name: wait, shell: 'echo waiting; sleep 120', timeout: 5m}
        """

    static func bench() throws -> Workbench {
        try Workbench(inventory: oneZoneInventory(nodes: 2), operations: ["hang": Self.hang])
    }

    static func createUser(_ admin: RunningServer, _ name: String, password: String?, role: Role = .operator) async throws {
        let (status, data) = try await admin.request("POST", "/api/v1/users", body: try JSONEncoder().encode(
            CreateUserBody(name: name, password: password, grants: [GrantBody(role: role)])))
        guard status == 201 else { throw HarnessError("creating \(name) answered \(status): \(String(decoding: data, as: UTF8.self))") }
    }

    static func patch(_ server: RunningServer, _ user: String, _ body: UpdateUserBody) async throws -> (status: Int, text: String) {
        let (status, data) = try await server.request("PATCH", "/api/v1/users/\(user)", body: try JSONEncoder().encode(body))
        return (status, String(decoding: data, as: UTF8.self))
    }

    @Test func changingOnesOwnPasswordNeedsTheCurrentOneAndSaysWhatBecomesOfTokens() async throws {
        let bench = try Self.bench()
        defer { bench.remove() }
        try await bench.withServer { admin in
            try await Self.createUser(admin, "olga", password: "olga's first password")
            let olga = try await admin.as("olga")
            // Without the current password, with a wrong one: refused, and the old password still works.
            let missing = try await Self.patch(olga, "olga", UpdateUserBody(password: "olga's second password"))
            #expect(missing.status == 422 && missing.text.contains("currentPassword"), "\(missing)")
            let wrong = try await Self.patch(olga, "olga", UpdateUserBody(password: "olga's second password", currentPassword: "a wrong guess here"))
            #expect(wrong.status == 403 && wrong.text.contains("currentPassword"), "\(wrong)")
            var anonymous = admin
            anonymous.token = nil
            let signIn = try await anonymous.request("POST", "/api/v1/session", body: try JSONEncoder().encode(SignInBody(user: "olga", password: "olga's first password")))
            #expect(signIn.0 == 200)
            // With it: changed, and the answer says the token still works (it does).
            let changed = try await Self.patch(olga, "olga", UpdateUserBody(password: "olga's second password", currentPassword: "olga's first password"))
            #expect(changed.status == 200, "\(changed)")
            let view = try JSONDecoder().decode(UserView.self, from: Data(changed.text.utf8))
            #expect(view.note?.contains("1 API token still works") == true, "\(view.note ?? "")")
            #expect(try await olga.request("GET", "/api/v1/me").0 == 200)
            // Asked to, the change revokes the tokens too, and says so.
            let revoking = try await Self.patch(olga, "olga", UpdateUserBody(password: "olga's third password", currentPassword: "olga's second password", revokeTokens: true))
            #expect(revoking.status == 200 && revoking.text.contains("1 API token was revoked"), "\(revoking)")
            #expect(try await olga.request("GET", "/api/v1/me").0 == 401)
            // An admin sets someone else's without theirs.
            let reset = try await Self.patch(admin, "olga", UpdateUserBody(password: "olga's fourth password"))
            #expect(reset.status == 200, "\(reset)")
            // The command line asks for the current one when it is one's own.
            let again = try await admin.as("olga")
            let cli = try await runWaveline(["users", "passwd", "olga", "--password-stdin", "--server", admin.url, "--token", again.token ?? ""],
                                            input: "olga's fourth password\nolga's fifth password\n")
            #expect(cli.exitCode == 0 && cli.stdout.contains("Changed the password of olga") && cli.stdout.contains("still work"), "\(cli)")
            // A NUL would cut the password short in bcrypt: refused.
            let nul = try await Self.patch(admin, "olga", UpdateUserBody(password: "olga's\u{0}sixth password"))
            #expect(nul.status == 400 && nul.text.contains("NUL"), "\(nul)")
            let nulSignIn = try await anonymous.request("POST", "/api/v1/session", body: try JSONEncoder().encode(SignInBody(user: "olga", password: "olga's fifth password\u{0}x")))
            #expect(nulSignIn.0 == 400)
        }
    }

    @Test func aTokenCannotMakeATokenThatOutlivesIt() async throws {
        let bench = try Self.bench()
        defer { bench.remove() }
        try await bench.withServer { admin in
            try await Self.createUser(admin, "olga", password: "olga's first password")
            let short: CreatedToken = try await admin.post("/api/v1/tokens", json: CreateTokenBody(name: "short", expiresInDays: 2, user: "olga"))
            var olga = admin
            olga.token = short.token
            let longer = try await olga.failure("POST", "/api/v1/tokens", body: try JSONEncoder().encode(CreateTokenBody(name: "longer", expiresInDays: 30)))
            #expect(longer.status == 422 && longer.message.contains("outlives"), "\(longer)")
            // For another user too (an admin's token is bounded the same way).
            let adminShort: CreatedToken = try await admin.post("/api/v1/tokens", json: CreateTokenBody(name: "short", expiresInDays: 1))
            var shortAdmin = admin
            shortAdmin.token = adminShort.token
            let forOther = try await shortAdmin.failure("POST", "/api/v1/tokens", body: try JSONEncoder().encode(CreateTokenBody(name: "x", expiresInDays: 90, user: "olga")))
            #expect(forOther.status == 422, "\(forOther)")
            // Without a lifetime, the new token ends with the one that made it; a shorter one is fine.
            let bounded: CreatedToken = try await olga.post("/api/v1/tokens", json: CreateTokenBody(name: "bounded"))
            #expect(bounded.details.expiresAt <= short.details.expiresAt)
            let shorter: CreatedToken = try await olga.post("/api/v1/tokens", json: CreateTokenBody(name: "shorter", expiresInDays: 1))
            #expect(shorter.details.expiresAt <= short.details.expiresAt)
            // A password (HTTP Basic) may ask for the full lifetime.
            var anonymous = admin
            anonymous.token = nil
            let basic = "Basic " + Data("olga:olga's first password".utf8).base64EncodedString()
            let (status, data) = try await anonymous.request("POST", "/api/v1/tokens", body: try JSONEncoder().encode(CreateTokenBody(name: "laptop", expiresInDays: 30)),
                                                            headers: [("Authorization", basic)])
            #expect(status == 201, "\(String(decoding: data, as: UTF8.self))")
        }
    }

    @Test func revokingATokenChangingAPasswordOrRemovingAUserEndsTheirOpenStreams() async throws {
        let bench = try Self.bench()
        defer { bench.remove() }
        try await bench.withServer { admin in
            let id = try await admin.deploy("hang", selection: Selection(nodes: ["n1"])).deployment.id
            try await admin.waitFor(id, "the step running") { $0.targets.first?.currentStep == "wait" }
            try await Self.createUser(admin, "olga", password: "olga's first password", role: .viewer)
            try await Self.createUser(admin, "ivan", password: nil, role: .viewer)
            let olga = try await admin.as("olga")
            let ivan = try await admin.as("ivan")
            let olgaToken: TokenList = try await olga.get("/api/v1/tokens")
            var anonymous = admin
            anonymous.token = nil
            let (_, _, headers) = try await anonymous.requestWithHeaders("POST", "/api/v1/session", body: try JSONEncoder().encode(
                SignInBody(user: "olga", password: "olga's first password")))
            let cookie = try #require(headers.first { $0.0.lowercased() == "set-cookie" }.map { String($0.1.split(separator: ";")[0]) })

            let logs = "/api/v1/deployments/\(id)/logs/stream"
            let adminStream = try await OpenStream.open(admin.url + logs, headers: [("Authorization", "Bearer \(admin.token ?? "")")])
            let olgaTokenStream = try await OpenStream.open(admin.url + logs, headers: [("Authorization", "Bearer \(olga.token ?? "")")])
            let olgaPageStream = try await OpenStream.open(admin.url + "/ui/events", headers: [("Cookie", cookie)])
            let olgaSessionLogs = try await OpenStream.open(admin.url + logs, headers: [("Cookie", cookie)])
            let ivanStream = try await OpenStream.open(admin.url + logs, headers: [("Authorization", "Bearer \(ivan.token ?? "")")])

            // Revoking olga's token ends that stream only.
            let tokenID = try #require(olgaToken.tokens.first?.id)
            #expect(try await admin.request("DELETE", "/api/v1/tokens/\(tokenID)").0 == 200)
            #expect(await olgaTokenStream.ends(), "the revoked token's stream is still open")
            #expect(!olgaPageStream.hasEnded && !olgaSessionLogs.hasEnded && !ivanStream.hasEnded && !adminStream.hasEnded)

            // A new password ends her browser session's streams.
            #expect(try await Self.patch(admin, "olga", UpdateUserBody(password: "olga's second password")).status == 200)
            #expect(await olgaPageStream.ends(), "the page stream of a session whose password changed is still open")
            #expect(await olgaSessionLogs.ends(), "the log stream of a session whose password changed is still open")
            #expect(!ivanStream.hasEnded && !adminStream.hasEnded)

            // Removing ivan ends his.
            #expect(try await admin.request("DELETE", "/api/v1/users/ivan").0 == 204)
            #expect(await ivanStream.ends(), "the stream of a removed user is still open")
            #expect(!adminStream.hasEnded)
            adminStream.cancel()
            _ = try await admin.act("abort", id)
        }
    }
}

/// A live response read as it arrives, in the background: opened once its first bytes came, ended when the
/// server ends it.
final class OpenStream: Sendable {
    private let task: Task<Void, Never>
    private let state: EndState

    private init(task: Task<Void, Never>, state: EndState) {
        self.task = task
        self.state = state
    }

    var hasEnded: Bool { state.ended.withLock { $0 } }

    func cancel() { task.cancel() }

    /// Waits until the server ends the stream (up to 30 s, a bound so that the test fails instead of hanging).
    func ends() async -> Bool {
        await eventually(timeout: .seconds(30)) { self.hasEnded }
    }

    static func open(_ url: String, headers: [(String, String)]) async throws -> OpenStream {
        let (opened, signal) = AsyncStream<Bool>.makeStream()
        let state = EndState()
        let task = Task<Void, Never> {
            defer {
                state.end()
                signal.finish()
            }
            do {
                var request = HTTPClientRequest(url: url)
                for (name, value) in headers { request.headers.add(name: name, value: value) }
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(600))
                guard response.status == .ok else {
                    signal.yield(false)
                    return
                }
                var first = true
                for try await _ in response.body where first {
                    first = false
                    signal.yield(true)
                }
            } catch {}
        }
        var iterator = opened.makeAsyncIterator()
        guard await iterator.next() == true else { throw HarnessError("\(url) did not open a stream") }
        return OpenStream(task: task, state: state)
    }
}

private final class EndState: Sendable {
    let ended = Mutex(false)
    func end() { ended.withLock { $0 = true } }
}
