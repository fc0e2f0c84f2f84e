import Foundation
import Testing
import WavelineAPI
import WavelineCore
import WavelineServer
import WavelineTesting

/// Everything checkable is checked when files are read: catalogs and strategies offline with
/// `waveline catalog validate`, node names that cannot be folders with `inventory validate`, and grants against
/// the inventory when they are given.
struct FileValidationTests {
    @Test func catalogValidateReportsEveryErrorWithItsLocationAndExitsOne() async throws {
        let bench = try Workbench(
            inventory: oneZoneInventory(nodes: 1),
            operations: [
                "good": "name: good\nsteps:\n  - {name: s, run: [./bin/x]}\n",
                "regex": """
                    name: regex
                    parameters:
                      - {name: v, type: string, pattern: '^(a+)+$'}
                    steps:
                      - {name: s, run: [./bin/x, "{{v}}"]}
                    """,
                "code": """
                    name: code
                    parameters:
                      - {name: v, type: string}
                    steps:
                      - {name: s, run: [env, python3, -c, "{{v}}"]}
                    """,
            ],
            strategies: ["slow": "name: slow\nphases:\n  - {name: all, size: rest, batch_size: 0%}\n"])
        defer { bench.remove() }

        let run = try await runWaveline(["catalog", "validate", bench.catalog, "--strategies", bench.strategies])
        #expect(run.exitCode == 1, "\(run)")
        #expect(!looksLikeACrash(run.output), "\(run)")
        let errors = run.stdout.split(separator: "\n").filter { $0.contains(": error: ") }
        #expect(errors.contains { $0.hasPrefix("\(bench.catalog)/regex.yaml:3:") && $0.contains("pattern of parameter 'v' is refused") }, "\(run)")
        #expect(errors.contains { $0.hasPrefix("\(bench.catalog)/code.yaml:5:") && $0.contains("passed to python") }, "\(run)")
        #expect(errors.contains { $0.hasPrefix("\(bench.strategies)/slow.yaml:3:") && $0.contains("batch_size") }, "\(run)")
        #expect(errors.count == 3, "\(run)")
        #expect(run.stdout.contains("3 errors"), "\(run)")

        let catalogOnly = try await runWaveline(["catalog", "validate", bench.catalog, "--json"])
        #expect(catalogOnly.exitCode == 1)
        let report = try JSONSerialization.jsonObject(with: Data(catalogOnly.stdout.utf8)) as? [String: Any]
        #expect(report?["valid"] as? Bool == false)
        #expect((report?["errors"] as? [Any])?.count == 2)

        try FileManager.default.removeItem(atPath: bench.catalog + "/regex.yaml")
        try FileManager.default.removeItem(atPath: bench.catalog + "/code.yaml")
        try FileManager.default.removeItem(atPath: bench.strategies + "/slow.yaml")
        let valid = try await runWaveline(["catalog", "validate", bench.catalog, "--strategies", bench.strategies])
        #expect(valid.exitCode == 0, "\(valid)")
        #expect(valid.stdout.hasPrefix("valid: 1 operation,"), "\(valid)")

        let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("catalog").path
        let ours = try await runWaveline(["catalog", "validate", shipped])
        #expect(ours.exitCode == 0, "the shipped catalog: \(ours)")
    }

    @Test func aNodeNameThatCannotBeAFolderIsRefusedByInventoryValidate() async throws {
        let long = String(repeating: "n", count: 256)
        let bench = try Workbench(inventory: oneZoneInventory(nodes: 1).replacingOccurrences(of: "name: n1,", with: "name: \(long),"), operations: [:])
        defer { bench.remove() }
        let run = try await runWaveline(["inventory", "validate", bench.inventory])
        #expect(run.exitCode == 1, "\(run)")
        #expect(run.stdout.contains("\(bench.inventory):11:"), "\(run)")
        #expect(run.stdout.contains("is 256 bytes long; a name has at most 255 bytes"), "\(run)")
    }

    @Test func aGrantNamingAnUnknownEnvironmentOrProductIsRefusedWithAGuess() async throws {
        let bench = try Workbench(inventory: localInventory(nodes: 1), operations: [:])
        defer { bench.remove() }
        try await bench.withServer { server in
            let add = try await server.cli(["users", "add", "bob", "--token-only", "--grant", "deployer:env=prdo:product=ap"])
            #expect(add.exitCode != 0, "\(add)")
            #expect(add.output.contains("environment 'prdo', which the inventory does not define"), "\(add)")
            #expect(add.output.contains("(did you mean 'prod'?)"), "\(add)")
            #expect(add.output.contains("product 'ap'") && add.output.contains("(did you mean 'app'?)"), "\(add)")
            let (status, _) = try await server.request("GET", "/api/v1/users/bob")
            #expect(status == 404, "the user was created anyway")

            let good = try await server.cli(["users", "add", "bob", "--token-only", "--grant", "deployer:env=test:product=app"])
            #expect(good.exitCode == 0, "\(good)")
            let grant = try await server.cli(["users", "grant", "bob", "--grant", "approver:env=tset"])
            #expect(grant.exitCode != 0, "\(grant)")
            #expect(grant.output.contains("(did you mean 'test'?)"), "\(grant)")
            let bob: UserView = try await server.get("/api/v1/users/bob")
            #expect(bob.grants == [GrantBody(role: .deployer, environments: ["test"], products: ["app"])], "the grants changed anyway")
        }
    }
}
