/// The demo's platform: Kafka, Valkey and MongoDB clusters in test, dev and prod, PROD over two zones.
enum DemoInventory {
    struct ClusterShape {
        var product: String
        var environment: String
        var zones: [String]
        var nodes: Int
    }

    static let shapes: [ClusterShape] = [
        .init(product: "kafka", environment: "test", zones: ["zone-a"], nodes: 3),
        .init(product: "kafka", environment: "dev", zones: ["zone-a"], nodes: 3),
        .init(product: "kafka", environment: "prod", zones: ["zone-a", "zone-b"], nodes: 6),
        .init(product: "valkey", environment: "test", zones: ["zone-a"], nodes: 2),
        .init(product: "valkey", environment: "dev", zones: ["zone-a"], nodes: 2),
        .init(product: "valkey", environment: "prod", zones: ["zone-a", "zone-b"], nodes: 4),
        .init(product: "mongodb", environment: "test", zones: ["zone-a"], nodes: 3),
        .init(product: "mongodb", environment: "dev", zones: ["zone-a"], nodes: 3),
        .init(product: "mongodb", environment: "prod", zones: ["zone-a", "zone-b"], nodes: 6),
    ]

    /// The node whose health check fails, so the demo shows a failure point.
    static let faultyNode = "kafka-prod-5"
    /// The second identity that approves the demo's protected (prod) deployment.
    static let approver = "demo-approver"
    static let fault = "log directory /var/lib/kafka/data is not writable: No space left on device"

    static var nodeNames: [String] {
        shapes.flatMap { shape in (1...shape.nodes).map { "\(shape.product)-\(shape.environment)-\($0)" } }
    }

    /// The demo's pace when none is given: seconds each simulated service action takes. At this pace the Kafka
    /// deployment (five batches of about four actions each, and a bake) runs a little over a minute, long
    /// enough to sign in and watch it.
    static let defaultPace = 4.0

    /// The inventory file, as a person would write it. `pace` reaches every node's steps as `DEMO_PACE` (an
    /// environment variable of the inventory: steps see no other variable of the server's).
    static func yaml(pace: Double) -> String {
        let pace = String(pace)
        var lines = [
            "# Demo platform: every node is a local sandbox under the data folder's nodes/ directory.",
            "environments:",
            "  - name: test",
            "    variables: {LOG_LEVEL: debug, DEMO_PACE: '\(pace)'}",
            "  - name: dev",
            "    variables: {LOG_LEVEL: info, DEMO_PACE: '\(pace)'}",
            "  - name: prod",
            "    protected: true",
            "    variables: {LOG_LEVEL: warn, DEMO_PACE: '\(pace)'}",
            "products:",
            "  - name: kafka",
            "    owner: streaming",
            "    maturity: {level: 3, target_date: 2027-03-31}",
            "  - name: valkey",
            "    owner: caching",
            "    maturity: {level: 2, target_date: 2027-06-30}",
            "  - name: mongodb",
            "    owner: databases",
            "    maturity: {level: 3, target_date: 2027-01-31}",
            "clusters:",
        ]
        for shape in shapes {
            lines.append("  - name: \(shape.product)-\(shape.environment)")
            lines.append("    product: \(shape.product)")
            lines.append("    environment: \(shape.environment)")
            lines.append("    zones: [\(shape.zones.joined(separator: ", "))]")
            lines.append("    nodes:")
            for index in 1...shape.nodes {
                // Alternate zones so each zone holds half the cluster.
                let zone = shape.zones[(index - 1) % shape.zones.count]
                let role = shape.product == "kafka" ? "broker" : shape.product == "mongodb" ? (index == 1 ? "primary" : "secondary") : "cache"
                lines.append("      - {name: \(shape.product)-\(shape.environment)-\(index), zone: \(zone), labels: {role: \(role)}}")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
