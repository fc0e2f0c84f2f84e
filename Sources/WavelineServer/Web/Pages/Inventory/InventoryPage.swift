import Foundation
import HTTPTypes
import WavelineAPI
import WavelineCore
import WavelineEngine

/// `/inventory`: every cluster of the inventory with its nodes and what Waveline last put on each (version,
/// configuration digest, last deployment and its outcome), and the deployment holding a node now.
struct InventoryPage {
    var inventory: Inventory
    var states: [String: NodeStateView]
    var busy: [String: Int64]

    /// `visible`: whether the viewer may read a cluster; the others are left out.
    static func load(engine: Engine, reads: ReadSide, visible: (Cluster) -> Bool) async throws -> InventoryPage {
        var inventory = await engine.workspace.inventory
        inventory.clusters = inventory.clusters.filter(visible)
        return InventoryPage(inventory: inventory, states: try await reads.inventory.states(), busy: await engine.busyNodes())
    }

    func render(viewer: Viewer) -> HTML {
        let clusters: [HTML] = inventory.clusters.map(cluster)
        let toc: [HTML] = inventory.clusters.map { "<li><a href=\"#cluster-\(urlComponent($0.name))\">\($0.name)</a></li>" }
        return Layout.page(title: "Inventory", viewer: viewer, current: "/inventory", body: """
            <h1>Inventory</h1>
            <p class="muted">\(inventory.clusters.count) clusters, \(inventory.nodes.count) nodes. What Waveline last put on each node: the last deploy run that finished there.</p>
            <nav aria-label="Clusters" class="toc"><ul>\(toc)</ul></nav>
            \(clusters)
            """)
    }

    func cluster(_ cluster: Cluster) -> HTML {
        let rows: [HTML] = cluster.nodes.map { node in
            let state = states[node.name]
            let last: HTML = state.map { state in
                "<a href=\"/deployments/\(state.deploymentId)\">#\(state.deploymentId) \(state.operation)</a> \(Formatting.badge(state.outcome)) <time class=\"muted\">\(Formatting.timestamp(state.finishedAt))</time>"
            } ?? "<span class=\"muted\">never deployed by Waveline</span>"
            let busyWith: HTML = busy[node.name].map { "<a href=\"/deployments/\($0)\">in #\($0)</a>" } ?? "<span class=\"muted\">idle</span>"
            return """
                <tr><th scope="row"><a href="/inventory/nodes/\(urlComponent(node.name))">\(node.name)</a></th>\
                <td>\(node.zone)</td><td>\(state?.version ?? "—")</td>\
                <td>\(state.map { digest($0.configDigest) } ?? "—")</td><td>\(last)</td><td>\(busyWith)</td></tr>
                """
        }
        let versions = Set(cluster.nodes.compactMap { states[$0.name]?.version })
        let digests = Set(cluster.nodes.compactMap { states[$0.name]?.configDigest })
        var notes: [String] = []
        if versions.count > 1 { notes.append("\(versions.count) versions: \(versions.sorted().joined(separator: ", "))") }
        if digests.count > 1 { notes.append("\(digests.count) different configurations") }
        return """
            <section class="inventory-cluster" id="cluster-\(urlComponent(cluster.name))" aria-labelledby="cluster-heading-\(urlComponent(cluster.name))">
            <h2 id="cluster-heading-\(urlComponent(cluster.name))">\(cluster.name) <span class="muted">\(cluster.product) · \(cluster.environment) · zones \(cluster.zones.joined(separator: ", "))</span></h2>
            \(notes.isEmpty ? HTML.empty : "<p class=\"drift\" role=\"note\"><span aria-hidden=\"true\">⚠</span> Drift: \(notes.joined(separator: "; ")).</p>")
            \(Components.scrollBox(label: "Nodes of \(cluster.name)", """
            <table class="nodes">
            <thead><tr><th scope="col">Node</th><th scope="col">Zone</th><th scope="col">Version</th><th scope="col">Config digest</th><th scope="col">Last deployment</th><th scope="col">Now</th></tr></thead>
            <tbody>\(rows)</tbody>
            </table>
            """))
            </section>
            """
    }

    func digest(_ value: String) -> HTML {
        "<code title=\"\(value)\">\(String(value.prefix(12)))</code>"
    }
}

