import Foundation
import NIOHTTP1
import Testing
import WavelineAPI
import WavelineCore
@testable import WavelineServer
import WavelineTesting

/// What a browser is told to enforce, and where it is sent: after signing in only to a path on this server,
/// and every answer with a Content-Security-Policy that allows no inline script or style.
@Suite(.serialized) struct WebSecurityTests {
    /// Values an attacker puts in `next` (or a form's `return`) to send a signed-in person elsewhere. Each is
    /// the value as the server reads it (after the one percent-decoding of the query or form).
    static let hostileReturns = [
        "//evil.example", "///evil.example", "/\\evil.example", "\\\\evil.example", "/\t/evil.example", "/\n/evil.example",
        "/\r\n/evil.example", " //evil.example", "/%09/evil.example", "/%0a/evil.example", "/%0d%0a/evil.example",
        "/%2F/evil.example", "/%2f%2fevil.example", "%2F%2Fevil.example", "/%5Cevil.example", "/%5cevil.example",
        "/%252F%252Fevil.example", "/%25252F%25252Fevil.example", "https://evil.example/", "https:evil.example", "http:/evil.example",
        "HTTPS://evil.example", "javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,<script>alert(1)</script>",
        "evil.example", "@evil.example", "/\u{0}/evil.example", "/\u{FF0F}evil.example", "/ /evil.example", "",
    ]

    static let localReturns = ["/", "/deployments/3", "/deployments/3?x=1", "/audit?actor=admin&kind=user.created", "/inventory/nodes/n1"]

    @Test func returnsToAnotherSiteAreRefusedWhateverTheirEncoding() {
        for value in Self.hostileReturns {
            #expect(WebResponse.safeReturn(value) == "/", "followed \(value.debugDescription)")
        }
        for value in Self.localReturns {
            #expect(WebResponse.safeReturn(value) == value, "refused \(value.debugDescription)")
        }
    }

    @Test func afterSignInOnlyAPathOnThisServerIsFollowed() async throws {
        let bench = try Workbench(inventory: oneZoneInventory(nodes: 1), operations: [:])
        defer { bench.remove() }
        try await bench.withServer { server in
            var signedIn = WebPageTests.Browser(base: server.url)
            try await signedIn.signIn()
            for value in Self.hostileReturns + Self.localReturns {
                let expected = Self.localReturns.contains(value) ? value : "/"
                // Signing in with the hostile value in the form.
                var browser = WebPageTests.Browser(base: server.url)
                let posted = try await browser.send("POST", "/login", form: [("user", "admin"), ("password", Workbench.adminPassword), ("next", value)])
                #expect(posted.status == 303 && posted.headers["Location"] == [expected], "POST /login next=\(value.debugDescription): \(posted.headers)")
                // Already signed in, the sign-in page sends one on at once.
                let page = try await signedIn.send("GET", "/login?next=" + urlComponent(value))
                #expect(page.status == 303 && page.headers["Location"] == [expected], "GET /login?next=\(value.debugDescription): \(page.headers)")
                // And a form's way back after an action.
                let acted = try await signedIn.send("POST", "/deployments/1/actions/pause", form: [("return", value)])
                #expect(acted.status == 303 && acted.headers["Location"] == [expected], "return=\(value.debugDescription): \(acted.headers)")
            }
            // The page a signed-out person gets carries only the safe value onward.
            var anonymous = WebPageTests.Browser(base: server.url)
            let form = try await anonymous.send("GET", "/login?next=" + urlComponent("/%09/evil.example"))
            #expect(form.status == 200 && !form.body.contains("evil.example"), "\(form.body)")
        }
    }

    @Test func everyAnswerCarriesTheSecurityHeadersAndPagesHaveNoInlineScriptOrStyle() async throws {
        let quick = "name: quick\nsteps:\n  - {name: work, shell: 'echo done'}\n"
        let bench = try Workbench(inventory: oneZoneInventory(nodes: 2), operations: ["quick": quick])
        defer { bench.remove() }
        try await bench.withServer { server in
            let id = try await server.deploy("quick", selection: Selection(nodes: ["n1", "n2"])).deployment.id
            _ = try await server.waitUntilFinal(id)
            var anonymous = WebPageTests.Browser(base: server.url)
            var browser = WebPageTests.Browser(base: server.url)
            try await browser.signIn()
            var answers: [(String, HTTPHeaders, String)] = []
            let login = try await anonymous.send("GET", "/login")
            answers.append(("/login", login.headers, login.body))
            for path in ["/", "/deployments/\(id)", "/deployments/\(id)/nodes/n1", "/inventory", "/inventory/nodes/n1", "/audit",
                         "/deployments/999", "/ui/assets/waveline.js", "/ui/assets/waveline.css", "/ui/assets/nothing",
                         "/api/v1/deployments", "/api/v1/nothing", "/api/v1/openapi.yaml"] {
                let answer = try await browser.send("GET", path)
                answers.append((path, answer.headers, answer.body))
            }
            let unauthenticated = try await anonymous.send("GET", "/api/v1/deployments")
            answers.append(("/api/v1/deployments without credentials", unauthenticated.headers, unauthenticated.body))
            for (path, headers, body) in answers {
                let policy = headers["Content-Security-Policy"].first ?? ""
                #expect(policy.contains("frame-ancestors 'none'") && policy.contains("script-src 'self'") && policy.contains("style-src 'self'"), "\(path): \(policy)")
                #expect(!policy.contains("unsafe-inline") && !policy.contains("unsafe-eval"), "\(path): \(policy)")
                #expect(headers["X-Content-Type-Options"] == ["nosniff"], "\(path)")
                #expect(headers["Referrer-Policy"].first?.isEmpty == false, "\(path)")
                #expect(headers["X-Frame-Options"] == ["DENY"], "\(path)")
                guard headers["Content-Type"].first?.hasPrefix("text/html") == true else { continue }
                // What the policy would block must not be needed: no inline script, handler or style.
                #expect(body.range(of: #"<script(?![^>]*\bsrc=)[^>]*>"#, options: .regularExpression) == nil, "\(path) has an inline script")
                #expect(body.range(of: #"\son[a-z]+\s*="#, options: [.regularExpression, .caseInsensitive]) == nil, "\(path) has an inline handler")
                #expect(body.range(of: #"\sstyle\s*="#, options: [.regularExpression, .caseInsensitive]) == nil, "\(path) has a style attribute")
                #expect(!body.contains("<style"), "\(path) has an inline style sheet")
            }
            // The bars keep their proportions through classes from the style sheet.
            let summary = try await browser.send("GET", "/deployments/\(id)")
            #expect(summary.body.contains("seg seg-done w100"), "\(summary.body.prefix(3000))")
        }
    }

    @Test func barWidthsAreWholePercentsSummingToAHundred() {
        #expect(Components.wholePercents([1, 1, 1, 0]) == [34, 33, 33, 0])
        #expect(Components.wholePercents([0, 0, 0, 0]) == [0, 0, 0, 0])
        #expect(Components.wholePercents([999, 0, 1, 0]) == [99, 0, 1, 0])
        for _ in 0..<500 {
            let values = (0..<4).map { _ in Int.random(in: 0...50) == 0 ? 0 : Int.random(in: 0...2000) }
            let percents = Components.wholePercents(values)
            if values.allSatisfy({ $0 == 0 }) { continue }
            #expect(percents.reduce(0, +) == 100, "\(values) → \(percents)")
            #expect(zip(values, percents).allSatisfy { ($0 == 0) == ($1 == 0) }, "\(values) → \(percents)")
        }
    }
}
