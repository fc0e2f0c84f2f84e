import Hummingbird
import NIOCore
import WavelineCore

/// `/api/v1/audit`: checks the audit trail's hash chain, and exports it as JSON lines for an auditor's tools.
/// `waveline audit verify --data DIR` does the same check on a database file without a server.
struct AuditController {
    typealias Context = WavelineRequestContext
    let reads: ReadSide

    func addRoutes(to group: RouterGroup<Context>) {
        group.get("audit/verify", use: verify)
        group.get("audit/export", use: export)
    }

    @Sendable func verify(_ request: Request, context: Context) async throws -> AuditReport {
        _ = try QueryValues(request, allowed: [])
        return try await reads.audit.verify(context: context)
    }

    /// Every event, oldest first, one JSON object per line with its chain fields; streamed page by page.
    @Sendable func export(_ request: Request, context: Context) async throws -> Response {
        _ = try QueryValues(request, allowed: [])
        let export = try reads.audit.export(context: context)
        return Response(
            status: .ok,
            headers: [.contentType: "application/x-ndjson; charset=utf-8"],
            body: ResponseBody { writer in
                try await export { try await writer.write($0) }
                try await writer.finish(nil)
            }
        )
    }
}

extension AuditReport: ResponseEncodable {}
