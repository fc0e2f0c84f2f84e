import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
import WavelineAPI
import WavelineCore
import WavelineServer
import WavelineTesting

/// What the pages say agrees with the state under them: a halted, paused or stopped deployment's phase is not
/// "running"; approving a deployment says so, approving a gate says that; a counted noun takes its number's form;
/// no command-line hint stands next to a button that does the same; and every symbol is one common fonts have.
@Suite struct PageWordsTests {
    /// Fails on a node whose folder has a `bad` file.
    static let checked = """
        name: checked
        steps:
          - {name: check, shell: 'if [ -f bad ]; then echo "bad here" >&2; exit 3; fi; echo fine'}
        """

    static let gated = """
        name: gated
        phases:
          - {name: canary, size: 1, gate: manual}
          - {name: rest, size: rest, batch_size: 100%, parallelism: 10}
        """

    /// The state word of each phase on a deployment page, in order.
    static func phaseStates(_ html: String) -> [String] {
        html.components(separatedBy: "<span class=\"phase-status\">").dropFirst().compactMap { $0.components(separatedBy: "</span>").first }
    }

    @Test func aHaltedDeploymentsPhaseSaysHaltedAndOnceAbortedStopped() async throws {
        let bench = try Workbench(inventory: oneZoneInventory(nodes: 2), operations: ["checked": Self.checked],
                                  strategies: ["strict": singlePhaseStrategy("strict", parallelism: 1)])
        defer { bench.remove() }
        try bench.release("bad", on: ["n1"])
        try await bench.withInProcessServer { server in
            let id = try await server.deploy("checked", nodes: ["n1", "n2"], strategy: "strict").deployment.id
            let halted = try await server.waitFor(id, "the failure budget to halt it") { $0.deployment.status == .halted }
            #expect(halted.phases.first?.status == .running, "the stored phase status is unchanged; only the word shown is")
            let page = try await server.request(.get, "/deployments/\(id)").text
            #expect(Self.phaseStates(page) == ["halted"], "\(Self.phaseStates(page))")
            #expect(Self.uncommonGlyphs(page).isEmpty, "\(Self.uncommonGlyphs(page))")

            _ = try await server.post("/api/v1/deployments/\(id)/actions/abort", ActionBody(reason: "enough"), as: DeploymentDetail.self)
            #expect(try await server.waitUntilFinal(id).deployment.status == .cancelled)
            let stopped = try await server.request(.get, "/deployments/\(id)").text
            #expect(Self.phaseStates(stopped) == ["stopped"], "\(Self.phaseStates(stopped))")
            #expect(Self.uncommonGlyphs(stopped).isEmpty, "\(Self.uncommonGlyphs(stopped))")
        }
    }

    @Test func aPausedDeploymentsPhaseSaysPaused() async throws {
        let bench = try Workbench(inventory: oneZoneInventory(nodes: 2), operations: ["gated": Operations.gated])
        defer { bench.remove() }
        try await bench.withInProcessServer { server in
            let id = try await server.deploy("gated", nodes: ["n1", "n2"], strategy: "one-by-one").deployment.id
            try await server.waitFor(id, "n1 to run") { $0.target("n1")?.status == .running }
            let running = try await server.request(.get, "/deployments/\(id)").text
            #expect(Self.phaseStates(running).contains("running"), "\(Self.phaseStates(running))")
            _ = try await server.post("/api/v1/deployments/\(id)/actions/pause", ActionBody(reason: "look first"), as: DeploymentDetail.self)
            try bench.release(on: ["n1", "n2"])
            try await server.waitFor(id, "the pause to take hold") { $0.deployment.status == .paused && $0.target("n1")?.status == .succeeded }
            let paused = try await server.request(.get, "/deployments/\(id)").text
            #expect(!Self.phaseStates(paused).contains("running"), "\(Self.phaseStates(paused))")
            #expect(Self.phaseStates(paused).contains("paused"), "\(Self.phaseStates(paused))")
            #expect(paused.contains("state-paused"), "the paused badge")
            #expect(Self.uncommonGlyphs(paused).isEmpty, "\(Self.uncommonGlyphs(paused))")
            _ = try await server.post("/api/v1/deployments/\(id)/actions/abort", ActionBody(reason: "done looking"), as: DeploymentDetail.self)
            _ = try await server.waitUntilFinal(id)
        }
    }

