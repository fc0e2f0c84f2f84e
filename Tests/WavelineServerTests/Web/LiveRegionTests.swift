import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
import WavelineAPI
import WavelineCore
import WavelineServer
import WavelineTesting

/// What the live pages give the script and assistive technology: one short status line (the only polite live
/// element; the region itself has no `aria-live`), the same in the page and in its live fragment, a note for
/// browsers without JavaScript while a deployment runs, and a key on every repeated element so an update can
/// change it in place.
@Suite struct LiveRegionTests {
    @Test func aRunningDeploymentAndTheSummaryAnnounceOneStatusLine() async throws {
        let bench = try Workbench(inventory: oneZoneInventory(nodes: 2), operations: ["gated": Operations.gated])
        defer { bench.remove() }
        try await bench.withInProcessServer { server in
            let id = try await server.deploy("gated", nodes: ["n1", "n2"]).deployment.id
            let running = try await server.waitFor(id, "both nodes to run") { $0.counts.running == 2 }
            let phase = try #require(running.phases.first?.name)
            let fragment = HTTPFields([HTTPField(name: HTTPField.Name("X-Waveline-Fragment")!, value: "1")])

            let page = try await server.request(.get, "/deployments/\(id)").text
            let line = "<p id=\"live-status\" class=\"live-status\" role=\"status\" data-state=\"running\">Running: phase \(phase): 0 done, 2 running.</p>"
            #expect(page.contains(line), "\(page)")
            #expect(!page.contains("aria-live"), "the region is not announced as a whole")
            #expect(Self.count("role=\"status\"", in: page) == 1)
            #expect(Self.count("role=\"alert\"", in: page) == 0)
            #expect(page.contains("<div id=\"live\" class=\"live\" data-live-events=\"/ui/events?deployment=\(id)\">"))
            #expect(page.contains("<noscript><p class=\"hint\" id=\"no-script-refresh\">This page updates by itself only with JavaScript. <a href=\"/deployments/\(id)\">Reload</a> to see the latest state.</p></noscript>"))
            let live = try await server.request(.get, "/deployments/\(id)", headers: fragment).text
            #expect(live.contains(line), "the update carries the line: \(live)")
            #expect(!live.contains("<noscript>"))

            let summary = try await server.request(.get, "/").text
            #expect(summary.contains("role=\"status\" data-state=\"\(id):running\">1 deployment running.</p>"), "\(summary)")
            #expect(!summary.contains("aria-live"))
            #expect(Self.count("role=\"status\"", in: summary) == 1)
            #expect(try await server.request(.get, "/", headers: fragment).text.contains("1 deployment running."))

            try bench.release(on: ["n1", "n2"])
            #expect(try await server.waitUntilFinal(id).deployment.status == .succeeded)
            let done = try await server.request(.get, "/deployments/\(id)").text
            #expect(done.contains("data-state=\"succeeded\">Succeeded: phase \(phase): 2 done.</p>"), "\(done)")
            #expect(!done.contains("<noscript>"), "a finished deployment does not change: no note")
            let idle = try await server.request(.get, "/").text
            #expect(idle.contains("role=\"status\" data-state=\"\">No deployment in progress.</p>"), "\(idle)")
        }
    }

    /// Every repeated element of the live fragments (node tiles, chips, batches, phases, progress rows, failure
    /// points, forms, events, deployment cards, sections) is keyed by `id`, `data-key` or `data-node`; the last log
    /// lines of a failure, plain text never focused or changed, are the one exception.
    @Test func everyRepeatedElementOfALiveRegionHasAKey() async throws {
        let bench = try Workbench(inventory: oneZoneInventory(nodes: 3), operations: ["gated": Operations.gated],
                                  strategies: ["two": singlePhaseStrategy("two", parallelism: 2, failureBudget: "1")])
        defer { bench.remove() }
        try bench.write("n1", "go", "")
        try await bench.withInProcessServer { server in
            let id = try await server.deploy("gated", nodes: ["n1", "n2", "n3"], strategy: "two").deployment.id
            try await server.waitFor(id, "n1 done and n2 running") { $0.target("n1")?.status == .succeeded && $0.counts.running > 0 }
            let fragment = HTTPFields([HTTPField(name: HTTPField.Name("X-Waveline-Fragment")!, value: "1")])
            let deployment = try await server.request(.get, "/deployments/\(id)", headers: fragment).text
            let summary = try await server.request(.get, "/", headers: fragment).text
            for (name, html) in [("deployment", deployment), ("summary", summary)] {
                let unkeyed = Self.openingTags(["li", "section", "form", "div class=\"progress\""], in: html).filter { tag in
                    !(tag.contains(" id=\"") || tag.contains(" data-key=\"") || tag.contains(" data-node=\"") || tag.contains("class=\"line "))
                }
                #expect(unkeyed.isEmpty, "\(name): elements without a key: \(unkeyed)")
            }
            #expect(deployment.contains("<li class=\"node state-succeeded\" data-node=\"n1\""))
            #expect(deployment.contains("data-key=\"n1\""), "the node's chip")
            #expect(deployment.contains("<form class=\"action\" method=\"post\" action=\"/deployments/\(id)/actions/pause\" data-key=\"form-action-pause\""))
            #expect(summary.contains("<li class=\"deployment-card state-running\" id=\"deployment-\(id)\""))
            #expect(summary.contains("<div class=\"progress\" data-key=\"phase-0\">"))
            try bench.release(on: ["n2", "n3"])
            _ = try await server.waitUntilFinal(id)
        }
    }

    static func count(_ needle: String, in text: String) -> Int { text.components(separatedBy: needle).count - 1 }

    /// The opening tags `<name …>` of the given elements (a prefix such as `div class="progress"` narrows one).
    static func openingTags(_ names: [String], in html: String) -> [String] {
        var tags: [String] = []
        var rest = html[...]
        while let start = rest.firstIndex(of: "<") {
            let after = rest[rest.index(after: start)...]
            guard let end = after.firstIndex(of: ">") else { break }
            let tag = String(after[..<end])
            if names.contains(where: { tag == $0 || tag.hasPrefix($0 + " ") || (tag.hasPrefix($0) && $0.contains(" ")) }) { tags.append(tag) }
            rest = after[end...]
        }
        return tags
    }
}
