import Foundation
import Testing
import WavelineAPI
import WavelineCore
import WavelineServer
import WavelineStore
import WavelineTesting

/// Bad requests get a 4xx in the API's one error shape, naming what is wrong; none is a 500, and none harms the
/// server or what it holds.
@Suite(.serialized) struct HTTPErrorTests {
    static let quick = """
        name: quick
        parameters:
          - {name: mode, type: enum, values: [fast, full], default: fast}
        steps:
          - {name: mark, shell: 'echo "$WAVELINE_PARAM_MODE" >> journal'}
        """

    /// A complete, valid creation body as JSON text, with `replacing` applied on top.
    static func body(_ replacing: [String: Any] = [:], removing: [String] = []) throws -> Data {
        var object: [String: Any] = [
            "operation": "quick",
            "selection": ["clusters": [], "environments": [], "products": [], "labels": [:], "nodes": ["n1"]] as [String: Any],
            "strategy": "all-at-once",
            "reason": "http test",
        ]
        for (key, value) in replacing { object[key] = value }
        for key in removing { object[key] = nil }
        return try JSONSerialization.data(withJSONObject: object)
    }

    @Test func badRequestsAreAnsweredWithAClearClientErrorAndHarmNothing() async throws {
        let bench = try Workbench(inventory: oneZoneInventory(nodes: 2), operations: ["quick": Self.quick])
        defer { bench.remove() }
        try await bench.withServer { server in
            // A deployment made before, to check it is intact after.
            let (createdStatus, createdData) = try await server.request("POST", "/api/v1/deployments", body: try Self.body())
            #expect(createdStatus == 201, "\(String(decoding: createdData, as: UTF8.self))")
            let id = try JSONDecoder().decode(DeploymentDetail.self, from: createdData).deployment.id
            let before = try await server.waitUntilFinal(id)
            #expect(before.deployment.status == .succeeded)

            let post = "/api/v1/deployments"
            let cases: [(what: String, method: String, path: String, body: Data?, status: Int, mentions: [String])] = [
                ("garbage", "POST", post, Data("{operation: quick,,".utf8), 400, ["JSON"]),
                ("binary garbage", "POST", post, Data([0xFF, 0xFE, 0x00, 0x7B]), 400, ["JSON"]),
                ("empty body", "POST", post, Data(), 400, ["empty"]),
                ("selection is a number", "POST", post, try Self.body(["selection": 5]), 400, ["selection"]),
                ("operation is a number", "POST", post, try Self.body(["operation": 12]), 400, ["operation"]),
                ("nodes is a string", "POST", post, try Self.body(["selection": ["clusters": [], "environments": [], "products": [], "labels": [:], "nodes": "n1"] as [String: Any]]), 400, ["selection.nodes"]),
                ("parameters values are numbers", "POST", post, try Self.body(["parameters": ["mode": 1]]), 400, ["parameters"]),
                ("queue is a string", "POST", post, try Self.body(["queue": "yes"]), 400, ["queue"]),
                ("missing operation", "POST", post, try Self.body(removing: ["operation"]), 400, ["operation"]),
                ("missing reason", "POST", post, try Self.body(removing: ["reason"]), 400, ["reason"]),
                ("blank reason", "POST", post, try Self.body(["reason": "  "]), 422, ["reason"]),
                ("missing selection", "POST", post, try Self.body(removing: ["selection"]), 400, ["selection"]),
                ("a list, not an object", "POST", post, Data("[1,2]".utf8), 400, []),
                ("null operation", "POST", post, Data(#"{"operation":null,"selection":{"clusters":[],"environments":[],"products":[],"labels":{},"nodes":["n1"]},"reason":"r"}"#.utf8), 400, ["operation"]),
                ("unknown enum value", "POST", post, try Self.body(["parameters": ["mode": "turbo"]]), 422, ["turbo", "mode"]),
                ("unknown parameter", "POST", post, try Self.body(["parameters": ["mood": "fast"]]), 422, ["mood"]),
                ("empty selection", "POST", post, try Self.body(["selection": ["clusters": [], "environments": [], "products": [], "labels": [:], "nodes": []] as [String: Any]]), 422, ["selection"]),
                ("action body of the wrong type", "POST", "/api/v1/deployments/\(id)/actions/pause", Data(#"{"nodes":"n1"}"#.utf8), 400, ["nodes"]),
                ("action body garbage", "POST", "/api/v1/deployments/\(id)/actions/pause", Data("nope".utf8), 400, ["JSON"]),
                ("deployment id not a number", "GET", "/api/v1/deployments/abc", nil, 400, ["abc"]),
                ("deployment id zero", "GET", "/api/v1/deployments/0", nil, 400, ["0"]),
                ("unknown deployment", "GET", "/api/v1/deployments/777", nil, 404, ["777"]),
                ("logs of an unknown deployment", "GET", "/api/v1/deployments/777/logs", nil, 404, ["777"]),
                ("logs of a node not in it", "GET", "/api/v1/deployments/\(id)/logs?node=n2", nil, 404, ["n2"]),
                ("bad log cursor", "GET", "/api/v1/deployments/\(id)/logs?after=soon", nil, 400, ["after", "soon"]),
                ("bad log limit", "GET", "/api/v1/deployments/\(id)/logs?limit=0", nil, 400, ["limit"]),
                ("bad list status", "GET", "/api/v1/deployments?status=sleepy", nil, 400, ["sleepy"]),
                ("bad list limit", "GET", "/api/v1/deployments?limit=lots", nil, 400, ["limit"]),
                ("unknown route", "GET", "/api/v1/nope", nil, 404, ["/api/v1/nope"]),
                ("unknown route, POST", "POST", "/api/v2/deployments", Data("{}".utf8), 404, []),
                ("wrong method", "DELETE", "/api/v1/deployments/\(id)", nil, 405, ["DELETE", "GET"]),
            ]
            for item in cases {
                let (status, message) = try await server.failure(item.method, item.path, body: item.body)
                #expect(status == item.status, "\(item.what): \(status) \(message)")
                #expect((400..<500).contains(status), "\(item.what): \(status) \(message)")
                #expect(!message.isEmpty, "\(item.what): no message")
                for word in item.mentions { #expect(message.contains(word), "\(item.what): the message should mention '\(word)': \(message)") }
            }

            // Over 2 MiB: refused as too large, not read into memory and not a 500.
            var huge = Data(#"{"operation":"quick","reason":""#.utf8)
            huge.append(Data(repeating: UInt8(ascii: "a"), count: 3 << 20))
            huge.append(Data(#""}"#.utf8))
            let (status, message) = try await server.failure("POST", post, body: huge)
            #expect(status == 413, "\(status) \(message)")
            #expect(message.contains("too large"), "\(message)")

            // Nothing was created, the earlier deployment is intact, and the server still works.
            let list: DeploymentList = try await server.get("/api/v1/deployments")
            #expect(list.deployments.map(\.id) == [id])
            let after = try await server.detail(id)
            #expect(after.deployment.status == .succeeded)
            #expect(after.targets.map(\.status) == before.targets.map(\.status))
            #expect(after.deployment.finishedAt == before.deployment.finishedAt)
            #expect(try await server.logs(id) == (try await server.logs(id)))
            #expect(bench.journal("n1") == ["fast"])
            let next = try await server.deploy("quick", selection: Selection(nodes: ["n1", "n2"]), parameters: ["mode": "full"])
            #expect(try await server.waitUntilFinal(next.deployment.id).deployment.status == .succeeded)
            #expect(bench.journal("n1") == ["fast", "full"])
        }
    }

    @Test
    func aSelectionWithOnlySomeKeysIsAccepted() async throws {
        let bench = try Workbench(inventory: oneZoneInventory(nodes: 2), operations: ["quick": Self.quick])
        defer { bench.remove() }
        try await bench.withServer { server in
            let (status, data) = try await server.request("POST", "/api/v1/deployments", body: try Self.body(["selection": ["nodes": ["n1"]]]))
            #expect(status == 201, "\(String(decoding: data, as: UTF8.self))")
        }
    }

    @Test
    func typeErrorsSayWhatWasExpectedInPlainWords() async throws {
        let bench = try Workbench(inventory: oneZoneInventory(nodes: 1), operations: ["quick": Self.quick])
        defer { bench.remove() }
        try await bench.withServer { server in
            for body in [try Self.body(["selection": 5]), try Self.body(["parameters": ["mode": 1]]), Data("[1,2]".utf8)] {
                let (status, message) = try await server.failure("POST", "/api/v1/deployments", body: body)
                #expect(status == 400)
                #expect(!message.contains("Dictionary<") && !message.contains("Array<") && !message.contains("field ''"), "\(message)")
            }
        }
    }
}
