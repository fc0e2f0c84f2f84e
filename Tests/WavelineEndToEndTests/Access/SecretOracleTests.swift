import Foundation
import Testing
import WavelineAPI
import WavelineCore
import WavelineServer
import WavelineTesting

/// What a caller sends is never compared with the server's secrets in what it is answered: an answer that
/// quotes the caller's text quotes it as sent, so a request full of guesses gets the same answer whether or not
/// one of them is a secret (no `********` marking the right guess).
@Suite(.serialized) struct SecretOracleTests {
    static let secret = "oracle-\(UUID().uuidString.prefix(12).lowercased())"

    static let inventory = """
        environments:
          - {name: test, secrets: {DB_PASSWORD: "env:WAVELINE_TEST_ORACLE_SECRET"}}
        products:
          - {name: app, owner: team}
        clusters:
          - name: app-test
            product: app
            environment: test
            zones: [a]
            nodes:
              - {name: n1, zone: a}
        """

    static let quiet = """
        name: quiet
        parameters:
          - {name: note, type: string, required: false}
        steps:
          - {name: nothing, run: ["true"]}
        """

    /// Guesses of the secret's length, the secret itself at `index` (or a stranger of the same length).
    static func guesses(count: Int, secretAt index: Int?, stranger: String) -> [String] {
        (0..<count).map { position in
            if position == index { return secret }
            if index == nil && position == 0 { return stranger }
            return "oracle-" + String(format: "%012x", position * 7919 + 1)
        }
    }

