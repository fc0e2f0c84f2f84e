import Hummingbird
import NIOCore
import WavelineCore
import WavelineEngine
import WavelineStore

/// `/api/v1/audit`: checks the audit trail's hash chain, and exports it as JSON lines for an auditor's tools.
/// `waveline audit verify --data DIR` does the same check on a database file without a server.
struct AuditController {
    typealias Context = WavelineRequestContext
    let engine: Engine

    func addRoutes(to group: RouterGroup<Context>) {
        group.get("audit/verify", use: verify)
        group.get("audit/export", use: export)
    }

    @Sendable func verify(_ request: Request, context: Context) async throws -> AuditReport {
        _ = try QueryValues(request, allowed: [])
        try context.authorize(.readAudit)
        return try await engine.store.verifyAuditTrail()
    }

    /// Every event, oldest first, one JSON object per line with its chain fields; streamed page by page.
    @Sendable func export(_ request: Request, context: Context) async throws -> Response {
        _ = try QueryValues(request, allowed: [])
        try context.authorize(.exportAudit)
        let store = engine.store
        return Response(
            status: .ok,
            headers: [.contentType: "application/x-ndjson; charset=utf-8"],
            body: ResponseBody { writer in
                var after: Int64 = 0
                while true {
                    let page = try await store.events(of: nil, afterID: after, limit: 2000)
                    guard let last = page.last else { break }
                    var buffer = ByteBuffer()
                    for event in page { buffer.writeString(AuditTrail.jsonLine(event) + "\n") }
                    try await writer.write(buffer)
                    after = last.id
                }
                try await writer.finish(nil)
            }
        )
    }
}

extension AuditReport: ResponseEncodable {}
