import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import WavelineAPI
import WavelineCore
import WavelineEngine

/// `/api/v1/deployments/:id/logs`: pages of log lines by cursor, and a live stream (server-sent events) that
/// replays from a cursor then follows the in-memory feed, so followers cost the store no polling.
struct LogsController {
    typealias Context = WavelineRequestContext
    let engine: Engine
    let reads: ReadSide
    /// Asked again while a stream is open: it ends once its caller's credential no longer stands.
    let identities: IdentityService

    func addRoutes(to group: RouterGroup<Context>) {
        group.get("deployments/:id/logs", use: page)
        group.get("deployments/:id/logs/stream", use: stream)
    }

    /// The selection the request names, for a caller who may read the deployment, and the cursor to continue
    /// after.
    func selection(_ request: Request, context: Context, query: QueryValues) async throws -> (LogSelection, after: Int64) {
        let id = try deploymentID(context)
        let selection = try await reads.logs.selection(id, node: query.string("node"), context: context)
        var after: Int64 = 0
        // A reconnecting EventSource sends where it was in Last-Event-ID; it wins over the URL's `after`.
        if let raw = request.headers[HTTPField.Name("Last-Event-ID")!] {
            guard let value = Int64(raw), value >= 0 else { throw APIError(.badRequest, "header 'Last-Event-ID' must be a log line id (a whole number, 0 or more), got \(raw.callerQuoted)") }
            after = value
        } else if let raw = query.string("after") {
            guard let value = Int64(raw), value >= 0 else { throw APIError(.badRequest, "query 'after' must be a log line id to continue after (a whole number, 0 or more), got \(raw.callerQuoted)") }
            after = value
        }
        return (selection, after)
    }

    @Sendable func page(_ request: Request, context: Context) async throws -> LogPage {
        let query = try QueryValues(request, allowed: ["node", "after", "limit"])
        let (selection, after) = try await selection(request, context: context, query: query)
        let limit = try query.int("limit", in: 1...10_000) ?? 1000
        return try await reads.logs.page(selection, after: after, limit: limit)
    }

    @Sendable func stream(_ request: Request, context: Context) async throws -> Response {
        let query = try QueryValues(request, allowed: ["node", "after", "format"])
        let (selection, after) = try await selection(request, context: context, query: query)
        let format = try query.value("format", of: LogStreamFormat.self) ?? .lines
        let logs = reads.logs
        // Subscribe before reading the backlog: a line stored in between shows up in both and is dropped by id.
        let updates = engine.feed.subscribe(deploymentID: selection.deployment)
        let watch = LiveWatch(context: context, accounts: identities)
        let body = ResponseBody { writer in
            var follower = logs.follower(selection, after: after, format: format)
            func catchUp() async throws {
                try await follower.catchUp { events in try await watch.timed { try await writer.write(events) } }
            }
            /// Done when the deployment is final and its driver has ended: the driver stores the final state
            /// first, and the steps it ended may still log their last lines until it is gone.
            func finishIfDone() async throws -> Bool {
                guard let status = try await logs.finalStatus(of: selection.deployment),
                      await !engine.isDriving(selection.deployment) else { return false }
                try await catchUp()
                let end = try ServerSentEvent(event: "end", json: LogStreamEnd(status: status))
                try await watch.timed { try await writer.write(end.bytes) }
                return true
            }
            // The backlog is sent inside the relay too: a client that stops reading during it is ended as well.
            try await withLiveRelay(updates, limit: engine.feed.bufferLimit, watch: watch) { events in
                try await catchUp()
                if try await finishIfDone() { return }
                try await watch.timed { try await writer.write(ServerSentEvent.comment("following")) }
                for await event in events {
                    switch event {
                    case .update(.logLines(let records)):
                        if let events = try follower.events(records, fromFeed: true) {
                            try await watch.timed { try await writer.write(events) }
                        }
                    case .update(.deploymentChanged):
                        if try await finishIfDone() { return }
                    case .heartbeat:
                        try await watch.timed { try await writer.write(ServerSentEvent.heartbeat) }
                    }
                }
            }
            // Done, shutting down, or the feed ended this subscriber because it fell behind: the client
            // reconnects from its last event id when it wants more.
            try await writer.finish(nil)
        }
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
            body: body
        )
    }
}
