import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
import WavelineServer
import WavelineTesting

/// The five main pages, rendered in-process from a store seeded with fixed data at a fixed time
/// (`SnapshotInstallation`), for the seeded admin's browser session, and compared with the HTML committed under
/// `Snapshots/`. Re-record with `WAVELINE_RECORD_SNAPSHOTS=1` (see `HTMLSnapshot`).
@Suite struct PageSnapshotTests {
    static let pages: [(name: String, path: String)] = [
        ("summary", "/"),
        ("deployment", "/deployments/2"),
        ("node-log", "/deployments/2/nodes/n3"),
        ("inventory", "/inventory"),
        ("audit", "/audit"),
    ]

    @Test(arguments: pages.map(\.name))
    func aPageMatchesItsSnapshot(_ name: String) async throws {
        let path = try #require(Self.pages.first { $0.name == name }?.path)
        let bench = try SnapshotInstallation.workbench()
        defer { bench.remove() }
        try await SnapshotInstallation.seed(bench)
        let html = try await bench.withInProcessServer(configure: { $0.time = ManualTime(SnapshotInstallation.now) }) { server in
            var browser = server.anonymous
            browser.cookie = SnapshotInstallation.cookie
            let response = try await browser.request(.get, path)
            #expect(response.status == .ok, "\(path) answered \(response.status.code): \(response.text.prefix(300))")
            #expect(response.headers[.contentType]?.hasPrefix("text/html") == true)
            return response.text
        }
        try HTMLSnapshot.assertMatches(html, named: name)
    }
}