/// `/inventory/nodes/{name}`: one node, what Waveline last put there, and every run on it, newest first, paged.
struct InventoryNodePage {
    var node: Node
    var cluster: Cluster?
    var state: NodeStateView?
    /// Newest first.
    var runs: [NodeRunView]
    /// Where the next page starts.
    var next: String?
    var busyWith: Int64?

    static let pageSize = 50

    static func load(engine: Engine, reads: ReadSide, node name: String, before: String? = nil) async throws -> InventoryNodePage {
        let inventory = await engine.workspace.inventory
        guard let node = inventory.nodes.first(where: { $0.name == name }) else {
            throw APIError(.notFound, "no node \(name.callerQuoted) in the inventory")
        }
        let history = try await reads.inventory.history(of: name, limit: pageSize, before: before) { raw in
            APIError(.badRequest, "'before' must be a history position like 12 or 12-3, got \(raw.callerQuoted)")
        }
        return InventoryNodePage(
            node: node, cluster: inventory.clusters.first { $0.name == node.cluster },
            state: history.state, runs: history.runs, next: history.nextBefore,
            busyWith: await engine.busyNodes()[name]
        )
    }

    func render(viewer: Viewer) -> HTML {
        let labels = node.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
        let rows: [HTML] = runs.map { run in
            let took: HTML = {
                guard let started = run.startedAt else { return "—" }
                return "\(Formatting.duration((run.finishedAt ?? started) - started))"
            }()
            let failure: HTML = run.failure.map { "\($0.stage.word) \($0.step): \($0.reason)" } ?? .empty
            return """
                <tr><th scope="row"><a href="/deployments/\(run.deploymentId)">#\(run.deploymentId)</a></th>\
                <td>\(run.operation)\(run.kind == .rollback ? " (rollback)" : "")</td>\
                <td>\(run.version ?? "—")</td>\
                <td>\(Formatting.badge(run.status))</td>\
                <td><a href="/deployments/\(run.deploymentId)/nodes/\(urlComponent(node.name))">log</a></td>\
                <td>\(run.startedAt.map { Formatting.timestamp($0) } ?? "—")</td><td>\(took)</td>\
                <td>\(run.requestedBy)</td><td>\(failure)</td></tr>
                """
        }
        let history: HTML = runs.isEmpty ? "<p class=\"empty\">Waveline has not run anything on this node yet.</p>" : """
            \(Components.scrollBox(label: "Runs on \(node.name)", """
            <table class="history">
            <thead><tr><th scope="col">Deployment</th><th scope="col">Operation</th><th scope="col">Version</th><th scope="col">Outcome</th><th scope="col">Log</th><th scope="col">Started</th><th scope="col">Took</th><th scope="col">Requested by</th><th scope="col">Failure point</th></tr></thead>
            <tbody>\(rows)</tbody>
            </table>
            """))
            \(next.map { "<p><a href=\"/inventory/nodes/\(urlComponent(node.name))?before=\(urlComponent($0))\">Older runs</a></p>" as HTML })
            """
        return Layout.page(title: node.name, viewer: viewer, current: "/inventory", body: """
            <p class="crumbs"><a href="/inventory">Inventory</a> / \(node.cluster) / \(node.name)</p>
            <h1>\(node.name)</h1>
            \(Components.facts([
                ("Cluster", "<a href=\"/inventory#cluster-\(urlComponent(node.cluster))\">\(node.cluster)</a>"),
                ("Product", cluster.map { "\($0.product)" }),
                ("Environment", cluster.map { "\($0.environment)" }),
                ("Zone", "\(node.zone)"),
                ("Labels", labels.isEmpty ? nil : "\(labels)"),
                ("Version", state?.version.map { "\($0)" }),
                ("Config digest", state.map { "<code>\($0.configDigest)</code>" }),
                ("Last deployment", state.map { "<a href=\"/deployments/\($0.deploymentId)\">#\($0.deploymentId) \($0.operation)</a> \(Formatting.badge($0.outcome))" }),
                ("Now", busyWith.map { "<a href=\"/deployments/\($0)\">in deployment #\($0)</a>" } ?? "idle"),
            ]))
            <section aria-labelledby="history-heading">
            <h2 id="history-heading">History</h2>
            \(history)
            </section>
            """)
    }
}
