import AsyncHTTPClient
import Foundation
import NIOCore
import Logging
import NIOHTTP1
import NIOPosix
import SQLiteKit
import SQLKit
import Testing
import WavelineAPI
import WavelineCore
import WavelineStore
@testable import WavelineServer
import WavelineTesting

/// The one escaping helper, and the typed rendering built on it.
struct HTMLEscapingTests {
    @Test func escapesEveryCharacterThatCouldEndTextOrAnAttribute() {
        #expect(HTML.escape(#"<script>alert("x")</script> & 'y'"#) == "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;")
        #expect(HTML.escape("kafka-prod-5 ▶ ✓") == "kafka-prod-5 ▶ ✓")
        #expect(HTML.escape("") == "")
    }

    @Test func interpolatedValuesAreEscapedOnceAndMarkupIsKept() {
        let hostile = #""><img src=x onerror=alert(1)>"#
        let inner: HTML = "<b>\(hostile)</b>"
        let outer: HTML = "<p title=\"\(hostile)\">\(inner)</p>"
        #expect(outer.description == #"<p title="&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"><b>&quot;&gt;&lt;img src=x onerror=alert(1)&gt;</b></p>"#)
        let optional: String? = nil
        #expect(("<i>\(optional)</i>" as HTML).description == "<i></i>")
    }

    @Test func aLogLineWithMarkupIsShownAsText() {
        let line = LogLineView(id: 7, node: "<n>", seq: 1, time: 0, stream: "stderr", step: "s", text: "<script>alert('log')</script>")
        let html = NodeLogPage.line(line, start: 0).description
        #expect(!html.contains("<script>"))
        #expect(html.contains("&lt;script&gt;alert(&#39;log&#39;)&lt;/script&gt;"))
        #expect(html.contains("class=\"line stream-stderr\""))
    }

    @Test func nodeNamesAreEscapedInTheGridAndLinks() throws {
        let json = #"{"deployment_id":1,"target_index":0,"node":"n<img src=x onerror=alert(1)>","cluster":"c<b>","zone":"z\"","environment":"test","product":"app","node_json":"{}","kind":"deploy","phase_index":0,"batch_index":0,"status":"running","attempt":1,"current_step":"<script>step</script>"}"#
        let record = try JSONDecoder().decode(TargetRecord.self, from: Data(json.utf8))
        let page = DeploymentPage(
            detail: DeploymentDetail(
                deployment: DeploymentSummary(try JSONDecoder().decode(DeploymentRecord.self, from: Data(Self.deploymentJSON.utf8))),
                phases: [], targets: [TargetView(record)], failures: [], counts: StatusCounts()
            ),
            hasRollbackSteps: false, events: [], now: 0
        )
        let html = page.render(viewer: Viewer(identity: Identity(name: "<u>me</u>", grants: [Grant(role: .admin)], credential: .token(id: "t", name: "t")))).description
        for raw in ["<img src=x", "<script>step", "<b>", "<u>me"] { #expect(!html.contains(raw), "unescaped \(raw)") }
        #expect(html.contains("href=\"/deployments/1/nodes/n%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E\""))
        #expect(html.contains("&lt;script&gt;step&lt;/script&gt;"))
        #expect(html.contains("<h4>z&quot;</h4>"))
    }

    static let deploymentJSON = #"{"id":1,"operation":"op<script>","operation_json":"{}","strategy":"s","parameters_json":"{\"v\":\"<x>\"}","selection_json":"{}","environments":"test","products":"app","requested_by":"<u>r</u>","reason":"<script>r</script>","ticket":null,"status":"running","status_reason":null,"current_phase":0,"failure_budget":0,"target_count":1,"created_at":0,"started_at":0,"finished_at":null,"updated_at":0}"#

    @Test func redirectsAfterAFormStayOnThisSite() {
        #expect(WebResponse.safeReturn("/deployments/3?x=1") == "/deployments/3?x=1")
        #expect(WebResponse.safeReturn("//evil.example/") == "/")
        #expect(WebResponse.safeReturn("https://evil.example/") == "/")
        #expect(WebResponse.safeReturn("/\\evil.example") == "/")
    }

    @Test func urlComponentsAreEncoded() {
        #expect(urlComponent("a b/<c>") == "a%20b%2F%3Cc%3E")
        #expect(queryString([("node", "n 1"), ("q", nil), ("after", "5")]) == "?node=n%201&after=5")
    }
}

/// The pages against a real server process, on a real store, with hostile names and text everywhere they can
/// come from: the inventory (a node name), a request (reason, ticket, requester) and a node's output.
@Suite(.serialized) struct WebPageTests {
    /// Inventory names are validated (lowercase letters, digits, `.`, `_`, `-`), so a hostile node name is
    /// checked by rendering (`nodeNamesAreEscapedInTheGridAndLinks`); here the failing node is plain.
    static let failingNode = "n3"
    static let hostileReason = #"<script>alert('reason')</script>"#
    static let hostileTicket = #"T-1"><svg onload=alert(1)>"#