    /// The message the server leaves for the next page after a form's action.
    static func flash(_ response: TestResponse) -> String? {
        let name = "waveline_flash="
        guard let cookie = response.headers[values: .setCookie].first(where: { $0.hasPrefix(name) }) else { return nil }
        let value = cookie.dropFirst(name.count).prefix { $0 != ";" }
        return String(value).removingPercentEncoding
    }

    static func approve(_ id: Int64, on server: InProcessServer) async throws -> TestResponse {
        try await server.request(.post, "/deployments/\(id)/actions/approve", body: Data("return=%2Fdeployments%2F\(id)".utf8),
                                 headers: [.contentType: "application/x-www-form-urlencoded"])
    }

    @Test func approvingADeploymentSaysTheDeploymentAndItsPageOffersTheButtonWithoutACommand() async throws {
        let bench = try Workbench(inventory: localInventory(nodes: 1, environment: "prod"), operations: ["quick": Operations.quick])
        defer { bench.remove() }
        try await bench.withInProcessServer { server in
            let dora = try await server.as("dora", [GrantBody(role: .deployer)])
            let id = try await dora.deploy("quick", nodes: ["n1"]).deployment.id
            #expect(try await server.detail(id).deployment.status == .pendingApproval)

            let page = try await server.request(.get, "/deployments/\(id)").text
            #expect(page.contains("id=\"approve\""), "the admin, not the requester, has the Approve button")
            #expect(!page.contains("waveline approve"), "a command-line hint beside the button that does the same")
            #expect(page.contains("the protected environment prod "), "one environment, in the singular")
            #expect(Self.uncommonGlyphs(page).isEmpty, "\(Self.uncommonGlyphs(page))")

            let response = try await Self.approve(id, on: server)
            #expect(response.status == .seeOther)
            #expect(Self.flash(response) == "Approved the deployment #\(id), as admin.")
            _ = try await server.waitUntilFinal(id)
        }
    }

    @Test func approvingAGateSaysTheGate() async throws {
        let bench = try Workbench(inventory: oneZoneInventory(nodes: 2), operations: ["quick": Operations.quick], strategies: ["gated": Self.gated])
        defer { bench.remove() }
        try await bench.withInProcessServer { server in
            let id = try await server.deploy("quick", nodes: ["n1", "n2"], strategy: "gated").deployment.id
            try await server.waitFor(id, "the gate") { $0.phases.first?.status == .gate }
            let response = try await Self.approve(id, on: server)
            #expect(response.status == .seeOther)
            #expect(Self.flash(response) == "Approved the gate on deployment #\(id), as admin.")
            #expect(try await server.waitUntilFinal(id).deployment.status == .succeeded)
        }
    }

    /// Symbols in DejaVu Sans (Linux), Segoe UI Symbol (Windows) and Apple Symbols alike: punctuation, arrows,
    /// math operators and geometric shapes. No emoji (✋, ⏸ and ⏵ show as empty boxes without an emoji font).
    static let commonGlyphs: Set<Character> = ["·", "—", "–", "…", "◇", "‖", "○", "◐", "✓", "✗", "↷", "↶", "⊘", "⚠", "▶", "■"]

    static func uncommonGlyphs(_ html: String) -> [Character] {
        Set(html.filter { !$0.isASCII && !commonGlyphs.contains($0) }).sorted()
    }

    @Test(arguments: PageSnapshotTests.pages.map(\.name))
    func aPageCountsInWordsAndUsesOnlyCommonGlyphs(_ name: String) async throws {
        let path = try #require(PageSnapshotTests.pages.first { $0.name == name }?.path)
        let bench = try SnapshotInstallation.workbench()
        defer { bench.remove() }
        try await SnapshotInstallation.seed(bench)
        let html = try await bench.withInProcessServer(configure: { $0.time = ManualTime(SnapshotInstallation.now) }) { server in
            var browser = server.anonymous
            browser.cookie = SnapshotInstallation.cookie
            return try await browser.request(.get, path).text
        }
        #expect(!html.contains("(s)") && !html.contains("(es)"), "a count with a '(s)' noun on \(path)")
        #expect(Self.uncommonGlyphs(html).isEmpty, "\(path) uses symbols common fonts may lack: \(Self.uncommonGlyphs(html))")
    }
}
