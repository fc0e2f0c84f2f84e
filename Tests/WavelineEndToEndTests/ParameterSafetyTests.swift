import Foundation
import Testing
import WavelineAPI
import WavelineCore
import WavelineServer
import WavelineStore
import WavelineTesting

/// Parameter values are data: they reach a step as one argv element or an environment variable, byte for byte,
/// and never as shell text; a catalog that would splice them into text is refused before the server starts.
@Suite(.serialized) struct ParameterSafetyTests {
    static let record = """
        name: record
        parameters:
          - {name: value, type: string, required: true}
        steps:
          - {name: as argument, run: [./record-args, "{{value}}"]}
          - {name: as environment, shell: 'printf %s "$WAVELINE_PARAM_VALUE" > env.txt'}
        """

    /// Writes the number of its arguments, then each one, so one argument with spaces is told from several.
    static let recordArgs = """
        #!/bin/sh
        printf '%s' "$#" > argc.txt
        printf '%s' "$1" > args.txt

        """

    @Test func aHostileValueGivenThroughTheCLIArrivesIntactAndRunsNothing() async throws {
        let tag = UUID().uuidString
        let pwned = "/tmp/pwned-\(tag)", pwned2 = "/tmp/pwned2-\(tag)"
        defer {
            try? FileManager.default.removeItem(atPath: pwned)
            try? FileManager.default.removeItem(atPath: pwned2)
        }
        let value = "x; touch \(pwned) $(touch \(pwned2)) `id` 'single' \"double\" \\ $HOME * | cat && echo -n"
        let bench = try Workbench(inventory: oneZoneInventory(nodes: 1), operations: ["record": Self.record])
        defer { bench.remove() }
        try bench.write("n1", "record-args", Self.recordArgs, executable: true)

        try await bench.withServer { server in
            let run = try await server.cli([
                "deploy", "record", "--node", "n1", "-p", "value=\(value)", "--strategy", "all-at-once",
                "--reason", "parameter safety", "--wait",
            ], timeout: .seconds(60))
            #expect(run.exitCode == 0, "\(run)")
            #expect(run.stdout.contains("SUCCEEDED"), "\(run)")

            let list: DeploymentList = try await server.get("/api/v1/deployments")
            let deployment = try #require(list.deployments.first)
            #expect(deployment.status == .succeeded)
            #expect(deployment.parameters["value"] == value, "the stored value changed")
        }
        #expect(bench.read("n1", "argc.txt") == "1", "the value must be exactly one argument")
        #expect(bench.read("n1", "args.txt") == value, "argv: \(bench.read("n1", "args.txt") ?? "nil")")
        #expect(bench.read("n1", "env.txt") == value, "env: \(bench.read("n1", "env.txt") ?? "nil")")
        #expect(!FileManager.default.fileExists(atPath: pwned), "the value ran as shell text")
        #expect(!FileManager.default.fileExists(atPath: pwned2), "the value ran as a command substitution")
    }

    @Test(arguments: [
        ("run: [sh, -c, \"{{value}}\"]", "passed to sh, which could run it as code"),
        ("run: [/bin/sh, -c, 'printf %s \"$1\" > argv.txt', x, \"{{value}}\"]", "passed to sh"),
        ("run: [env, python3, -c, \"{{value}}\"]", "passed to python"),
        ("run: [ssh, host, \"{{value}}\"]", "passed to ssh"),
        ("run: [\"{{value}}\"]", "as the program to run"),
        ("run: [echo, \"pre-{{value}}\"]", "inside other text"),
    ])
    func aCatalogThatSplicesAValueIntoTextIsRefusedWithItsLocation(step: String, complaint: String) async throws {
        let operation = """
            name: unsafe
            parameters:
              - {name: value, type: string, required: true}
            steps:
              - {name: ok, run: [\"true\"]}
              - {name: bad, \(step)}
            """
        let bench = try Workbench(inventory: oneZoneInventory(nodes: 1), operations: ["unsafe": operation])
        defer { bench.remove() }
        let run = try await runWaveline([
            "serve", "--port", "0", "--data", bench.data, "--inventory", bench.inventory, "--catalog", bench.catalog,
            "--log-level", "warning",
        ], timeout: .seconds(20))
        #expect(run.signal == nil, "serve did not stop by itself (or crashed): \(run)")
        #expect(run.exitCode != nil && run.exitCode != 0, "\(run)")
        #expect(!run.stdout.contains("listening"), "\(run)")
        #expect(!looksLikeACrash(run.output), "\(run)")
        // file:line:col: error: …, at the offending step (line 6 of the file).
        let location = "\(bench.catalog)/unsafe.yaml:6:"
        let line = run.output.split(separator: "\n").first { $0.contains(location) }
        #expect(line != nil, "no located error at \(location): \(run)")
        if let line {
            #expect(line.range(of: #"unsafe\.yaml:6:\d+: error: "#, options: .regularExpression) != nil, "\(line)")
            #expect(line.contains(complaint), "\(line)")
        }
    }
}
