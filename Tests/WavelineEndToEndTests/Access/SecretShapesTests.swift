import Foundation
import Testing
import WavelineAPI
import WavelineCore
import WavelineServer
import WavelineTesting

/// Secrets in every shape a step can print them (several lines, CRLF, split across writes, on stderr, across
/// the cut of a line longer than 64 KiB), in failure reasons, step names and parameters, are masked wherever a
/// value can leave: stored logs, the live stream, API and CLI `--json` answers, events, the audit export, pages,
/// and the database file. Sensitive parameters are shown as `********` everywhere while steps get the value.
@Suite(.serialized) struct SecretShapesTests {
    static let tag = UUID().uuidString.prefix(8).lowercased()
    static let envSecret = "envsecret-\(tag)-7c1f"
    static let pemLines = ["MIIEvQIBADANBgkqhkiG9w0BAQEFAASC\(tag)bKcwggSjAgEAAoIBAQC7", "q2Lp9\(tag)Vb0sYwzR4nT1mXo8aJcK3dF6eHgU5iW7yBvN2kQ0rZtS4uE"]
    static let pem = "-----BEGIN TEST KEY-----\n" + pemLines.joined(separator: "\n") + "\n-----END TEST KEY-----\n"
    static let crlfLines = ["crlf-first-\(tag)-line", "crlf-second-\(tag)-line"]
    static let crlf = crlfLines.joined(separator: "\r\n") + "\r\n"
    static let sensitiveValue = "hunter2-\(tag)-pw"

    /// Every form that must never be found in an answer or in the database.
    static var forbidden: [String] { [envSecret, sensitiveValue] + pemLines + crlfLines }

    static func inventory(files: String) -> String {
        """
        environments:
          - {name: test, secrets: {ENV_SECRET: "env:WAVELINE_TEST_SHAPES_SECRET"}}
        products:
          - {name: app, owner: team}
        clusters:
          - name: app-test
            product: app
            environment: test
            zones: [a]
            secrets: {PEM: "file:\(files)/key.pem", CRLF: "file:\(files)/crlf.txt"}
            nodes:
              - {name: n1, zone: a}
              - {name: n2, zone: a}
        """
    }

    /// A step per shape; the last one, named with the secret, fails (a missing program).
    static var leaky: String {
        """
        name: leaky
        parameters:
          - {name: note, type: string, required: true}
          - {name: password, type: string, required: true, sensitive: true}
        steps:
          - name: several lines
            shell: 'printf "%s\\n" "$PEM"; printf "%s" "$CRLF"; printf "%s\\n" "$WAVELINE_PARAM_PASSWORD" > got-password; printf "%s\\n" "$WAVELINE_PARAM_NOTE" > got-note'
          - name: split writes
            shell: 'printf "start %s" "$(printf %s "$ENV_SECRET" | cut -c1-7)"; sleep 0.3; printf "%s end\\n" "$(printf %s "$ENV_SECRET" | cut -c8-)"'
          - name: stderr and parameters
            shell: 'echo "denied for $ENV_SECRET" >&2; echo "note is $WAVELINE_PARAM_NOTE, password is $WAVELINE_PARAM_PASSWORD"'
          - name: long line
            shell: 'head -c 65530 /dev/zero | tr "\\0" a; printf "%s%s\\n" "$ENV_SECRET" "$ENV_SECRET"'
          - name: deploy with \(envSecret)
            run: [./missing-program]
        """
    }

    @Test func everyShapeIsMaskedEverywhereAValueCanLeave() async throws {
        setenv("WAVELINE_TEST_SHAPES_SECRET", Self.envSecret, 1)
        let files = FileManager.default.temporaryDirectory.appendingPathComponent("waveline-shapes-\(Self.tag)").path
        try FileManager.default.createDirectory(atPath: files, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: files) }
        try Self.pem.write(toFile: files + "/key.pem", atomically: true, encoding: .utf8)
        try Self.crlf.write(toFile: files + "/crlf.txt", atomically: true, encoding: .utf8)

