import Testing
import WavelineCore

@Suite struct SelectionTests {
    static let inventory = Inventory(
        environments: [Environment(name: "test"), Environment(name: "dev"), Environment(name: "prod")],
        products: [Product(name: "kafka", owner: "streaming"), Product(name: "valkey", owner: "cache")],
        clusters: [
            Cluster(name: "kafka-dev", product: "kafka", environment: "dev", zones: ["az1"], nodes: [
                Node(name: "kd1", cluster: "kafka-dev", zone: "az1", labels: ["role": "broker"]),
                Node(name: "kd2", cluster: "kafka-dev", zone: "az1", labels: ["role": "controller"]),
            ]),
            Cluster(name: "kafka-prod", product: "kafka", environment: "prod", zones: ["az1", "az2"], nodes: [
                Node(name: "kp1", cluster: "kafka-prod", zone: "az1", labels: ["role": "broker", "rack": "r1"]),
                Node(name: "kp2", cluster: "kafka-prod", zone: "az2", labels: ["role": "broker", "rack": "r2"]),
                Node(name: "kp3", cluster: "kafka-prod", zone: "az1", labels: ["role": "controller"]),
            ]),
            Cluster(name: "valkey-prod", product: "valkey", environment: "prod", zones: ["az1", "az2"], nodes: [
                Node(name: "vp1", cluster: "valkey-prod", zone: "az1", labels: ["role": "primary"]),
                Node(name: "vp2", cluster: "valkey-prod", zone: "az2", labels: ["role": "replica"]),
            ]),
            Cluster(name: "valkey-test", product: "valkey", environment: "test", zones: ["az1"]),
        ]
    )

    func select(_ selection: Selection) throws -> [String] {
        try Self.inventory.select(selection).map(\.name)
    }

    func selectionError(_ selection: Selection, sourceLocation: Testing.SourceLocation = #_sourceLocation) -> String {
        do {
            let nodes = try Self.inventory.select(selection)
            Issue.record("expected a SelectionError, got \(nodes.map(\.name))", sourceLocation: sourceLocation)
            return ""
        } catch {
            return error.description
        }
    }

    @Test func criteriaOfOneKindAreAlternativesAndKindsMustAllHold() throws {
        #expect(try select(Selection(clusters: ["kafka-prod"])) == ["kp1", "kp2", "kp3"])
        #expect(try select(Selection(environments: ["prod"])) == ["kp1", "kp2", "kp3", "vp1", "vp2"])
        #expect(try select(Selection(environments: ["dev", "prod"], products: ["kafka"])) == ["kd1", "kd2", "kp1", "kp2", "kp3"])
        #expect(try select(Selection(products: ["valkey"])) == ["vp1", "vp2"])
        #expect(try select(Selection(clusters: ["kafka-prod", "kafka-dev"], nodes: ["kd2", "kp3"])) == ["kd2", "kp3"])
        #expect(try select(Selection(nodes: ["vp2", "kd1"])) == ["kd1", "vp2"], "inventory order, not selection order")
    }

    @Test func labelsMustAllMatch() throws {
        #expect(try select(Selection(labels: ["role": "broker"])) == ["kd1", "kp1", "kp2"])
        #expect(try select(Selection(environments: ["prod"], labels: ["role": "broker"])) == ["kp1", "kp2"])
        #expect(try select(Selection(labels: ["role": "broker", "rack": "r2"])) == ["kp2"])
    }

    @Test func unknownNamesAreErrorsThatNameThem() {
        let cluster = selectionError(Selection(clusters: ["kafka-prod", "kafka-prd"]))
        #expect(cluster.contains("unknown cluster 'kafka-prd'"), "\(cluster)")
        #expect(cluster.contains("kafka-prod"), "lists the known clusters: \(cluster)")
        let environment = selectionError(Selection(environments: ["production"]))
        #expect(environment.contains("unknown environment 'production'"), "\(environment)")
        let product = selectionError(Selection(products: ["redis"]))
        #expect(product.contains("unknown product 'redis'"), "\(product)")
        let node = selectionError(Selection(clusters: ["kafka-prod"], nodes: ["kp9"]))
        #expect(node.contains("unknown node 'kp9'"), "\(node)")
    }

    @Test func anEmptySelectionIsAnError() {
        #expect(Selection().isEmpty)
        #expect(selectionError(Selection()).contains("the selection is empty"))
    }

    @Test func aSelectionMatchingNothingIsAnError() {
        let labels = selectionError(Selection(labels: ["role": "none"]))
        #expect(labels.contains("no node matches the selection role=none"), "\(labels)")
        // A known cluster without nodes must not become "0 nodes deployed, success".
        let empty = selectionError(Selection(clusters: ["valkey-test"]))
        #expect(empty.contains("no node matches the selection cluster=valkey-test"), "\(empty)")
        let disjoint = selectionError(Selection(clusters: ["kafka-dev"], environments: ["prod"]))
        #expect(disjoint.contains("no node matches"), "\(disjoint)")
    }

    @Test func summaryIsShortAndStable() {
        let selection = Selection(
            clusters: ["a", "b"], environments: ["prod"], products: ["kafka"], labels: ["z": "1", "role": "broker"],
            nodes: ["n1"]
        )
        #expect(selection.summary == "cluster=a,b env=prod product=kafka role=broker z=1 node=n1")
    }
}