    static var inventory: String {
        """
        environments:
          - {name: test}
        products:
          - {name: app, owner: team}
        clusters:
          - name: web-test
            product: app
            environment: test
            zones: [a]
            nodes:
              - {name: n1, zone: a}
              - {name: n2, zone: a}
              - {name: n3, zone: a}
        """
    }

    /// Fails on a node with a `bad` file, after printing markup to both streams.
    static let fragile = """
        name: fragile
        parameters:
          - {name: version, type: string, required: true}
        steps:
          - {name: prepare, shell: 'echo "<script>alert(\\"out\\")</script>"; echo prepared'}
          - {name: check, shell: 'if [ -f bad ]; then echo "<b>disk full</b> on $WAVELINE_NODE" >&2; exit 3; fi'}
        """

    static let gated = """
        name: gated
        failure_budget: 5
        phases:
          - {name: canary, size: 1, gate: manual}
          - {name: rest, size: rest}
        """

    /// Requests without following redirects, so the flash cookie and `Location` can be checked.
    /// A browser without a script engine: cookies, the `Origin` header on posts, and the CSRF token the last
    /// page carried, which it puts in every form it posts (unless `csrf:` says otherwise).
    struct Browser {
        let base: String
        var cookies: [String: String] = [:]
        var csrf: String?
        var setCookieHeaders: [String] = []

        /// Signs in through the form, as a person would.
        @discardableResult
        mutating func signIn(_ user: String = "admin", password: String = Workbench.adminPassword) async throws -> (status: Int, headers: HTTPHeaders, body: String) {
            let answer = try await send("POST", "/login", form: [("user", user), ("password", password), ("next", "/")])
            _ = try await send("GET", "/")
            return answer
        }

