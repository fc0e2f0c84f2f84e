import Foundation
import Testing
import WavelineAPI
import WavelineCore
import WavelineServer
import WavelineStore
import WavelineTesting

/// Inventory secrets reach steps as environment variables and nowhere else: every stored log line, event,
/// failure reason and API answer shows `********`, and the database file never holds the value.
@Suite(.serialized) struct SecretsTests {
    static let secret = "s3cr3t-\(UUID().uuidString.prefix(8))"
    static let fileSecret = "file-secret-\(UUID().uuidString.prefix(8))"

    static func inventory(secretFile: String) -> String {
        """
        environments:
          - {name: test, secrets: {DB_PASSWORD: "env:WAVELINE_TEST_DB_PASSWORD"}}
        products:
          - {name: app, owner: team}
        clusters:
          - name: app-test
            product: app
            environment: test
            zones: [a]
            secrets: {TLS_KEY: "file:\(secretFile)"}
            nodes:
              - {name: n1, zone: a}
              - {name: n2, zone: a, secrets: {MISSING: "env:WAVELINE_TEST_NOT_SET_ANYWHERE"}}
        """
    }

    static let leaky = """
        name: leaky
        steps:
          - {name: use, shell: 'echo "$DB_PASSWORD" > got-db; echo "$TLS_KEY" > got-tls; echo "connecting with $DB_PASSWORD and $TLS_KEY"; echo "auth failed for $DB_PASSWORD" >&2; exit 4'}
        """

    @Test func secretsAreGivenToStepsAndMaskedEverywhereElse() async throws {
        setenv("WAVELINE_TEST_DB_PASSWORD", Self.secret, 1)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("waveline-secret-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try (Self.fileSecret + "\n").write(toFile: directory + "/tls.key", atomically: true, encoding: .utf8)

        let bench = try Workbench(inventory: Self.inventory(secretFile: directory + "/tls.key"), operations: ["leaky": Self.leaky])
        defer { bench.remove() }
        var answers = ""
        try await bench.withServer { server in
            let body = try JSONEncoder().encode(CreateDeploymentBody(
                operation: "leaky", selection: Selection(nodes: ["n1", "n2"]), parameters: [:], strategy: "all-at-once",
                reason: "rotate the keys", ticket: nil, queue: false
            ))
            let (status, created) = try await server.request("POST", "/api/v1/deployments", body: body)
            #expect(status == 201, "\(String(decoding: created, as: UTF8.self))")
            let id = try JSONDecoder().decode(DeploymentDetail.self, from: created).deployment.id
            let final = try await server.waitUntilFinal(id)
            #expect(final.deployment.status == .finishedWithFailures)

            // The step had the values.
            #expect(bench.read("n1", "got-db") == Self.secret + "\n")
            #expect(bench.read("n1", "got-tls") == Self.fileSecret + "\n")
            // A node whose secret cannot be read fails, naming the secret and where it was looked for.
            let n2 = final.failures.first { $0.node == "n2" }
            #expect(n2?.reason.contains("MISSING") == true && n2?.reason.contains("WAVELINE_TEST_NOT_SET_ANYWHERE") == true, "\(String(describing: n2))")

            let logs = try await server.logs(id, node: "n1")
            #expect(logs.contains { $0.text == "connecting with ******** and ********" }, "\(logs.map(\.text))")
            #expect(logs.contains { $0.text == "auth failed for ********" })
            for path in ["/api/v1/deployments/\(id)", "/api/v1/deployments/\(id)/events", "/api/v1/deployments/\(id)/logs",
                         "/api/v1/events", "/api/v1/nodes/n1", "/api/v1/audit/export", "/api/v1/clusters"] {
                let (_, data) = try await server.request("GET", path)
                answers += String(decoding: data, as: UTF8.self)
            }

            // An error that repeats what the request sent repeats it as sent, never masked (a masked echo would
            // tell the caller which of the strings they sent is a secret: `SecretOracleTests`).
            let echo = try await server.failure("POST", "/api/v1/deployments", body: try JSONEncoder().encode(CreateDeploymentBody(
                operation: Self.secret, selection: Selection(nodes: ["n1"]), parameters: [:], strategy: "all-at-once",
                reason: "echo", ticket: nil, queue: false)))
            #expect(echo.status == 422 && echo.message.contains("unknown operation '\(Self.secret)'"), "\(echo.message)")
        }
        #expect(!answers.contains(Self.secret) && !answers.contains(Self.fileSecret))
        // Nor is it anywhere in the database files.
        for file in ["waveline.sqlite", "waveline.sqlite-wal"] {
            guard let data = FileManager.default.contents(atPath: bench.data + "/" + file) else { continue }
            #expect(data.range(of: Data(Self.secret.utf8)) == nil, "\(file) holds the secret")
            #expect(data.range(of: Data(Self.fileSecret.utf8)) == nil, "\(file) holds the file secret")
        }
    }

    @Test func anInventoryThatHoldsAValueInsteadOfASourceIsRefusedWithoutRepeatingIt() async throws {
        let bench = try Workbench(inventory: """
            environments:
              - {name: test, secrets: {DB_PASSWORD: hunter2-plain}}
            products: []
            clusters: []
            """, operations: [:])
        defer { bench.remove() }
        let run = try await runWaveline(["inventory", "validate", bench.inventory])
        #expect(run.exitCode != 0, "\(run)")
        #expect(run.output.contains("DB_PASSWORD") && run.output.contains("env:VARIABLE"), "\(run)")
        #expect(!run.output.contains("hunter2-plain"), "\(run)")
    }
}
