import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing
import WavelineAPI
import WavelineCore
import WavelineServer
import WavelineTesting

/// Every role × action × scope through the API. The expected answer of each cell comes from the rules written
/// out here (the least role per action, and what a scope covers), not from the server's permission table, so
/// a change to the table that is not also made here fails the test.
@Suite(.serialized) struct PermissionMatrixTests {
    static let inventory = """
        environments:
          - {name: test}
          - {name: prod, protected: true}
        products:
          - {name: kafka, owner: streaming}
          - {name: valkey, owner: caching}
        clusters:
          - {name: kafka-test, product: kafka, environment: test, zones: [a], nodes: [{name: kt1, zone: a}, {name: kt2, zone: a}, {name: kt3, zone: a}]}
          - {name: kafka-prod, product: kafka, environment: prod, zones: [a], nodes: [{name: kp1, zone: a}]}
          - {name: valkey-test, product: valkey, environment: test, zones: [a], nodes: [{name: vt1, zone: a}]}
        """

    static let operations = [
        "routine": "name: routine\nrole: operator\nsteps:\n  - {name: work, run: [\"true\"]}\nrollback:\n  - {name: undo, run: [\"true\"]}\n",
        "release": "name: release\nrole: deployer\nsteps:\n  - {name: work, run: [\"true\"]}\n",
        "surgery": "name: surgery\nrole: admin\nsteps:\n  - {name: work, run: [\"true\"]}\n",
    ]

    /// A grant's scope, as a test names it.
    struct Scope: CustomStringConvertible {
        var name: String
        var environments: [String] = []
        var products: [String] = []
        var description: String { name }

        func covers(environment: String, product: String) -> Bool {
            (environments.isEmpty || environments.contains(environment)) && (products.isEmpty || products.contains(product))
        }
        var isEverything: Bool { environments.isEmpty && products.isEmpty }
    }

    static let scopes = [
        Scope(name: "everything"), Scope(name: "test", environments: ["test"]), Scope(name: "prod", environments: ["prod"]),
        Scope(name: "kafka", products: ["kafka"]), Scope(name: "valkey", products: ["valkey"]),
        Scope(name: "kafka-in-test", environments: ["test"], products: ["kafka"]),
    ]

    /// One cell's request, and the rule that decides it.
    struct Probe {
        var action: String
        /// The least role that may.
        var least: Role
        /// Where it acts; nil: the whole installation (needs a grant for everything).
        var place: (environment: String, product: String)?
        /// Words a refusal must say: the action and the role it needs.
        var refusal: [String]
        var send: (RunningServer) async throws -> (Int, Data)
    }

    static func expectAllowed(_ role: Role, _ scope: Scope, _ probe: Probe) -> Bool {
        let rank: [Role: Int] = [.viewer: 0, .operator: 1, .deployer: 2, .approver: 3, .admin: 4]
        guard rank[role]! >= rank[probe.least]! else { return false }
        guard let place = probe.place else { return scope.isEverything }
        return scope.covers(environment: place.environment, product: place.product)
    }