        mutating func send(
            _ method: String, _ path: String, form: [(String, String)]? = nil, fragment: Bool = false, csrf override: String? = nil,
            origin: String? = nil
        ) async throws -> (status: Int, headers: HTTPHeaders, body: String) {
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
            defer { _ = client.shutdown() }
            var request = HTTPClientRequest(url: base + path)
            request.method = HTTPMethod(rawValue: method)
            if !cookies.isEmpty { request.headers.add(name: "Cookie", value: cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")) }
            if fragment { request.headers.add(name: "X-Waveline-Fragment", value: "1") }
            if var form {
                request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
                request.headers.add(name: "Origin", value: origin ?? base)
                if let token = override ?? csrf, path != "/login" { form.append(("csrf", token)) }
                let body = form.map { "\(urlComponent($0.0))=\(urlComponent($0.1))" }.joined(separator: "&")
                request.body = .bytes(ByteBuffer(string: body))
            }
            let response = try await client.execute(request, timeout: .seconds(30))
            let bytes = try await response.body.collect(upTo: 16 << 20)
            setCookieHeaders = response.headers["Set-Cookie"]
            for header in setCookieHeaders {
                let pair = header.split(separator: ";")[0].split(separator: "=", maxSplits: 1)
                let value = pair.count > 1 ? String(pair[1]) : ""
                if value.isEmpty || header.contains("Max-Age=0") { cookies[String(pair[0])] = nil } else { cookies[String(pair[0])] = value }
            }
            try await client.shutdown()
            let text = String(buffer: bytes)
            if let range = text.range(of: "name=\"csrf\" value=\""), let end = text[range.upperBound...].firstIndex(of: "\"") {
                csrf = String(text[range.upperBound..<end])
            }
            return (Int(response.status.code), response.headers, text)
        }
    }

    static func expectNoInjectedMarkup(_ body: String, _ page: String) {
        for raw in ["<script>alert", "<img src=x", "<svg onload", "<b>disk full"] {
            #expect(!body.contains(raw), "\(page) contains unescaped '\(raw)'")
        }
    }

    @Test func everyPageEscapesHostileValuesAndShowsTheFailurePoint() async throws {
        let bench = try Workbench(inventory: Self.inventory, operations: ["fragile": Self.fragile])
        defer { bench.remove() }
        try bench.write(Self.failingNode, "bad", "")
        try await bench.withServer { server in
            let created: DeploymentDetail = try await server.post("/api/v1/deployments", json: CreateDeploymentBody(
                operation: "fragile", selection: Selection(clusters: ["web-test"]), parameters: ["version": "1.2.3"],
                strategy: "all-at-once", reason: Self.hostileReason, ticket: Self.hostileTicket, queue: false
            ))
            let id = created.deployment.id
            _ = try await server.waitUntilFinal(id)
            var browser = Browser(base: server.url)
            try await browser.signIn()

            let summary = try await browser.send("GET", "/")
            #expect(summary.status == 200)
            #expect(summary.headers["Content-Type"].first?.hasPrefix("text/html") == true)
            Self.expectNoInjectedMarkup(summary.body, "the summary")
            #expect(summary.body.contains("&lt;script&gt;alert(&#39;reason&#39;)&lt;/script&gt;"))
            #expect(summary.body.contains("T-1&quot;&gt;&lt;svg onload=alert(1)&gt;"))
            // The failure point: node, step, exit code, last line.
            #expect(summary.body.contains("<strong>n3</strong>"))
            #expect(summary.body.contains("<strong>check</strong>"))
            #expect(summary.body.contains("exit code <strong>3</strong>"))
            #expect(summary.body.contains("&lt;b&gt;disk full&lt;/b&gt; on n3"))

            let page = try await browser.send("GET", "/deployments/\(id)")
            #expect(page.status == 200)
            Self.expectNoInjectedMarkup(page.body, "the deployment page")
            #expect(page.body.contains("<li class=\"node state-failed\" data-node=\"n3\" data-status=\"failed\">"))
            #expect(page.body.contains("<span class=\"step\">check (exit 3)</span>"))

            let log = try await browser.send("GET", "/deployments/\(id)/nodes/\(Self.failingNode)")
            #expect(log.status == 200)
            Self.expectNoInjectedMarkup(log.body, "the node log")
            #expect(log.body.contains("&lt;script&gt;alert(&quot;out&quot;)&lt;/script&gt;"))
            #expect(log.body.contains("class=\"line stream-system boundary\""))
            #expect(log.body.contains("<span class=\"tag tag-err\">err</span>"))
            #expect(!log.body.contains("data-stream="), "a finished deployment's log is complete: nothing to follow")

            // Server-side search, for browsers without the script.
            let searched = try await browser.send("GET", "/deployments/\(id)/nodes/\(Self.failingNode)?q=DISK")
            #expect(searched.body.contains("1 matching lines"))
            #expect(!searched.body.contains("prepared</span>"))

            let missing = try await browser.send("GET", "/deployments/\(id)/nodes/nope")
            #expect(missing.status == 404)
            #expect(missing.body.contains("node &#39;nope&#39; is not part of deployment #\(id)"))
            #expect(try await browser.send("GET", "/deployments/999").status == 404)

            // The live region alone, for the script.
            let fragment = try await browser.send("GET", "/?state=finished_with_failures", fragment: true)
            #expect(!fragment.body.contains("<html"))
            #expect(fragment.body.contains("id=\"deployment-\(id)\""))
        }
    }

    @Test func filtersNarrowTheSummary() async throws {
        let bench = try Workbench(inventory: Self.inventory, operations: ["fragile": Self.fragile])
        defer { bench.remove() }
        try await bench.withServer { server in
            let first = try await server.deploy("fragile", selection: Selection(nodes: ["n1"]), parameters: ["version": "1.0.0"]).deployment.id
            _ = try await server.waitUntilFinal(first)
            let second: DeploymentDetail = try await server.as("alice").post("/api/v1/deployments", json: CreateDeploymentBody(
                operation: "fragile", selection: Selection(nodes: ["n2"]), parameters: ["version": "1.0.1"],
                strategy: "all-at-once", reason: "second", ticket: nil, queue: false
            ))
            _ = try await server.waitUntilFinal(second.deployment.id)
            var browser = Browser(base: server.url)
            try await browser.signIn()
            let byPerson = try await browser.send("GET", "/?person=alice")
            #expect(byPerson.body.contains("id=\"deployment-\(second.deployment.id)\""))
            #expect(!byPerson.body.contains("id=\"deployment-\(first)\""))
            #expect(byPerson.body.contains("value=\"alice\""))
            let running = try await browser.send("GET", "/?state=running&environment=test&product=app")
            #expect(running.body.contains("No deployment in progress matches these filters"))
            #expect(running.body.contains("<option value=\"running\" selected>"))
            let unknown = try await browser.send("GET", "/?state=%3Cbogus%3E")
            #expect(unknown.body.contains("Unknown state &#39;&lt;bogus&gt;&#39;"))
        }
    }

    /// The summary's live region is rendered once per store change: a page read right after a change (as the
    /// script does when told of one) shows it, however recently the region was rendered before.
    @Test func theSummaryShowsAChangeAsSoonAsItIsStored() async throws {
        let bench = try Workbench(inventory: Self.inventory, operations: ["fragile": Self.fragile])
        defer { bench.remove() }
        try await bench.withServer { server in
            var browser = Browser(base: server.url)
            try await browser.signIn()
            let before = try await browser.send("GET", "/")
            #expect(before.body.contains("No deployment in progress."))
            #expect(try await browser.send("GET", "/", fragment: true).body == (try await browser.send("GET", "/", fragment: true)).body)
            let id = try await server.deploy("fragile", selection: Selection(nodes: ["n1"]), parameters: ["version": "1.0.0"]).deployment.id
            let final = try await server.waitUntilFinal(id)
            let after = try await browser.send("GET", "/")
            #expect(after.body.contains("id=\"deployment-\(id)\" data-status=\"\(final.deployment.status.rawValue)\""))
            let fragment = try await browser.send("GET", "/", fragment: true)
            #expect(fragment.body.contains("id=\"deployment-\(id)\" data-status=\"\(final.deployment.status.rawValue)\""))
        }
    }

    @Test func approvingAGateFromThePageRecordsTheSignedInPersonAndTheRunGoesOn() async throws {
        let bench = try Workbench(inventory: Self.inventory, operations: ["fragile": Self.fragile], strategies: ["gated": Self.gated])
        defer { bench.remove() }
        try await bench.withServer { server in
            let id = try await server.deploy("fragile", selection: Selection(nodes: ["n1", "n2"]), parameters: ["version": "2.0.0"], strategy: "gated").deployment.id
            try await server.waitFor(id, "the manual gate") { $0.phases.first?.status == .gate }
            let password = "ana's long password"
            let (status, _) = try await server.request("POST", "/api/v1/users", body: try JSONEncoder().encode(
                CreateUserBody(name: "ana", password: password, grants: [GrantBody(role: .approver)])))
            #expect(status == 201)
            var browser = Browser(base: server.url)
            // Signed out: sent to sign in, then back.
            let away = try await browser.send("GET", "/deployments/\(id)")
            #expect(away.status == 303 && away.headers["Location"].first == "/login?next=%2Fdeployments%2F\(id)")
            let signedIn = try await browser.send("POST", "/login", form: [("user", "ana"), ("password", password), ("next", "/deployments/\(id)")])
            #expect(signedIn.status == 303 && signedIn.headers["Location"].first == "/deployments/\(id)")

            let page = try await browser.send("GET", "/deployments/\(id)")
            #expect(page.body.contains("Waiting for approval"))
            #expect(page.body.contains("action=\"/deployments/\(id)/actions/approve\""))
            #expect(page.body.contains("Signed in as <strong id=\"signed-in-user\">ana</strong>"))
            #expect(!page.body.contains("action=\"/deployments/\(id)/actions/resume\""), "resume is offered only when paused or halted")

            let approved = try await browser.send("POST", "/deployments/\(id)/actions/approve", form: [("return", "/deployments/\(id)")])
            #expect(approved.status == 303)
            let final = try await server.waitUntilFinal(id)
            #expect(final.deployment.status == .succeeded)
            #expect(final.phases.first?.approvedBy == "ana")
            let after = try await browser.send("GET", "/deployments/\(id)")
            #expect(after.body.contains("Approved the gate on deployment #\(id), as ana."))
            #expect(!after.body.contains("Waiting for approval"))

            // Refused: shown on the page, not as an error document.
            let refused = try await browser.send("POST", "/deployments/\(id)/actions/pause", form: [("return", "/deployments/\(id)")])
            #expect(refused.status == 303)
            let message = try await browser.send("GET", "/deployments/\(id)")
            #expect(message.body.contains("role=\"alert\""))
            #expect(message.body.contains("cannot pause deployment #\(id)"))

            // Never redirected off the site.
            let offsite = try await browser.send("POST", "/deployments/\(id)/actions/pause", form: [("return", "//evil.example/")])
            #expect(offsite.headers["Location"].first == "/")
        }
    }

    @Test func theEventStreamAnnouncesAChangeAndTheAssetsAreServed() async throws {
        let bench = try Workbench(inventory: Self.inventory, operations: ["fragile": Self.fragile])
        defer { bench.remove() }
        try await bench.withServer { server in
            var browser = Browser(base: server.url)
            try await browser.signIn()
            let script = try await browser.send("GET", "/ui/assets/waveline.js")
            #expect(script.headers["Content-Type"].first?.hasPrefix("text/javascript") == true)
            #expect(script.body.contains("EventSource"))
            #expect(try await browser.send("GET", "/ui/assets/waveline.css").body.contains(":focus-visible"))
            #expect(try await browser.send("GET", "/ui/assets/nope.js").status == 404)

            let client = HTTPClient(eventLoopGroupProvider: .singleton)
            var events = HTTPClientRequest(url: server.url + "/ui/events")
            events.headers.add(name: "Cookie", value: browser.cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; "))
            let response = try await client.execute(events, timeout: .seconds(30))
            #expect(response.headers["Content-Type"].first == "text/event-stream")
            var received = ""
            var body = response.body.makeAsyncIterator()
            received += String(buffer: try await body.next() ?? ByteBuffer())
            let id = try await server.deploy("fragile", selection: Selection(nodes: ["n1"]), parameters: ["version": "1.0.0"]).deployment.id
            while !received.contains("event: change") {
                guard let chunk = try await body.next() else { break }
                received += String(buffer: chunk)
            }
            #expect(received.contains("event: change\nid: 1\ndata: {\"deployment\":\(id)}"))
            try await client.shutdown()
        }
    }

    @Test func aViewerSeesNoActionsAndIsRefusedAndTheAuditPageFiltersAndVerifies() async throws {
        let bench = try Workbench(inventory: Self.inventory, operations: ["fragile": Self.fragile], strategies: ["gated": Self.gated])
        defer { bench.remove() }
        try await bench.withServer { server in
            let id = try await server.deploy("fragile", selection: Selection(nodes: ["n1", "n2"]), parameters: ["version": "2.0.0"], strategy: "gated").deployment.id
            try await server.waitFor(id, "the manual gate") { $0.phases.first?.status == .gate }
            _ = try await server.request("POST", "/api/v1/users", body: try JSONEncoder().encode(
                CreateUserBody(name: "vic", password: "vic's long password", grants: [GrantBody(role: .viewer, environments: ["test"])])))
            var viewer = Browser(base: server.url)
            try await viewer.signIn("vic", password: "vic's long password")
            let page = try await viewer.send("GET", "/deployments/\(id)")
            #expect(page.status == 200 && page.body.contains("Waiting for approval"))
            #expect(!page.body.contains("/actions/"), "a viewer is offered no action")
            #expect(page.body.contains("Approving needs the approver role here."))
            // A hand-made post is refused by the server all the same, naming the permission.
            _ = try await viewer.send("POST", "/deployments/\(id)/actions/approve", form: [("return", "/deployments/\(id)")])
            let refused = try await viewer.send("GET", "/deployments/\(id)")
            #expect(refused.body.contains("vic may not approve-gate in test/app: needs approver"), "\(refused.body.prefix(3000))")
            #expect(try await server.detail(id).phases.first?.status == .gate)
            // The audit trail needs viewer on everything; vic's grant is for test only.
            let audit = try await viewer.send("GET", "/audit")
            #expect(audit.status == 403 && audit.body.contains("vic may not read-audit"))
            #expect(!page.body.contains("href=\"/audit\""))

            var admin = Browser(base: server.url)
            try await admin.signIn()
            let all = try await admin.send("GET", "/audit")
            #expect(all.status == 200 && all.body.contains("deployment.created") && all.body.contains("auth.signed_in"))
            let signIns = try await admin.send("GET", "/audit?kind=auth.&actor=vic")
            #expect(signIns.body.contains("auth.signed_in") && !signIns.body.contains("deployment.created"))
            let forDeployment = try await admin.send("GET", "/audit?deployment=%23\(id)")
            #expect(forDeployment.body.contains("deployment.created") && !forDeployment.body.contains("auth.signed_in"))
            let verified = try await admin.send("GET", "/audit?verify=1")
            #expect(verified.body.contains("The hash chain is intact"), "\(verified.body.prefix(3000))")
            // An entry edited behind Waveline's back is named on the page.
            let connection = try await SQLiteConnection.open(
                storage: .file(path: bench.data + "/waveline.sqlite"), threadPool: NIOThreadPool.singleton,
                logger: Logger(label: "tamper"), on: MultiThreadedEventLoopGroup.singleton.any()
            )
            try await connection.sql().raw("UPDATE events SET actor = 'mallory' WHERE id = 2").run()
            try await connection.close()
            let tampered = try await admin.send("GET", "/audit?verify=1")
            #expect(tampered.body.contains("The audit trail was altered") && tampered.body.contains("#2 edited"), "\(tampered.body.prefix(3000))")
        }
    }
}
