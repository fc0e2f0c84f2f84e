import Foundation
import Testing
import WavelineAPI
import WavelineCore
import WavelineServer
import WavelineTesting

/// A catalog pattern cannot stall the server: a backtracking-prone one is refused before the server starts, and
/// checking a value against the costliest accepted one neither hangs nor holds up other requests.
@Suite(.serialized) struct PatternSafetyTests {
    static func guarded(_ pattern: String) -> String {
        """
        name: guarded
        parameters:
          - name: value
            type: string
            required: true
            pattern: '\(pattern)'
        steps:
          - {name: s, run: [\"true\", "{{value}}"]}
        """
    }

    @Test func aServerRefusesABacktrackingPronePatternWithItsLocation() async throws {
        let bench = try Workbench(inventory: oneZoneInventory(nodes: 1), operations: ["guarded": Self.guarded("^(a+)+$")])
        defer { bench.remove() }
        let run = try await runWaveline([
            "serve", "--port", "0", "--data", bench.data, "--inventory", bench.inventory, "--catalog", bench.catalog,
            "--log-level", "warning",
        ], timeout: .seconds(20))
        #expect(run.signal == nil, "serve did not stop by itself (or crashed): \(run)")
        #expect(run.exitCode != nil && run.exitCode != 0, "\(run)")
        #expect(!run.stdout.contains("listening"), "\(run)")
        #expect(!looksLikeACrash(run.output), "\(run)")
        let location = "\(bench.catalog)/guarded.yaml:6:14: error: the pattern of parameter 'value' is refused"
        #expect(run.output.contains(location), "no located error at \(location): \(run)")
    }

    /// The costliest accepted pattern against the longest value that is not refused for its length: the answer
    /// comes (a 400), and requests sent meanwhile are answered too.
    @Test(.timeLimit(.minutes(2))) func theCostliestValueCheckAnswersAndBlocksNothing() async throws {
        // Two classes of up to 499 characters each: close to the automaton's size limit.
        let pattern = "^" + String(repeating: "[a-y]{0,499}", count: 2) + "b$"
        let bench = try Workbench(inventory: oneZoneInventory(nodes: 1), operations: ["guarded": Self.guarded(pattern)])
        defer { bench.remove() }
        let value = String(repeating: "a", count: Parameter.maximumValueBytes - 1) + "!"
        try await bench.withServer { server in
            let body = try JSONEncoder().encode(CreateDeploymentBody(
                operation: "guarded", selection: Selection(nodes: ["n1"]), parameters: ["value": value],
                strategy: "all-at-once", reason: "pattern cost", ticket: nil, queue: nil))
            async let checked = server.request("POST", "/api/v1/deployments", body: body)
            var answered = 0
            for _ in 0..<5 {
                let (status, _) = try await server.request("GET", "/api/v1/operations")
                #expect(status == 200)
                answered += 1
            }
            let (status, answer) = try await checked
            #expect(status == 422, "\(String(decoding: answer, as: UTF8.self))")
            #expect(String(decoding: answer, as: UTF8.self).contains("does not match pattern"))
            #expect(answered == 5)
        }
    }
}