    @Test func everyRoleActionAndScopeIsAllowedOrRefusedNamingTheMissingPermission() async throws {
        let bench = try Workbench(inventory: Self.inventory, operations: Self.operations)
        defer { bench.remove() }
        try await bench.withServer { admin in
            // The subjects: a finished deployment on kafka in test (its actions are refused by state once allowed,
            // so a cell never changes what the next one sees, except rollback, which is allowed once), and for
            // each cell a new one waiting for approval in prod.
            let done = try await admin.deploy("routine", selection: Selection(nodes: ["kt1"])).deployment.id
            _ = try await admin.waitUntilFinal(done)
            func waiting() async throws -> Int64 {
                try await admin.post("/api/v1/deployments", json: CreateDeploymentBody(
                    operation: "routine", selection: Selection(nodes: ["kp1"]), parameters: [:], strategy: "all-at-once",
                    reason: "matrix", ticket: "CHG-1", queue: false), as: DeploymentDetail.self).deployment.id
            }

            func action(_ name: String, on id: Int64) -> (RunningServer) async throws -> (Int, Data) {
                { try await $0.request("POST", "/api/v1/deployments/\(id)/actions/\(name)", body: try JSONEncoder().encode(ActionBody(nodes: name == "skip" ? ["kt1"] : nil, reason: "matrix"))) }
            }
            func deploy(_ operation: String) -> (RunningServer) async throws -> (Int, Data) {
                { try await $0.request("POST", "/api/v1/deployments", body: try JSONEncoder().encode(CreateDeploymentBody(
                    operation: operation, selection: Selection(nodes: ["kt2"]), parameters: [:], strategy: "all-at-once",
                    reason: "matrix", ticket: nil, queue: true))) }
            }
            func get(_ path: String) -> (RunningServer) async throws -> (Int, Data) { { try await $0.request("GET", path) } }
            let kafkaTest = (environment: "test", product: "kafka")
            let probes: [Probe] = [
                Probe(action: "read", least: .viewer, place: kafkaTest, refusal: ["may not read", "needs viewer"], send: get("/api/v1/deployments/\(done)")),
                Probe(action: "read logs", least: .viewer, place: kafkaTest, refusal: ["may not read", "needs viewer"], send: get("/api/v1/deployments/\(done)/logs")),
                Probe(action: "deploy an operator operation", least: .operator, place: kafkaTest, refusal: ["may not deploy (operation role operator)", "needs operator"], send: deploy("routine")),
                Probe(action: "deploy a deployer operation", least: .deployer, place: kafkaTest, refusal: ["may not deploy (operation role deployer)", "needs deployer"], send: deploy("release")),
                Probe(action: "deploy an admin operation", least: .admin, place: kafkaTest, refusal: ["may not deploy (operation role admin)", "needs admin"], send: deploy("surgery")),
                Probe(action: "pause", least: .operator, place: kafkaTest, refusal: ["may not pause", "needs operator"], send: action("pause", on: done)),
                Probe(action: "resume", least: .operator, place: kafkaTest, refusal: ["may not resume", "needs operator"], send: action("resume", on: done)),
                Probe(action: "abort", least: .operator, place: kafkaTest, refusal: ["may not abort", "needs operator"], send: action("abort", on: done)),
                Probe(action: "retry", least: .operator, place: kafkaTest, refusal: ["may not retry", "needs operator"], send: action("retry", on: done)),
                Probe(action: "skip", least: .operator, place: kafkaTest, refusal: ["may not skip", "needs operator"], send: action("skip", on: done)),
                Probe(action: "rollback", least: .deployer, place: kafkaTest, refusal: ["may not rollback", "needs deployer"], send: action("rollback", on: done)),
                Probe(action: "approve a gate", least: .approver, place: kafkaTest, refusal: ["may not approve-gate", "needs approver"], send: action("approve", on: done)),
                Probe(action: "approve a deployment", least: .approver, place: (environment: "prod", product: "kafka"), refusal: ["may not approve-deployment", "needs approver"], send: { person in
                    try await action("approve", on: try await waiting())(person)
                }),
                Probe(action: "read the audit trail", least: .viewer, place: nil, refusal: ["may not read-audit", "needs viewer"], send: get("/api/v1/audit/verify")),
                Probe(action: "read every event", least: .viewer, place: nil, refusal: ["may not read-audit", "needs viewer"], send: get("/api/v1/events")),
                Probe(action: "export the audit trail", least: .admin, place: nil, refusal: ["may not export-audit", "needs admin"], send: get("/api/v1/audit/export")),
                Probe(action: "list users", least: .admin, place: nil, refusal: ["may not manage-users", "needs admin"], send: get("/api/v1/users")),
                Probe(action: "list another's tokens", least: .admin, place: nil, refusal: ["may not manage-tokens", "needs admin"], send: get("/api/v1/tokens?user=admin")),
            ]

            var cells = 0
            for role in Role.allCases {
                for scope in Self.scopes {
                    let name = "\(role)-\(scope.name)"
                    let person = try await admin.as(name, [GrantBody(role: role, environments: scope.environments, products: scope.products)])
                    for probe in probes {
                        let (status, data) = try await probe.send(person)
                        let text = String(decoding: data, as: UTF8.self)
                        cells += 1
                        if Self.expectAllowed(role, scope, probe) {
                            #expect(status != 403 && status != 401 && status < 500, "\(role) on \(scope) should be allowed to \(probe.action): \(status) \(text)")
                        } else {
                            #expect(status == 403, "\(role) on \(scope) should be refused \(probe.action): \(status) \(text)")
                            let message = (try? JSONDecoder().decode(ErrorBody.self, from: data))?.error.message ?? text
                            // Someone who may deploy nowhere is refused before the request's names are looked up.
                            let refusal = probe.action.hasPrefix("deploy") && role < .operator
                                ? ["may not deploy anywhere", "needs operator"] : probe.refusal
                            for word in refusal + [name] {
                                #expect(message.contains(word), "\(role) on \(scope), \(probe.action): the refusal should say '\(word)': \(message)")
                            }
                        }
                    }
                    // Everyone manages their own tokens and reads themselves.
                    #expect(try await person.request("GET", "/api/v1/tokens").0 == 200)
                    #expect(try await person.request("GET", "/api/v1/me").0 == 200)
                }
            }
            #expect(cells == Role.allCases.count * Self.scopes.count * probes.count)

            // Lists leave out what the caller may not read.
            let valkeyViewer = try await admin.as("viewer-valkey", [GrantBody(role: .viewer, products: ["valkey"])])
            let visible: DeploymentList = try await valkeyViewer.get("/api/v1/deployments")
            #expect(visible.deployments.isEmpty, "\(visible.deployments.map(\.id))")
            let clusters: ClusterList = try await valkeyViewer.get("/api/v1/clusters")
            #expect(clusters.clusters.map(\.name) == ["valkey-test"])
            let kafkaViewer = try await admin.as("viewer-kafka", [GrantBody(role: .viewer, products: ["kafka"])])
            #expect(try await kafkaViewer.get("/api/v1/deployments?q=\(done)", as: DeploymentList.self).deployments.contains { $0.id == done })

            // Without a credential: 401 saying how to sign in, for every protected route.
            var nobody = admin
            nobody.token = nil
            let (status, data) = try await nobody.request("GET", "/api/v1/deployments")
            #expect(status == 401 && String(decoding: data, as: UTF8.self).contains("waveline login"))
            #expect(try await nobody.request("GET", "/api/v1/health").0 == 200)
        }
    }

