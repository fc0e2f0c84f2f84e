import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import Subprocess
import Testing
import WavelineAPI
import WavelineCore
import WavelineServer
import WavelineTesting

/// `serve --tls-cert --tls-key` speaks HTTPS; `X-Forwarded-For` is believed only from `--trusted-proxy`
/// addresses; plain HTTP on another address than loopback is said to break browser sign-in.
@Suite(.serialized) struct TLSAndProxyTests {
    static func bench() throws -> Workbench {
        try Workbench(inventory: oneZoneInventory(nodes: 1), operations: [:])
    }

    /// A self-signed certificate for 127.0.0.1, made by openssl: (certificate, key) paths.
    static func selfSignedCertificate(in folder: String) async throws -> (String, String) {
        let certificate = folder + "/cert.pem", key = folder + "/key.pem"
        let made = try await Subprocess.run(
            .name("openssl"),
            arguments: ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", certificate,
                        "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
            output: .discarded, error: .string(limit: 4096)
        )
        guard made.terminationStatus.isSuccess else { throw HarnessError("openssl failed: \(made.standardError)") }
        return (certificate, key)
    }

    @Test func httpsIsServedWithTheGivenCertificate() async throws {
        let bench = try Self.bench()
        defer { bench.remove() }
        let (certificate, key) = try await Self.selfSignedCertificate(in: bench.root)
        try await bench.withServer(extraArguments: ["--tls-cert", certificate, "--tls-key", key]) { server in
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(certificate))
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: tls))
            defer { _ = client.shutdown() }
            var request = HTTPClientRequest(url: "https://127.0.0.1:\(server.port)/api/v1/me")
            request.headers.add(name: "Authorization", value: "Bearer \(server.token ?? "")")
            let response = try await client.execute(request, timeout: .seconds(30))
            let body = try await response.body.collect(upTo: 1 << 20)
            #expect(response.status == .ok, "\(String(buffer: body))")
            #expect(try JSONDecoder().decode(SessionView.self, from: Data(body.readableBytesView)).user == "admin")
            // Signing in over HTTPS: the Secure cookie is one the browser keeps.
            var signIn = HTTPClientRequest(url: "https://127.0.0.1:\(server.port)/api/v1/session")
            signIn.method = .POST
            signIn.headers.add(name: "Content-Type", value: "application/json")
            signIn.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(SignInBody(user: "admin", password: Workbench.adminPassword))))
            let signedIn = try await client.execute(signIn, timeout: .seconds(30))
            #expect(signedIn.status == .ok && signedIn.headers["Set-Cookie"].first?.contains("Secure") == true)
            try await client.shutdown()
            // Plain HTTP on the same port gets no answer.
            let plain = try? await server.request("GET", "/api/v1/me")
            #expect(plain == nil || plain?.0 != 200, "plain HTTP was answered: \(String(describing: plain))")
        }
        // A key that does not exist: one line, no crash.
        let broken = try await runWaveline(["serve", "--port", "0", "--data", bench.data, "--inventory", bench.inventory, "--catalog", bench.catalog,
                                            "--tls-cert", certificate, "--tls-key", bench.root + "/missing.pem"], timeout: .seconds(20))
        #expect(broken.exitCode == 1 && broken.stderr.contains("missing.pem") && !looksLikeACrash(broken.output), "\(broken)")
    }

    /// A failed sign-in's recorded origin, sent with `X-Forwarded-For`.
    static func recordedOrigin(_ server: RunningServer, forwardedFor: String) async throws -> String? {
        var anonymous = server
        anonymous.token = nil
        let user = "probe\(Int.random(in: 1000...9999))"
        _ = try await anonymous.request("POST", "/api/v1/session", body: try JSONEncoder().encode(SignInBody(user: user, password: "not the password")),
                                        headers: [("X-Forwarded-For", forwardedFor)])
        let (_, trail) = try await server.request("GET", "/api/v1/audit/export")
        for line in String(decoding: trail, as: UTF8.self).split(separator: "\n") where line.contains(user) {
            let entry = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            return entry?["origin"] as? String
        }
        return nil
    }

    @Test func forwardedForIsBelievedOnlyFromATrustedProxy() async throws {
        let bench = try Self.bench()
        defer { bench.remove() }
        try await bench.withServer { server in
            let origin = try await Self.recordedOrigin(server, forwardedFor: "203.0.113.9")
            #expect(origin == "127.0.0.1")
        }
        try await bench.withServer(extraArguments: ["--trusted-proxy", "127.0.0.0/8", "--trusted-proxy", "10.1.2.3"]) { server in
            let forwarded = try await Self.recordedOrigin(server, forwardedFor: "203.0.113.9")
            #expect(forwarded == "203.0.113.9")
            // The last hop the trusted proxies did not add: what a client put first is not believed.
            let chained = try await Self.recordedOrigin(server, forwardedFor: "198.51.100.1, 203.0.113.9, 10.1.2.3")
            #expect(chained == "203.0.113.9")
            let garbage = try await Self.recordedOrigin(server, forwardedFor: "not an address")
            #expect(garbage == "127.0.0.1")
        }
        let refused = try await runWaveline(["serve", "--data", bench.data, "--inventory", bench.inventory, "--trusted-proxy", "10.0.0.0/99"])
        #expect(refused.exitCode != 0 && refused.stderr.contains("--trusted-proxy '10.0.0.0/99'"), "\(refused)")
    }

    @Test func plainHTTPOnAnotherAddressSaysBrowserSignInNeedsHTTPS() async throws {
        let bench = try Self.bench()
        defer { bench.remove() }
        let run = try await runWaveline(["serve", "--host", "0.0.0.0", "--port", "0", "--data", bench.data, "--inventory", bench.inventory,
                                         "--catalog", bench.catalog, "--password-hash-cost", "4"], timeout: .seconds(5),
                                        environment: ["WAVELINE_INITIAL_ADMIN_PASSWORD": Workbench.adminPassword])
        #expect(run.stdout.contains("listening on http://0.0.0.0:") && run.stdout.contains("browser sign-in needs HTTPS"), "\(run)")
    }
}
