import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
import WavelineAPI
import WavelineCore
import WavelineServer
import WavelineTesting

/// Abort and Roll back from a page's plain form (no script): the first submit answers with a confirmation page and
/// changes nothing; only the confirmed submit, with the session's CSRF token, acts, through the same action path
/// as the API, recorded under the signed-in person.
@Suite struct ActionConfirmationTests {
    static let undoable = """
        name: undoable
        steps:
          - {name: install, shell: 'echo install >> journal'}
        rollback:
          - {name: restore, shell: 'echo restore >> journal'}
        """

    @Test func anAbortFromAPlainFormAsksOnAPageAndActsOnlyOnceConfirmed() async throws {
        let bench = try Workbench(inventory: oneZoneInventory(nodes: 1), operations: ["gated": Operations.gated])
        defer { bench.remove() }
        try await bench.withInProcessServer { server in
            let id = try await server.deploy("gated", nodes: ["n1"]).deployment.id
            try await server.waitFor(id, "n1 to run") { $0.target("n1")?.status == .running }
            let olga = try await WebSession.signIn(server, as: "olga", [GrantBody(role: .operator)])
            let back = "/deployments/\(id)"
            let path = "/deployments/\(id)/actions/abort"

            // The form as the page renders it: the confirmation page, and nothing done.
            let first = try await olga.post(path, [("return", back), ("reason", "disk alarm")])
            #expect(first.status == .ok, "\(first.text.prefix(500))")
            #expect(first.flash == nil)
            let page = first.text
            #expect(page.contains("<h1>Abort deployment #\(id)?</h1>"), "\(page)")
            #expect(page.contains("Running steps are stopped now"))
            #expect(page.contains("<button type=\"submit\" class=\"button danger\" id=\"confirm-action\">Yes, abort deployment #\(id)</button>"))
            #expect(page.contains("<form class=\"action\" method=\"post\" action=\"\(path)\">"))
            #expect(page.contains("<input type=\"hidden\" name=\"confirmed\" value=\"yes\">"))
            #expect(page.contains("<input type=\"hidden\" name=\"csrf\" value=\"\(olga.csrf)\">"))
            #expect(page.contains("<input type=\"hidden\" name=\"return\" value=\"\(back)\">"), "the confirmed form comes back to the deployment")
            #expect(page.contains("<input id=\"confirm-reason\" name=\"reason\" type=\"text\" value=\"disk alarm\""), "the reason given is kept")
            #expect(page.contains("<a href=\"\(back)\" id=\"cancel-action\">Cancel</a>"))
            #expect(try await server.detail(id).deployment.status == .running)
            #expect(try await Self.actions("action.abort", server).isEmpty)

            // Confirmed but without the CSRF token: refused, nothing done.
            let forged = try await olga.post(path, [("return", back), ("confirmed", "yes")], csrf: false)
            #expect(forged.status == .seeOther)
            #expect(forged.flash?.contains("CSRF token is missing or wrong") == true, "\(forged.flash ?? "no message")")
            // Nor is a forged first submit shown a confirmation page.
            let forgedFirst = try await olga.post(path, [("return", back)], csrf: false)
            #expect(forgedFirst.status == .seeOther)
            #expect(try await server.detail(id).deployment.status == .running)
            #expect(try await Self.actions("action.abort", server).isEmpty)

            // Confirmed, with the token: done, as olga, with her reason.
            let confirmed = try await olga.post(path, [("return", back), ("confirmed", "yes"), ("reason", "disk alarm")])
            #expect(confirmed.status == .seeOther)
            #expect(confirmed.headers[.location] == back)
            #expect(confirmed.flash == "Aborted on deployment #\(id), as olga.")
            #expect(try await server.waitUntilFinal(id).deployment.status == .cancelled)
            #expect(try await Self.actions("action.abort", server).map(\.actor) == ["olga"])
            let audit = try await server.request(.get, "/audit?kind=action.")
            #expect(audit.text.contains("disk alarm"), "the reason is in the audit trail")

            // The page after the redirect shows the message as its flash.
            var after = olga.browser
            after.cookie = (after.cookie ?? "") + "; waveline_flash=" + (confirmed.flash?.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
            let shown = try await after.request(.get, back)
            #expect(shown.text.contains("<p class=\"flash\" id=\"flash\" role=\"status\">Aborted on deployment #\(id), as olga.</p>"))
        }
    }

    @Test func aRollbackFromAPlainFormAsksOnAPageAndActsOnlyOnceConfirmed() async throws {
        let bench = try Workbench(inventory: oneZoneInventory(nodes: 2), operations: ["undoable": Self.undoable])
        defer { bench.remove() }
        try await bench.withInProcessServer { server in
            let id = try await server.deploy("undoable", nodes: ["n1", "n2"]).deployment.id
            #expect(try await server.waitUntilFinal(id).deployment.status == .succeeded)
            let dora = try await WebSession.signIn(server, as: "dora", [GrantBody(role: .deployer)])
            let back = "/deployments/\(id)"
            let path = "/deployments/\(id)/actions/rollback"
            #expect(try await dora.get(back).text.contains("action=\"\(path)\""), "the page offers Roll back")

            let first = try await dora.post(path, [("return", back)])
            #expect(first.status == .ok)
            #expect(first.text.contains("Yes, roll back deployment #\(id)"))
            #expect(first.text.contains("The rollback steps of undoable run on the 2 nodes it completed"), "\(first.text)")
            let untouched = try await server.detail(id)
            #expect(untouched.deployment.status == .succeeded)
            #expect(!untouched.phases.contains { $0.kind == .rollback })
            #expect(bench.journal("n1") == ["install"])

            let confirmed = try await dora.post(path, [("return", back), ("confirmed", "yes")])
            #expect(confirmed.status == .seeOther)
            #expect(confirmed.flash?.hasPrefix("Started the rollback on deployment #\(id)") == true, "\(confirmed.flash ?? "no message")")
            #expect(try await server.waitUntilFinal(id).deployment.status == .rolledBack)
            #expect(bench.journal("n1") == ["install", "restore"])
        }
    }

    /// Someone who may not abort is not asked to confirm: refused at once, as the action itself would be.
    @Test func aPersonWhoMayNotActIsRefusedWithoutAConfirmationPage() async throws {
        let bench = try Workbench(inventory: oneZoneInventory(nodes: 1), operations: ["gated": Operations.gated])
        defer { bench.remove() }
        try await bench.withInProcessServer { server in
            let id = try await server.deploy("gated", nodes: ["n1"]).deployment.id
            try await server.waitFor(id, "n1 to run") { $0.target("n1")?.status == .running }
            let vic = try await WebSession.signIn(server, as: "vic", [GrantBody(role: .viewer)])
            let refused = try await vic.post("/deployments/\(id)/actions/abort", [("return", "/deployments/\(id)")])
            #expect(refused.status == .seeOther)
            #expect(refused.flash?.hasPrefix("!") == true, "an error message: \(refused.flash ?? "none")")
            #expect(try await server.detail(id).deployment.status == .running)
            try bench.release(on: ["n1"])
            #expect(try await server.waitUntilFinal(id).deployment.status == .succeeded)
        }
    }

    static func actions(_ kind: String, _ server: InProcessServer) async throws -> [EventView] {
        let list: EventList = try await server.get("/api/v1/events?kind=\(kind)")
        return list.events.filter { $0.kind == kind }
    }
}