    /// A JSON answer with its keys sorted (their order is the encoder's choice); any other answer as it is.
    static func canonical(_ data: Data) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: data),
              let sorted = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else {
            return String(decoding: data, as: UTF8.self)
        }
        return String(decoding: sorted, as: UTF8.self)
    }

    /// Every request of a guessing caller, made twice: once with the secret among the guesses, once with a
    /// stranger in its place. The two answers are the same, byte for byte, once the secret is replaced by the
    /// stranger in the first.
    @Test func guessesGetTheSameAnswerWhetherOrNotOneIsASecret() async throws {
        setenv("WAVELINE_TEST_ORACLE_SECRET", Self.secret, 1)
        let bench = try Workbench(inventory: Self.inventory, operations: ["quiet": Self.quiet])
        defer { bench.remove() }
        let stranger = "oracle-" + String(UUID().uuidString.suffix(12)).lowercased()
        #expect(stranger.count == Self.secret.count)

        try await bench.withServer { server in
            let finished = try await server.deploy("quiet", selection: Selection(nodes: ["n1"]))
            _ = try await server.waitUntilFinal(finished.deployment.id)
            let viewer = try await server.as("vera", [GrantBody(role: .viewer)])

            /// The requests of one round, `guesses` holding the secret or the stranger first.
            func answers(_ guesses: [String]) async throws -> [String] {
                let joined = guesses.joined(separator: " ")
                var texts: [String] = []
                func body(operation: String = "quiet", nodes: [String] = ["n1"], parameters: [String: String] = [:],
                          strategy: String = "all-at-once", reason: String = "guessing") throws -> Data {
                    try JSONEncoder().encode(CreateDeploymentBody(
                        operation: operation, selection: Selection(nodes: nodes), parameters: parameters,
                        strategy: strategy, reason: reason, ticket: nil, queue: false))
                }
                let requests: [(String, String, Data?)] = [
                    ("POST", "/api/v1/deployments", try body(operation: guesses[0])),
                    ("POST", "/api/v1/deployments", try body(nodes: guesses)),
                    ("POST", "/api/v1/deployments", try body(parameters: Dictionary(uniqueKeysWithValues: guesses.map { ($0, "x") }))),
                    ("POST", "/api/v1/deployments", try body(strategy: guesses[0])),
                    ("GET", "/api/v1/deployments/\(finished.deployment.id)/logs?node=\(guesses[0])", nil),
                    ("GET", "/api/v1/nodes/\(guesses[0])", nil),
                    ("GET", "/api/v1/nodes?cluster=\(guesses[0])", nil),
                    ("GET", "/api/v1/deployments?status=\(guesses[0])", nil),
                    ("GET", "/api/v1/deployments?\(guesses[0])=1", nil),
                    ("POST", "/api/v1/deployments/\(finished.deployment.id)/actions/\(guesses[0])", nil),
                    ("GET", "/deployments/\(finished.deployment.id)/nodes/\(guesses[0])", nil),
                    ("GET", "/inventory/nodes/\(guesses[0])", nil),
                    ("GET", "/?state=\(guesses[0])&person=nobody", nil),
                ]
                for (method, path, data) in requests {
                    let (status, answer) = try await server.request(method, path, body: data)
                    texts.append("\(status) \(Self.canonical(answer))")
                }
                // A caller without any right to deploy is refused before any name is looked up.
                let (status, refused) = try await viewer.request("POST", "/api/v1/deployments", body: try body(operation: guesses[0], nodes: guesses))
                texts.append("\(status) \(Self.canonical(refused))")

                // Text kept with a deployment (its reason, a note parameter containing them) comes back as sent.
                let created = try await server.post("/api/v1/deployments", json: CreateDeploymentBody(
                    operation: "quiet", selection: Selection(nodes: ["n1"]), parameters: [:], strategy: "all-at-once",
                    reason: "guesses: \(joined)", ticket: "T-\(guesses[0])", queue: false), as: DeploymentDetail.self)
                let final = try await server.waitUntilFinal(created.deployment.id)
                texts.append("\(final.deployment.reason) \(final.deployment.ticket ?? "")")
                let events: EventList = try await server.get("/api/v1/deployments/\(created.deployment.id)/events")
                texts.append(events.events.map { "\($0.kind) \($0.message)" }.joined(separator: "\n"))
                return texts
            }

            let withSecret = try await answers(Self.guesses(count: 300, secretAt: 0, stranger: stranger))
            let withoutSecret = try await answers(Self.guesses(count: 300, secretAt: nil, stranger: stranger))
            #expect(withSecret.count == withoutSecret.count)
            for (one, other) in zip(withSecret, withoutSecret) {
                let normalised = one.replacingOccurrences(of: Self.secret, with: stranger)
                    // Deployment ids and times differ between the rounds; nothing else may.
                    .replacing(#/#\d+|"id":\d+|\d+\.\d+/#, with: "N")
                #expect(!one.contains(SecretReference.mask), "an answer marks a guess as the secret: \(one.prefix(400))")
                let otherNormalised = other.replacing(#/#\d+|"id":\d+|\d+\.\d+/#, with: "N")
                let firstDifference = zip(normalised, otherNormalised).prefix { $0 == $1 }.count
                #expect(normalised == otherNormalised,
                        "the answers differ at \(firstDifference):\n\(normalised.dropFirst(max(0, firstDifference - 200)).prefix(400))\n---\n\(otherNormalised.dropFirst(max(0, firstDifference - 200)).prefix(400))")
            }
        }
    }

    /// A caller who may not deploy anywhere is told so before the request's names are read: an unknown
    /// operation, node or parameter gets the same 403 as a known one.
    @Test func permissionIsCheckedBeforeAnyNameIsLookedUp() async throws {
        let bench = try Workbench(inventory: Self.inventory, operations: ["quiet": Self.quiet])
        defer { bench.remove() }
        try await bench.withServer { server in
            let viewer = try await server.as("vera", [GrantBody(role: .viewer)])
            var messages: [String] = []
            for (operation, node) in [("quiet", "n1"), ("no-such-operation", "n1"), ("quiet", "no-such-node")] {
                let refusal = try await viewer.failure("POST", "/api/v1/deployments", body: try JSONEncoder().encode(CreateDeploymentBody(
                    operation: operation, selection: Selection(nodes: [node]), parameters: [:], strategy: "all-at-once",
                    reason: "try", ticket: nil, queue: false)))
                #expect(refusal.status == 403, "\(refusal)")
                messages.append(refusal.message)
            }
            #expect(Set(messages).count == 1, "\(messages)")
            #expect(!messages[0].contains("no-such"), "\(messages[0])")
        }
    }
}