    @Test func anOperationsCatalogRoleIsEnforcedThroughTheCLI() async throws {
        let bench = try Workbench(inventory: Self.inventory, operations: Self.operations)
        defer { bench.remove() }
        try await bench.withServer { admin in
            let operatorInTest = try await admin.as("olga", [GrantBody(role: .operator, environments: ["test"])])
            let refused = try await operatorInTest.cli(["deploy", "release", "--node", "kt3", "--strategy", "all-at-once", "--reason", "try"])
            #expect(refused.exitCode == 1 && refused.stderr.contains("olga may not deploy (operation role deployer) in test/kafka: needs deployer"), "\(refused)")
            #expect(!looksLikeACrash(refused.output))
            let allowed = try await operatorInTest.cli(["deploy", "routine", "--node", "kt3", "--strategy", "all-at-once", "--reason", "routine", "--wait"])
            #expect(allowed.exitCode == 0, "\(allowed)")
            let prod = try await operatorInTest.cli(["deploy", "routine", "--node", "kp1", "--strategy", "all-at-once", "--reason", "try", "--ticket", "CHG-2"])
            #expect(prod.exitCode == 1 && prod.stderr.contains("in prod/kafka: needs operator"), "\(prod)")
            let whoami = try await operatorInTest.cli(["whoami"])
            #expect(whoami.stdout.contains("olga — operator in test"), "\(whoami)")
        }
    }

    @Test func thePagesLiveStreamNamesOnlyDeploymentsTheViewerMayRead() async throws {
        let bench = try Workbench(inventory: Self.inventory, operations: Self.operations)
        defer { bench.remove() }
        try await bench.withServer { admin in
            _ = try await admin.request("POST", "/api/v1/users", body: try JSONEncoder().encode(
                CreateUserBody(name: "val", password: "val's long password", grants: [GrantBody(role: .viewer, products: ["valkey"])])))
            var browser = WebPageTests.Browser(base: admin.url)
            try await browser.signIn("val", password: "val's long password")
            var request = HTTPClientRequest(url: admin.url + "/ui/events")
            request.headers.add(name: "Cookie", value: browser.cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; "))
            let client = HTTPClient(eventLoopGroupProvider: .singleton)
            let response = try await client.execute(request, timeout: .seconds(30))
            #expect(response.status.code == 200)
            var body = response.body.makeAsyncIterator()
            var received = String(buffer: try await body.next() ?? ByteBuffer())
            // A kafka deployment first, then a valkey one: only the second is named.
            let kafka = try await admin.deploy("routine", selection: Selection(nodes: ["kt1"])).deployment.id
            _ = try await admin.waitUntilFinal(kafka)
            let valkey = try await admin.deploy("routine", selection: Selection(nodes: ["vt1"])).deployment.id
            while !received.contains("{\"deployment\":\(valkey)}") {
                guard let chunk = try await body.next() else { break }
                received += String(buffer: chunk)
            }
            #expect(received.contains("{\"deployment\":\(valkey)}"))
            #expect(!received.contains("{\"deployment\":\(kafka)}"), "\(received)")
            try await client.shutdown()
            // The summary shows each viewer their own cards, one right after the other (its region is cached).
            _ = try await admin.waitUntilFinal(valkey)
            var everything = WebPageTests.Browser(base: admin.url)
            try await everything.signIn()
            for _ in 0..<2 {
                let mine = try await browser.send("GET", "/", fragment: true).body
                #expect(mine.contains("id=\"deployment-\(valkey)\"") && !mine.contains("id=\"deployment-\(kafka)\""))
                let all = try await everything.send("GET", "/", fragment: true).body
                #expect(all.contains("id=\"deployment-\(valkey)\"") && all.contains("id=\"deployment-\(kafka)\""))
            }
            // Nor may val follow the kafka one by name.
            var stream = HTTPClientRequest(url: admin.url + "/ui/events?deployment=\(kafka)")
            stream.headers.add(name: "Cookie", value: browser.cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; "))
            let refused = try await HTTPClient.shared.execute(stream, timeout: .seconds(30))
            #expect(refused.status.code == 403)
        }
    }
}
