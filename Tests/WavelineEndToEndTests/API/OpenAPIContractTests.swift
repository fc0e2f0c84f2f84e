import Foundation
import Hummingbird
import Logging
import Testing
import WavelineAPI
import WavelineCore
import WavelineEngine
import WavelineExecutors
import WavelineServer
import WavelineStore
import WavelineTesting

/// The OpenAPI document is the API's contract: the server has exactly its routes, serves it, and answers in
/// its shapes.
@Suite(.serialized) struct OpenAPIContractTests {
    /// An operation with every part the catalog schema describes, failing on n2 so failure points show.
    static let deployVersion = #"""
        name: deploy-version
        description: Installs a version.
        idempotent: true
        parameters:
          - {name: version, type: string, required: true, pattern: '^[0-9]+\.[0-9]+\.[0-9]+$'}
          - {name: mode, type: enum, values: [fast, full], default: fast}
        pre_checks:
          - {name: ready, run: ["true"], timeout: 10s}
        steps:
          - {name: install, shell: 'echo "installing $WAVELINE_PARAM_VERSION"; if [ "$WAVELINE_NODE" = n2 ]; then echo "disk full" >&2; exit 3; fi'}
        post_checks:
          - {name: healthy, run: ["true"], retries: 1, interval: 1s}
        rollback:
          - {name: previous, run: ["true"]}
        """#

    @Test func theServerHasEveryRouteOfTheDocumentAndNoOther() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("waveline-routes-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try await SQLDeploymentStore.sqlite(path: directory + "/waveline.sqlite")
        let engine = try await Engine(
            store: store, workspace: Workspace(inventory: Inventory(), operations: [], strategies: Strategy.builtIn),
            executors: ExecutorRegistry(local: LocalExecutor(dataDirectory: directory))
        )
        // The router the server is built with, read back from Hummingbird, not a list kept by hand.
        let router = WavelineServerBuilder.makeRouter(
            engine: engine, reads: ReadSide(reader: store), identities: IdentityService(store: store, passwordCost: 4), logger: Logger(label: "contract")
        )
        let served = Set(router.routes.map { "\($0.method.rawValue) \($0.path.description)" }.filter { $0.contains(" /api/") })
        let documented = try OpenAPIContract.load().routes
        #expect(served.count >= 15, "\(served.sorted())")
        #expect(served.subtracting(documented).isEmpty, "served but not in openapi/waveline.yaml: \(served.subtracting(documented).sorted())")
        #expect(documented.subtracting(served).isEmpty, "in openapi/waveline.yaml but not served: \(documented.subtracting(served).sorted())")
        try await store.close()
    }

    @Test func theServedDocumentIsTheRepositorysFileAndAValidOpenAPI3Document() async throws {
        let contract = try OpenAPIContract.load()
        #expect(OpenAPIDocument.yaml == contract.text, "the embedded copy is stale: run scripts/openapi-embed.sh")
        #expect(contract.root["openapi"]?.string?.hasPrefix("3.") == true)
        // Every `$ref` resolves, so the document is self-contained.
        func references(_ value: JSONValue) -> [String] {
            switch value {
            case .object(let object): return (object["$ref"]?.string.map { [$0] } ?? []) + object.values.flatMap(references)
            case .array(let values): return values.flatMap(references)
            default: return []
            }
        }
        for reference in Set(references(contract.root)) {
            #expect(contract.resolve(.object(["$ref": .string(reference)])) != nil, "unresolved \(reference)")
        }
        let bench = try Workbench(inventory: oneZoneInventory(nodes: 1), operations: [:])
        defer { bench.remove() }
        try await bench.withServer { server in
            let (status, data) = try await server.request("GET", "/api/v1/openapi.yaml")
            #expect(status == 200)
            #expect(String(decoding: data, as: UTF8.self) == contract.text)
        }
    }

    /// Each route refuses a query parameter it does not take, listing the ones it does: that list must be the
    /// document's, for every operation, both ways.
    @Test func everyRouteTakesExactlyTheQueryParametersTheDocumentLists() async throws {
        let contract = try OpenAPIContract.load()
        let bench = try Workbench(inventory: oneZoneInventory(nodes: 1), operations: ["quick": HTTPErrorTests.quick])
        defer { bench.remove() }
        try await bench.withServer { server in
            let id = try await server.deploy("quick", selection: Selection(nodes: ["n1"])).deployment.id
            _ = try await server.waitUntilFinal(id)
            for route in contract.routes.sorted() {
                let parts = route.split(separator: " ", maxSplits: 1).map(String.init)
                let (method, template) = (parts[0], parts[1])
                let path = template.replacingOccurrences(of: "{id}", with: "\(id)").replacingOccurrences(of: "{action}", with: "pause")
                    .replacingOccurrences(of: "{name}", with: "n1")
                let (status, data) = try await server.request(method, path + "?zzz=1", body: method == "POST" ? Data("{}".utf8) : nil)
                let message = (try? JSONDecoder().decode(ErrorBody.self, from: data))?.error.message ?? String(decoding: data, as: UTF8.self)
                #expect(status == 400 && message.hasPrefix("unknown query parameter 'zzz'"), "\(route): \(status) \(message)")
                let served: Set<String>
                if let range = message.range(of: "expected one of: ") {
                    served = Set(message[range.upperBound...].components(separatedBy: ", "))
                } else {
                    served = []
                }
                #expect(served == contract.queryParameters(method, template), "\(route)")
            }
            // Nothing was created or changed by those requests.
            #expect(try await server.get("/api/v1/deployments", as: DeploymentList.self).deployments.count == 1)
            #expect(try await server.detail(id).deployment.status == .succeeded)
        }
    }

    @Test func everyAnswerOfTheServerMatchesItsSchemaInTheDocument() async throws {
        let contract = try OpenAPIContract.load()
        let inventory = oneZoneInventory(nodes: 3)
        let bench = try Workbench(inventory: inventory, operations: ["deploy-version": Self.deployVersion])
        defer { bench.remove() }
        try await bench.withServer { server in
            var covered = Set<String>()
            func get(_ path: String, as template: String, status: Int = 200) async throws -> Data {
                let (answered, data) = try await server.request("GET", path)
                #expect(answered == status, "GET \(path): \(answered) \(String(decoding: data.prefix(300), as: UTF8.self))")
                contract.expectResponse(data, "GET", template, status: answered)
                if answered == status { covered.insert("GET \(template)") }
                return data
            }
            func post(_ path: String, as template: String, body: some Encodable, status: Int) async throws -> Data {
                let (answered, data) = try await server.request("POST", path, body: try JSONEncoder().encode(body))
                #expect(answered == status, "POST \(path): \(answered) \(String(decoding: data.prefix(300), as: UTF8.self))")
                contract.expectResponse(data, "POST", template, status: answered)
                if answered == status { covered.insert("POST \(template)") }
                return data
            }

            // Before any deployment: nodes have no state.
            _ = try await get("/api/v1/nodes", as: "/api/v1/nodes")
            _ = try await get("/api/v1/deployments", as: "/api/v1/deployments")

            let created = try JSONDecoder().decode(DeploymentDetail.self, from: try await post(
                "/api/v1/deployments", as: "/api/v1/deployments",
                body: CreateDeploymentBody(
                    operation: "deploy-version", selection: Selection(nodes: ["n1", "n2"]), parameters: ["version": "3.8.0"],
                    strategy: "all-at-once", reason: "contract test", ticket: "CHG-1", queue: false
                ), status: 201
            ))
            let id = created.deployment.id
            let final = try await server.waitUntilFinal(id)
            #expect(final.deployment.status == .finishedWithFailures)
            #expect(!final.failures.isEmpty)
            // Rolling back the node that succeeded gives a node two runs in one deployment.
            _ = try await post("/api/v1/deployments/\(id)/actions/rollback", as: "/api/v1/deployments/{id}/actions/{action}", body: ActionBody(reason: "test"), status: 200)
            let rolledBack = try await server.waitUntilFinal(id)
            #expect(rolledBack.deployment.status == .rolledBack)

            _ = try await get("/api/v1/health", as: "/api/v1/health")
            _ = try await get("/api/v1/operations", as: "/api/v1/operations")
            _ = try await get("/api/v1/strategies", as: "/api/v1/strategies")
            _ = try await get("/api/v1/deployments?status=failed,rolled_back&environment=test&product=app&requested_by=tester&q=contract&limit=1", as: "/api/v1/deployments")
            _ = try await get("/api/v1/deployments/\(id)", as: "/api/v1/deployments/{id}")
            _ = try await get("/api/v1/deployments/\(id)/events?after=1&limit=5", as: "/api/v1/deployments/{id}/events")
            // Without --integrations: an empty list (the crash test reads a full one from the real binary).
            _ = try await get("/api/v1/deployments/\(id)/notifications", as: "/api/v1/deployments/{id}/notifications")
            _ = try await get("/api/v1/deployments/\(id)/logs?node=n2&after=0&limit=3", as: "/api/v1/deployments/{id}/logs")
            _ = try await get("/api/v1/events?deployment=\(id)&kind=deployment.created,target.failed&actor=tester", as: "/api/v1/events")
            let nodes = try JSONDecoder().decode(NodeList.self, from: try await get("/api/v1/nodes?environment=test&product=app&cluster=app-test", as: "/api/v1/nodes"))
            #expect(nodes.nodes.map(\.name) == ["n1", "n2", "n3"])
            #expect(nodes.nodes.map { $0.state?.outcome } == [.succeeded, .failed, nil])
            #expect(nodes.nodes.first?.state?.version == "3.8.0")
            let clusters = try JSONDecoder().decode(ClusterList.self, from: try await get("/api/v1/clusters", as: "/api/v1/clusters"))
            #expect(clusters.clusters.map(\.name) == ["app-test"])
            #expect(clusters.clusters.first?.nodes.map { $0.state?.deploymentId } == [id, id, nil])
            let node = try JSONDecoder().decode(NodeDetail.self, from: try await get("/api/v1/nodes/n1?limit=1", as: "/api/v1/nodes/{name}"))
            #expect(node.history.map(\.kind) == [.rollback])
            #expect(node.nextBefore != nil)
            let older = try JSONDecoder().decode(NodeDetail.self, from: try await get("/api/v1/nodes/n1?before=\(node.nextBefore ?? "")", as: "/api/v1/nodes/{name}"))
            #expect(older.history.map(\.kind) == [.deploy])
            #expect(older.history.first?.version == "3.8.0")
            #expect(older.nextBefore == nil)

            // The stream: every event's data is a LogLine, and the last one says how the deployment ended.
            let (status, data) = try await server.request("GET", "/api/v1/deployments/\(id)/logs/stream?node=n2&after=0")
            #expect(status == 200)
            let events = String(decoding: data, as: UTF8.self).components(separatedBy: "\n\n").filter { !$0.isEmpty && !$0.hasPrefix(":") }
            let lineSchema = try #require(contract.schema(named: "LogLine"))
            for event in events where event.hasPrefix("event: log") {
                let payload = event.split(separator: "\n").first { $0.hasPrefix("data: ") }.map { String($0.dropFirst(6)) } ?? ""
                for problem in contract.problems(try JSONValue.json(Data(payload.utf8)), lineSchema) { Issue.record("stream: \(problem)") }
            }
            #expect(events.contains { $0.contains("disk full") })
            #expect(events.last?.hasPrefix("event: end") == true, "\(events.last ?? "")")
            // The same lines in batches: every event's data is a LogBatch, and they hold the same lines.
            let (batchStatus, batchData) = try await server.request("GET", "/api/v1/deployments/\(id)/logs/stream?node=n2&after=0&format=batches")
            #expect(batchStatus == 200)
            let batchEvents = String(decoding: batchData, as: UTF8.self).components(separatedBy: "\n\n").filter { !$0.isEmpty && !$0.hasPrefix(":") }
            let batchSchema = try #require(contract.schema(named: "LogBatch"))
            var batchedLines: [LogLineView] = []
            for event in batchEvents where event.hasPrefix("event: lines") {
                let payload = event.split(separator: "\n").first { $0.hasPrefix("data: ") }.map { String($0.dropFirst(6)) } ?? ""
                for problem in contract.problems(try JSONValue.json(Data(payload.utf8)), batchSchema) { Issue.record("batches: \(problem)") }
                batchedLines += try JSONDecoder().decode(LogBatchView.self, from: Data(payload.utf8)).lines
            }
            let singleLines = try events.filter { $0.hasPrefix("event: log") }.map { event in
                let payload = event.split(separator: "\n").first { $0.hasPrefix("data: ") }.map { String($0.dropFirst(6)) } ?? ""
                return try JSONDecoder().decode(LogLineView.self, from: Data(payload.utf8))
            }
            #expect(!batchedLines.isEmpty)
            #expect(batchedLines == singleLines)
            #expect(batchEvents.last == events.last, "the same end event")
            covered.insert("GET /api/v1/deployments/{id}/logs/stream")
            covered.insert("GET /api/v1/openapi.yaml")  // its own test

            // The audit trail: the verdict is JSON; the export is one JSON object per line.
            _ = try await get("/api/v1/audit/verify", as: "/api/v1/audit/verify")
            let (exportStatus, export) = try await server.request("GET", "/api/v1/audit/export")
            #expect(exportStatus == 200)
            let exported = String(decoding: export, as: UTF8.self).split(separator: "\n")
            #expect(!exported.isEmpty)
            for line in exported {
                #expect((try? JSONValue.json(Data(line.utf8)))?.object != nil, "not a JSON object: \(line.prefix(200))")
            }
            covered.insert("GET /api/v1/audit/export")

            // Access: users, tokens, the caller, a browser session.
            func send(_ method: String, _ path: String, as template: String, body: Data? = nil, status: Int, headers: [(String, String)] = [], server: RunningServer = server) async throws -> (Data, [(String, String)]) {
                let (answered, data, responseHeaders) = try await server.requestWithHeaders(method, path, body: body, headers: headers)
                #expect(answered == status, "\(method) \(path): \(answered) \(String(decoding: data.prefix(300), as: UTF8.self))")
                if status != 204 { contract.expectResponse(data, method, template, status: answered) }
                if answered == status { covered.insert("\(method) \(template)") }
                return (data, responseHeaders)
            }
            let encoder = JSONEncoder()
            _ = try await send("POST", "/api/v1/users", as: "/api/v1/users", body: try encoder.encode(CreateUserBody(
                name: "vera", password: "vera's long password", grants: [GrantBody(role: .viewer, environments: ["test"])])), status: 201)
            _ = try await send("GET", "/api/v1/users", as: "/api/v1/users", status: 200)
            _ = try await send("GET", "/api/v1/users/vera", as: "/api/v1/users/{name}", status: 200)
            _ = try await send("PATCH", "/api/v1/users/vera", as: "/api/v1/users/{name}", body: try encoder.encode(UpdateUserBody(grants: [GrantBody(role: .operator)])), status: 200)
            let (made, _) = try await send("POST", "/api/v1/tokens", as: "/api/v1/tokens", body: try encoder.encode(CreateTokenBody(name: "ci", expiresInDays: 7, user: "vera")), status: 201)
            let token = try JSONDecoder().decode(CreatedToken.self, from: made)
            _ = try await send("GET", "/api/v1/tokens?user=vera", as: "/api/v1/tokens", status: 200)
            _ = try await send("GET", "/api/v1/me", as: "/api/v1/me", status: 200)
            _ = try await send("DELETE", "/api/v1/tokens/\(token.details.id)", as: "/api/v1/tokens/{tokenID}", status: 200)
            var anonymous = server
            anonymous.token = nil
            let (signedIn, cookies) = try await send("POST", "/api/v1/session", as: "/api/v1/session", body: try encoder.encode(SignInBody(user: "vera", password: "vera's long password")), status: 200, server: anonymous)
            let session = try JSONDecoder().decode(SessionView.self, from: signedIn)
            let cookie = try #require(cookies.first { $0.0.lowercased() == "set-cookie" }?.1.split(separator: ";").first.map(String.init))
            _ = try await send("DELETE", "/api/v1/session", as: "/api/v1/session", status: 204, headers: [("Cookie", cookie), ("X-CSRF-Token", session.csrfToken ?? "")], server: anonymous)
            _ = try await send("DELETE", "/api/v1/users/vera", as: "/api/v1/users/{name}", status: 204)

            // Every documented route was exercised here: a new route needs a line above.
            #expect(contract.routes.subtracting(covered).isEmpty, "not exercised: \(contract.routes.subtracting(covered).sorted())")
        }
    }
}
