import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing
import WavelineAPI
import WavelineCore
import WavelineServer
import WavelineTesting

/// Every route, asked badly, answers a 4xx in the one error shape of the document, with a message naming what
/// was wrong (the field, parameter or id) and what was expected; never a 500, never a dropped connection.
@Suite(.serialized) struct APIErrorTests {
    struct Answer {
        var status: Int
        var headers: HTTPHeaders
        var body: Data
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// A request with exactly the given headers (the harness's `request` always sends JSON).
    static func send(_ server: RunningServer, _ method: String, _ path: String, body: Data? = nil, headers: [(String, String)] = []) async throws -> Answer {
        var request = HTTPClientRequest(url: server.url + path)
        request.method = HTTPMethod(rawValue: method)
        if let token = server.token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 16 << 20)
        return Answer(status: Int(response.status.code), headers: response.headers, body: Data(bytes.readableBytesView))
    }

    struct Case: Sendable {
        var what: String
        var method = "GET"
        var path: String
        var body: Data?
        var headers: [(String, String)] = []
        var status: Int
        var mentions: [String]
    }

    static let json = [("Content-Type", "application/json")]

    @Test func everyRouteRefusesBadInputNamingWhatIsWrongInTheDocumentedShape() async throws {
        let contract = try OpenAPIContract.load()
        let errorSchema = try #require(contract.schema(named: "Error"))
        let bench = try Workbench(inventory: oneZoneInventory(nodes: 2), operations: ["quick": HTTPErrorTests.quick])
        defer { bench.remove() }
        try await bench.withServer { server in
            let created = try await server.deploy("quick", selection: Selection(nodes: ["n1"]))
            let id = created.deployment.id
            #expect(try await server.waitUntilFinal(id).deployment.status == .succeeded)
            let body = try HTTPErrorTests.body()
            let d = "/api/v1/deployments/\(id)"

            let cases: [Case] = [
                // Path ids.
                Case(what: "deployment id not a number", path: "/api/v1/deployments/abc", status: 400, mentions: ["deployment id", "abc"]),
                Case(what: "deployment id zero", path: "/api/v1/deployments/0", status: 400, mentions: ["positive"]),
                Case(what: "deployment id too large", path: "/api/v1/deployments/99999999999999999999", status: 400, mentions: ["99999999999999999999"]),
                Case(what: "unknown deployment", path: "/api/v1/deployments/777", status: 404, mentions: ["#777"]),
                Case(what: "events of an unknown deployment", path: "/api/v1/deployments/777/events", status: 404, mentions: ["#777"]),
                Case(what: "logs of an unknown deployment", path: "/api/v1/deployments/777/logs", status: 404, mentions: ["#777"]),
                Case(what: "stream of an unknown deployment", path: "/api/v1/deployments/777/logs/stream", status: 404, mentions: ["#777"]),
                Case(what: "action on an unknown deployment", method: "POST", path: "/api/v1/deployments/777/actions/pause", status: 404, mentions: ["#777"]),
                Case(what: "unknown action", method: "POST", path: "\(d)/actions/explode", status: 400, mentions: ["explode", "pause"]),
                Case(what: "unknown node", path: "/api/v1/nodes/n9", status: 404, mentions: ["n9"]),
                // Query values, route by route.
                Case(what: "misspelt filter", path: "/api/v1/deployments?stauts=running", status: 400, mentions: ["stauts", "status"]),
                Case(what: "unknown status", path: "/api/v1/deployments?status=running,sleepy", status: 400, mentions: ["status", "sleepy", "running"]),
                Case(what: "list limit zero", path: "/api/v1/deployments?limit=0", status: 400, mentions: ["limit", "1 to 500"]),
                Case(what: "list limit words", path: "/api/v1/deployments?limit=lots", status: 400, mentions: ["limit", "lots"]),
                Case(what: "list before words", path: "/api/v1/deployments?before=yesterday", status: 400, mentions: ["before", "yesterday"]),
                Case(what: "list before zero", path: "/api/v1/deployments?before=0", status: 400, mentions: ["before"]),
                Case(what: "events cursor negative", path: "\(d)/events?after=-1", status: 400, mentions: ["after", "-1"]),
                Case(what: "events limit too big", path: "\(d)/events?limit=5000", status: 400, mentions: ["limit", "5000"]),
                Case(what: "events unknown parameter", path: "\(d)/events?deployment=1", status: 400, mentions: ["deployment"]),
                Case(what: "log cursor words", path: "\(d)/logs?after=soon", status: 400, mentions: ["after", "soon"]),
                Case(what: "log limit zero", path: "\(d)/logs?limit=0", status: 400, mentions: ["limit"]),
                Case(what: "log node not in it", path: "\(d)/logs?node=n2", status: 404, mentions: ["n2", "#\(id)"]),
                Case(what: "log unknown parameter", path: "\(d)/logs?nodes=n1", status: 400, mentions: ["nodes", "node"]),
                Case(what: "stream cursor words", path: "\(d)/logs/stream?after=soon", status: 400, mentions: ["after", "soon"]),
                Case(what: "stream format unknown", path: "\(d)/logs/stream?format=json", status: 400, mentions: ["format", "json", "lines", "batches"]),
                Case(what: "stream format twice", path: "\(d)/logs/stream?format=lines,batches", status: 400, mentions: ["format", "one value"]),
                Case(what: "stream Last-Event-ID words", path: "\(d)/logs/stream", headers: [("Last-Event-ID", "last")], status: 400, mentions: ["Last-Event-ID", "last"]),
                Case(what: "stream node not in it", path: "\(d)/logs/stream?node=n2", status: 404, mentions: ["n2"]),
                Case(what: "all events: deployment words", path: "/api/v1/events?deployment=first", status: 400, mentions: ["deployment", "first"]),
                Case(what: "all events: deployment zero", path: "/api/v1/events?deployment=0", status: 400, mentions: ["deployment"]),
                Case(what: "all events: cursor words", path: "/api/v1/events?after=x", status: 400, mentions: ["after"]),
                Case(what: "all events: limit", path: "/api/v1/events?limit=1001", status: 400, mentions: ["limit", "1000"]),
                Case(what: "all events: unknown parameter", path: "/api/v1/events?type=x", status: 400, mentions: ["type", "kind"]),
                Case(what: "nodes: unknown environment", path: "/api/v1/nodes?environment=prood", status: 422, mentions: ["environment", "prood", "test"]),
                Case(what: "nodes: unknown product", path: "/api/v1/nodes?product=kafak", status: 422, mentions: ["product", "kafak", "app"]),
                Case(what: "nodes: unknown cluster", path: "/api/v1/nodes?cluster=nope", status: 422, mentions: ["cluster", "nope", "app-test"]),
                Case(what: "clusters: unknown environment", path: "/api/v1/clusters?environment=prood", status: 422, mentions: ["prood"]),
                Case(what: "clusters: unknown parameter", path: "/api/v1/clusters?cluster=app-test", status: 400, mentions: ["cluster"]),
                Case(what: "node history: bad cursor", path: "/api/v1/nodes/n1?before=last", status: 400, mentions: ["before", "last"]),
                Case(what: "node history: limit", path: "/api/v1/nodes/n1?limit=0", status: 400, mentions: ["limit"]),
                Case(what: "operations take no parameters", path: "/api/v1/operations?name=quick", status: 400, mentions: ["name", "none"]),
                Case(what: "strategies take no parameters", path: "/api/v1/strategies?x=1", status: 400, mentions: ["x"]),
                Case(what: "the document takes no parameters", path: "/api/v1/openapi.yaml?v=2", status: 400, mentions: ["v"]),
                Case(what: "empty filter value", path: "/api/v1/deployments?status=", status: 400, mentions: ["status", "no value"]),
                Case(what: "filter that is no name", path: "/api/v1/deployments?environment=Prod%20EU", status: 400, mentions: ["environment", "Prod EU"]),
                Case(what: "filter that is no user name", path: "/api/v1/deployments?requested_by=-x", status: 400, mentions: ["requested_by", "-x"]),
                Case(what: "event kinds that are no kinds", path: "/api/v1/events?kind=deployment.created,,x", status: 400, mentions: ["kind"]),
                Case(what: "node history cursor too large", path: "/api/v1/nodes/n1?before=99999999999999999999", status: 400, mentions: ["before"]),
                // Bodies.
                Case(what: "unknown field", method: "POST", path: "/api/v1/deployments", body: try HTTPErrorTests.body(["tickt": "CHG-1"]), headers: Self.json, status: 400, mentions: ["unknown field 'tickt'", "ticket"]),
                Case(what: "unknown nested field", method: "POST", path: "/api/v1/deployments", body: try HTTPErrorTests.body(["selection": ["node": ["n1"]]]), headers: Self.json, status: 400, mentions: ["selection.node", "nodes"]),
                Case(what: "null field", method: "POST", path: "/api/v1/deployments", body: try HTTPErrorTests.body(["ticket": NSNull()]), headers: Self.json, status: 400, mentions: ["ticket", "null"]),
                Case(what: "null body", method: "POST", path: "\(d)/actions/pause", body: Data("null".utf8), headers: Self.json, status: 400, mentions: ["null"]),
                Case(what: "text/plain body", method: "POST", path: "/api/v1/deployments", body: body, headers: [("Content-Type", "text/plain")], status: 415, mentions: ["text/plain", "application/json"]),
                Case(what: "form body", method: "POST", path: "/api/v1/deployments", body: Data("operation=quick".utf8), headers: [("Content-Type", "application/x-www-form-urlencoded")], status: 415, mentions: ["application/json"]),
                Case(what: "body without Content-Type", method: "POST", path: "/api/v1/deployments", body: body, status: 415, mentions: ["Content-Type", "application/json"]),
                Case(what: "action body as text", method: "POST", path: "\(d)/actions/pause", body: Data("{}".utf8), headers: [("Content-Type", "text/plain")], status: 415, mentions: ["Content-Type"]),
                Case(what: "wrong type", method: "POST", path: "/api/v1/deployments", body: try HTTPErrorTests.body(["queue": "yes"]), headers: Self.json, status: 400, mentions: ["queue", "true or false"]),
                Case(what: "missing field", method: "POST", path: "/api/v1/deployments", body: try HTTPErrorTests.body(removing: ["reason"]), headers: Self.json, status: 400, mentions: ["reason"]),
                Case(what: "malformed", method: "POST", path: "/api/v1/deployments", body: Data("{\"operation\": ".utf8), headers: Self.json, status: 400, mentions: ["JSON"]),
                Case(what: "unknown operation", method: "POST", path: "/api/v1/deployments", body: try HTTPErrorTests.body(["operation": "deploy"]), headers: Self.json, status: 422, mentions: ["deploy", "quick"]),
                Case(what: "unknown node in the selection", method: "POST", path: "/api/v1/deployments", body: try HTTPErrorTests.body(["selection": ["nodes": ["n9"]]]), headers: Self.json, status: 422, mentions: ["n9"]),
                Case(what: "action on a finished deployment", method: "POST", path: "\(d)/actions/resume", status: 409, mentions: ["#\(id)", "succeeded"]),
                // Routes and methods.
                Case(what: "unknown route", path: "/api/v1/nope", status: 404, mentions: ["/api/v1/nope"]),
                Case(what: "unknown version", path: "/api/v2/deployments", status: 404, mentions: ["/api/v2/deployments"]),
                Case(what: "DELETE a deployment", method: "DELETE", path: d, status: 405, mentions: ["DELETE", "GET"]),
                Case(what: "PUT the list", method: "PUT", path: "/api/v1/deployments", body: body, headers: Self.json, status: 405, mentions: ["PUT", "GET, POST"]),
                Case(what: "POST to nodes", method: "POST", path: "/api/v1/nodes", body: Data("{}".utf8), headers: Self.json, status: 405, mentions: ["POST", "GET"]),
                Case(what: "GET an action", path: "\(d)/actions/pause", status: 405, mentions: ["GET", "POST"]),
            ]
            for item in cases {
                let answer = try await Self.send(server, item.method, item.path, body: item.body, headers: item.headers)
                #expect(answer.status == item.status, "\(item.what): \(answer.status) \(answer.text)")
                #expect(answer.headers.first(name: "Content-Type")?.hasPrefix("application/json") == true, "\(item.what): \(answer.headers)")
                let value = try? JSONValue.json(answer.body)
                guard let value else {
                    Issue.record("\(item.what): not JSON: \(answer.text.prefix(300))")
                    continue
                }
                for problem in contract.problems(value, errorSchema) { Issue.record("\(item.what): \(problem)") }
                let error = try? JSONDecoder().decode(ErrorBody.self, from: answer.body)
                #expect(error?.error.status == answer.status, "\(item.what)")
                let message = error?.error.message ?? ""
                for word in item.mentions { #expect(message.contains(word), "\(item.what): the message should mention '\(word)': \(message)") }
                if item.status == 405 {
                    #expect(answer.headers.first(name: "Allow").map { message.hasSuffix($0) } == true, "\(item.what): Allow \(answer.headers.first(name: "Allow") ?? "-") vs \(message)")
                }
            }

            // Over the 2 MiB limit: 413 in the same shape, also without reading it all.
            var huge = Data(#"{"operation":"quick","reason":""#.utf8)
            huge.append(Data(repeating: UInt8(ascii: "a"), count: 3 << 20))
            huge.append(Data(#""}"#.utf8))
            let tooLarge = try await Self.send(server, "POST", "/api/v1/deployments", body: huge, headers: Self.json)
            #expect(tooLarge.status == 413, "\(tooLarge.text.prefix(200))")
            for problem in contract.problems(try JSONValue.json(tooLarge.body), errorSchema) { Issue.record("413: \(problem)") }
            #expect(tooLarge.text.contains("too large"))

            // What is accepted: JSON with parameters on its Content-Type, and an action with no body at all.
            let accepted = try await Self.send(server, "POST", "/api/v1/deployments", body: body, headers: [("Content-Type", "application/json; charset=utf-8")])
            #expect(accepted.status == 201, "\(accepted.text.prefix(300))")
            let second = try JSONDecoder().decode(DeploymentDetail.self, from: accepted.body).deployment.id
            #expect(try await server.waitUntilFinal(second).deployment.status == .succeeded)
            let bare = try await Self.send(server, "POST", "/api/v1/deployments/\(second)/actions/rollback")
            #expect(bare.status == 409, "a bodiless action reaches the engine: \(bare.text)")
            #expect(bare.text.contains("no rollback steps"), "\(bare.text)")
        }
    }
}
