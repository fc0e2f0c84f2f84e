import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import WavelineAPI
import WavelineCore
import WavelineEngine
import WavelineStore

/// `/api/v1/deployments/:id/logs`: pages of log lines by cursor, and a live stream (server-sent events) that
/// replays from a cursor then follows the in-memory feed, so followers cost the store no polling.
struct LogsController {
    typealias Context = WavelineRequestContext
    let engine: Engine
    /// Asked again while a stream is open: it ends once its caller's credential no longer stands.
    let accounts: Accounts

    func addRoutes(to group: RouterGroup<Context>) {
        group.get("deployments/:id/logs", use: page)
        group.get("deployments/:id/logs/stream", use: stream)
    }

    struct Scope {
        var id: Int64
        /// Target indices of the requested node; nil for every node.
        var targets: Set<Int>?
        var nodeNames: [Int: String]
        var after: Int64
    }

    func scope(_ request: Request, context: Context, query: QueryValues) async throws -> Scope {
        let id = try deploymentID(context)
        try context.authorize(.read, on: try await DeploymentsController.deployment(id, store: engine.store))
        let targets = try await engine.store.targets(of: id)
        let names = Dictionary(uniqueKeysWithValues: targets.map { ($0.targetIndex, $0.node) })
        var selected: Set<Int>?
        if let node = query.string("node") {
            let matching = targets.filter { $0.node == node }.map(\.targetIndex)
            guard !matching.isEmpty else {
                throw APIError(.notFound, "node \(node.callerQuoted) is not part of deployment #\(id)")
            }
            selected = Set(matching)
        }
        var after: Int64 = 0
        // A reconnecting EventSource sends where it was in Last-Event-ID; it wins over the URL's `after`.
        if let raw = request.headers[HTTPField.Name("Last-Event-ID")!] {
            guard let value = Int64(raw), value >= 0 else { throw APIError(.badRequest, "header 'Last-Event-ID' must be a log line id (a whole number, 0 or more), got \(raw.callerQuoted)") }
            after = value
        } else if let raw = query.string("after") {
            guard let value = Int64(raw), value >= 0 else { throw APIError(.badRequest, "query 'after' must be a log line id to continue after (a whole number, 0 or more), got \(raw.callerQuoted)") }
            after = value
        }
        return Scope(id: id, targets: selected, nodeNames: names, after: after)
    }

    /// Reads lines after the cursor from the store, filtered to the scope.
    static func read(_ scope: Scope, after: Int64, limit: Int, store: any DeploymentStore) async throws -> [LogLineView] {
        let records = try await store.logLines(of: scope.id, targets: scope.targets.map { $0.sorted() }, afterID: after, limit: limit)
        return records.map { LogLineView($0, node: scope.nodeNames[$0.targetIndex] ?? "?") }
    }

    @Sendable func page(_ request: Request, context: Context) async throws -> LogPage {
        let query = try QueryValues(request, allowed: ["node", "after", "limit"])
        let scope = try await scope(request, context: context, query: query)
        let limit = try query.int("limit", in: 1...10_000) ?? 1000
        let status = try await engine.store.deployment(scope.id)?.status ?? .cancelled
        let lines = try await Self.read(scope, after: scope.after, limit: limit, store: engine.store)
        return LogPage(lines: lines, cursor: lines.last?.id ?? scope.after, deploymentStatus: status)
    }

    @Sendable func stream(_ request: Request, context: Context) async throws -> Response {
        let query = try QueryValues(request, allowed: ["node", "after", "format"])
        let scope = try await scope(request, context: context, query: query)
        let format = try query.value("format", of: LogStreamFormat.self) ?? .lines
        let store = engine.store
        // Subscribe before reading the backlog: a line stored in between shows up in both and is dropped by id.
        let updates = engine.feed.subscribe(deploymentID: scope.id)
        let followed = SharedLogEvents.FollowedLog(deployment: scope.id, targets: scope.targets, nodeNames: scope.nodeNames, format: format)
        let watch = LiveWatch(context: context, accounts: accounts)
        let body = ResponseBody { writer in
            var cursor = scope.after
            /// Sends the lines of `records` after the cursor that the scope shows. A batch from the feed that is
            /// all new to this follower is what every follower of the scope sends: encoded once, for all of them.
            func send(_ records: [LogLineRecord], fromFeed: Bool) async throws {
                let new = records.drop { $0.id <= cursor }
                guard let last = new.last(where: { scope.targets?.contains($0.targetIndex) ?? true }) else { return }
                let events = fromFeed && new.count == records.count
                    ? SharedLogEvents.shared.events(records, of: followed)
                    : SharedLogEvents.encode(Array(new), of: followed)
                try await watch.timed { try await writer.write(events) }
                cursor = last.id
            }
            func catchUp() async throws {
                while true {
                    let records = try await store.logLines(of: scope.id, targets: scope.targets.map { $0.sorted() }, afterID: cursor, limit: 5000)
                    if records.isEmpty { return }
                    try await send(records, fromFeed: false)
                }
            }
            /// Done when the deployment is final and its driver has ended: the driver stores the final state
            /// first, and the steps it ended may still log their last lines until it is gone.
            func finishIfDone() async throws -> Bool {
                guard let status = try await store.deployment(scope.id)?.status, status.isFinal,
                      await !engine.isDriving(scope.id) else { return false }
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
                        try await send(records, fromFeed: true)
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