        let bench = try Workbench(inventory: Self.inventory(files: files), operations: ["leaky": Self.leaky])
        defer { bench.remove() }
        var answers: [String] = []
        try await bench.withServer { server in
            let body = try JSONEncoder().encode(CreateDeploymentBody(
                operation: "leaky", selection: Selection(nodes: ["n1"]),
                parameters: ["note": Self.envSecret, "password": Self.sensitiveValue], strategy: "all-at-once",
                reason: "shapes", ticket: nil, queue: false))
            let (status, created) = try await server.request("POST", "/api/v1/deployments", body: body)
            #expect(status == 201, "\(String(decoding: created, as: UTF8.self))")
            answers.append(String(decoding: created, as: UTF8.self))
            let id = try JSONDecoder().decode(DeploymentDetail.self, from: created).deployment.id
            // The live stream, followed while the deployment runs.
            async let followed = server.cli(["logs", "\(id)", "--follow"], timeout: .seconds(60))
            let final = try await server.waitUntilFinal(id)
            let live = try await followed
            answers.append(live.output)
            #expect(final.deployment.status == .finishedWithFailures)
            #expect(final.deployment.parameters == ["note": SecretReference.mask, "password": SecretReference.mask])

            // The steps had the real values.
            #expect(bench.read("n1", "got-password") == Self.sensitiveValue + "\n")
            #expect(bench.read("n1", "got-note") == Self.envSecret + "\n")

            let texts = try await server.logs(id, node: "n1").map(\.text)
            let mask = SecretReference.mask
            #expect(texts.contains("-----BEGIN TEST KEY-----") == false, "a line of the PEM value is masked too: \(texts)")
            #expect(texts.filter { $0 == mask }.count >= 4, "\(texts)")
            #expect(texts.contains("start \(mask) end"), "\(texts)")
            #expect(texts.contains("denied for \(mask)"), "\(texts)")
            #expect(texts.contains("note is \(mask), password is \(mask)"), "\(texts)")
            let long = texts.filter { $0.hasPrefix("aaaa") || $0.hasSuffix(mask) && $0.count > 1000 }.joined()
            #expect(long.contains(mask + mask) && long.count < 65_600, "the long line: \(long.suffix(80))")
            #expect(final.failures.first?.step == "deploy with \(mask)", "\(String(describing: final.failures.first))")

            for path in ["/api/v1/deployments/\(id)", "/api/v1/deployments", "/api/v1/deployments/\(id)/events",
                         "/api/v1/deployments/\(id)/logs?limit=5000", "/api/v1/events", "/api/v1/nodes/n1",
                         "/api/v1/audit/export", "/deployments/\(id)", "/deployments/\(id)/nodes/n1"] {
                let (_, data) = try await server.request("GET", path)
                answers.append(String(decoding: data, as: UTF8.self))
            }
            for arguments in [["status", "\(id)", "--json"], ["status", "--json"], ["logs", "\(id)"]] {
                let run = try await server.cli(arguments)
                #expect(run.succeeded, "\(arguments): \(run)")
                answers.append(run.output)
            }
        }
        for form in Self.forbidden {
            #expect(!answers.contains { $0.contains(form) }, "an answer holds \(form)")
        }
        // Nor is any form in the database files.
        for file in ["waveline.sqlite", "waveline.sqlite-wal"] {
            guard let data = FileManager.default.contents(atPath: bench.data + "/" + file) else { continue }
            for form in Self.forbidden {
                #expect(data.range(of: Data(form.utf8)) == nil, "\(file) holds \(form)")
            }
        }
    }

    static let gated = """
        name: gated
        failure_budget: 0
        phases:
          - {name: canary, size: 1, parallelism: 1, gate: manual}
          - {name: rest, size: rest, batch_size: 100%, parallelism: 5}
        """

    static let keep = """
        name: keep
        parameters:
          - {name: password, type: string, required: true, sensitive: true}
        steps:
          - {name: keep, shell: 'printf "%s\\n" "$WAVELINE_PARAM_PASSWORD" > got-password; echo "using $WAVELINE_PARAM_PASSWORD"'}
        """

    /// A deployment under way when the server restarts goes on with its sensitive values (sealed with the
    /// data folder's key); without that key it fails, saying why, rather than run steps with `********`.
    @Test(arguments: [true, false])
    func sensitiveValuesSurviveARestartOnlyWithTheDataFoldersKey(keepKey: Bool) async throws {
        let bench = try Workbench(inventory: oneZoneInventory(nodes: 2), operations: ["keep": Self.keep], strategies: ["gated": Self.gated])
        defer { bench.remove() }
        let id = try await bench.withServer { server in
            let created = try await server.deploy("keep", selection: Selection(clusters: ["app-test"]),
                                                  parameters: ["password": Self.sensitiveValue], strategy: "gated")
            #expect(created.deployment.parameters["password"] == SecretReference.mask)
            _ = try await server.waitFor(created.deployment.id, "the canary gate") { $0.phases.first?.status == .gate }
            return created.deployment.id
        }
        #expect(bench.read("n1", "got-password") == Self.sensitiveValue + "\n")
        let keyFile = bench.data + "/" + "parameters.key"
        let attributes = try FileManager.default.attributesOfItem(atPath: keyFile)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        if !keepKey { try FileManager.default.removeItem(atPath: keyFile) }
        try await bench.withServer { server in
            if keepKey {
                _ = try await server.act("approve", id)
                let final = try await server.waitUntilFinal(id)
                #expect(final.deployment.status == .succeeded)
                #expect(bench.read("n2", "got-password") == Self.sensitiveValue + "\n")
                let texts = try await server.logs(id).map(\.text)
                #expect(texts.filter { $0 == "using \(SecretReference.mask)" }.count == 2, "\(texts)")
            } else {
                let final = try await server.waitUntilFinal(id)
                #expect(final.deployment.status == .failed)
                #expect(final.deployment.statusReason?.contains("parameters.key") == true, "\(final.deployment.statusReason ?? "")")
                #expect(bench.read("n2", "got-password") == nil)
            }
        }
        for file in ["waveline.sqlite", "waveline.sqlite-wal"] {
            guard let data = FileManager.default.contents(atPath: bench.data + "/" + file) else { continue }
            #expect(data.range(of: Data(Self.sensitiveValue.utf8)) == nil, "\(file) holds the sensitive value")
        }
    }
}
