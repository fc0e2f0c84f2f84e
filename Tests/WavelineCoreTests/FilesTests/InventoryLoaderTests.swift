import Foundation
import Testing
import WavelineCore

@Suite("Inventory files")
struct InventoryLoaderTests {
    static let environmentsAndProducts = """
        environments:
          - name: test
            variables: {LOG_LEVEL: debug, RETRIES: 3}
          - name: prod
            protected: true
        products:
          - name: kafka
            owner: streaming-team
            maturity: {level: 3, target_date: 2027-03-31}
        """

    static let clusters = """
        clusters:
          - name: kafka-prod
            product: kafka
            environment: prod
            zones: [eu-west-1a, eu-west-1b]
            variables: {KAFKA_HEAP: 4g}
            connection: {type: local, directory: sandboxes/shared}
            nodes:
              - name: kafka-prod-1
                zone: eu-west-1a
                labels: {role: broker}
                variables: {BROKER_ID: "1"}
              - name: kafka-prod-2
                zone: eu-west-1b
                connection: {type: local, directory: sandboxes/kafka-prod-2}
          - name: kafka-test
            product: kafka
            environment: test
            zones: [z1]
            nodes:
              - name: kafka-test-1
                zone: z1
        """

    static let spareCluster = """
        clusters:
          - name: kafka-spare
            product: kafka
            environment: test
            zones: [z1]
        """

    static let expected = Inventory(
        environments: [
            Environment(name: "test", variables: ["LOG_LEVEL": "debug", "RETRIES": "3"]),
            Environment(name: "prod", protected: true),
        ],
        products: [
            Product(name: "kafka", owner: "streaming-team", maturity: .init(level: 3, targetDate: "2027-03-31")),
        ],
        clusters: [
            Cluster(
                name: "kafka-prod", product: "kafka", environment: "prod", zones: ["eu-west-1a", "eu-west-1b"],
                variables: ["KAFKA_HEAP": "4g"],
                nodes: [
                    Node(name: "kafka-prod-1", cluster: "kafka-prod", zone: "eu-west-1a", labels: ["role": "broker"],
                         variables: ["BROKER_ID": "1"],
                         connection: .local(LocalConnection(directory: "sandboxes/shared"))),
                    Node(name: "kafka-prod-2", cluster: "kafka-prod", zone: "eu-west-1b",
                         connection: .local(LocalConnection(directory: "sandboxes/kafka-prod-2"))),
                ]
            ),
            Cluster(
                name: "kafka-test", product: "kafka", environment: "test", zones: ["z1"],
                nodes: [Node(name: "kafka-test-1", cluster: "kafka-test", zone: "z1")]
            ),
            Cluster(name: "kafka-spare", product: "kafka", environment: "test", zones: ["z1"]),
        ]
    )

    @Test func directoryOfFilesMergesInNameOrder() throws {
        let dir = try FilesTestDirectory()
        let inventory = try dir.subdirectory("inventory")
        try dir.write("inventory/b-clusters.yaml", Self.clusters)
        try dir.write("inventory/a-environments.yaml", Self.environmentsAndProducts)
        try dir.write("inventory/c-spare.yml", Self.spareCluster)
        try dir.write("inventory/README.md", "not: [yaml")
        try dir.write("inventory/.editor-swap.yaml", "\u{0}garbage")

        let loaded = try InventoryLoader.load(paths: [inventory])
        #expect(loaded == Self.expected)
        #expect(InventoryLoader.validate(paths: [inventory]).isEmpty)
    }

    @Test func separateFilesMergeInTheOrderGiven() throws {
        let dir = try FilesTestDirectory()
        let clusters = try dir.write("clusters.yaml", Self.clusters)
        let environments = try dir.write("environments.yaml", Self.environmentsAndProducts)
        let spare = try dir.write("spare.yaml", Self.spareCluster)

        let loaded = try InventoryLoader.load(paths: [environments, clusters, spare])
        #expect(loaded == Self.expected)
        // References resolve across files whatever their order.
        #expect(try InventoryLoader.load(paths: [clusters, spare, environments]).clusters == Self.expected.clusters)
    }

    @Test func nodesInheritTheClusterConnectionOrDefaultToLocal() throws {
        let dir = try FilesTestDirectory()
        try dir.write("a.yaml", Self.environmentsAndProducts)
        try dir.write("b.yaml", Self.clusters)
        let inventory = try InventoryLoader.load(paths: [dir.path])
        #expect(inventory.node(named: "kafka-prod-1")?.connection == .local(LocalConnection(directory: "sandboxes/shared")))
        #expect(inventory.node(named: "kafka-prod-2")?.connection
            == .local(LocalConnection(directory: "sandboxes/kafka-prod-2")))
        #expect(inventory.node(named: "kafka-test-1")?.connection == .local(LocalConnection()))
        #expect(inventory.node(named: "kafka-test-1")?.cluster == "kafka-test")
    }

    @Test func topLevelKeysAreOptional() throws {
        let dir = try FilesTestDirectory()
        let file = try dir.write("envs.yaml", "environments:\n  - name: dev\n")
        #expect(try InventoryLoader.load(paths: [file]) == Inventory(environments: [Environment(name: "dev")]))
    }

    @Test func severalErrorsInOneFileAreAllReported() throws {
        let dir = try FilesTestDirectory()
        let file = try dir.write("inv.yaml", """
            environments:
              - name: prod
            clusters:
              - name: kafka-prod
                product: kafka
                environment: prod
                zonez: [eu-west-1a]
                nodes:
                  - name: kafka-prod-1
                    zone: eu-west-1a
                    rack: r1
            """)
        let found = thrownDiagnostics { try InventoryLoader.load(paths: [file]) }
        expectFileDiagnostic(found, file, 7, 5, exactly:
            "unknown key 'zonez' in cluster 'kafka-prod'; expected one of: name, product, environment, zones, "
            + "variables, secrets, connection, nodes (did you mean 'zones'?)")
        expectFileDiagnostic(found, file, 4, 5, exactly: "cluster 'kafka-prod' is missing 'zones'")
        expectFileDiagnostic(found, file, 5, 14, "cluster 'kafka-prod' refers to product 'kafka', which is not defined; known products: none")
        expectFileDiagnostic(found, file, 11, 9, "unknown key 'rack' in node 'kafka-prod-1'")
        #expect(found.count == 4, "\(renderDiagnostics(found))")
        expectSortedDiagnostics(found)
        #expect(InventoryLoader.validate(paths: [file]) == found)
    }

    @Test func missingFieldsAreReportedAtTheMapping() throws {
        let dir = try FilesTestDirectory()
        let file = try dir.write("inv.yaml", """
            environments:
              - name: prod
            products:
              - owner: team
            clusters:
              - name: x
                environment: prod
                zones: [a]
            """)
        let found = thrownDiagnostics { try InventoryLoader.load(paths: [file]) }
        expectFileDiagnostic(found, file, 4, 5, exactly: "a product is missing 'name'")
        expectFileDiagnostic(found, file, 6, 5, exactly: "cluster 'x' is missing 'product'")
        #expect(found.count == 2, "\(renderDiagnostics(found))")
    }

    @Test func wrongTypesAreReportedAtTheValue() throws {
        let dir = try FilesTestDirectory()
        let file = try dir.write("inv.yaml", """
            environments:
              - name: prod
                protected: maybe
            products:
              - name: kafka
                owner: team
                maturity: {level: three, target_date: 2027-02-30}
            clusters:
              - name: kafka-prod
                product: kafka
                environment: prod
                zones: eu-west-1a
                nodes: {name: n}
            """)
        let found = thrownDiagnostics { try InventoryLoader.load(paths: [file]) }
        expectFileDiagnostic(found, file, 3, 16, exactly: "'protected' must be true or false, got 'maybe'")
        expectFileDiagnostic(found, file, 7, 23, exactly: "'level' must be a whole number, got 'three'")
        expectFileDiagnostic(found, file, 7, 43, "'target_date' must be a date written YYYY-MM-DD")
        expectFileDiagnostic(found, file, 12, 12, exactly: "'zones' must be a list, got 'eu-west-1a'")
        expectFileDiagnostic(found, file, 13, 12, exactly: "'nodes' must be a list, got a mapping")
        #expect(found.count == 5, "\(renderDiagnostics(found))")
    }

    @Test func duplicateNamesAcrossFilesSayWhereTheFirstOneIs() throws {
        let dir = try FilesTestDirectory()
        let a = try dir.write("a.yaml", """
            environments:
              - name: prod
            products:
              - name: kafka
                owner: team
            clusters:
              - name: kafka-prod
                product: kafka
                environment: prod
                zones: [z1]
                nodes:
                  - name: kafka-prod-1
                    zone: z1
            """)
        let b = try dir.write("b.yaml", """
            environments:
              - name: prod
            products:
              - name: kafka
                owner: other
            clusters:
              - name: kafka-prod
                product: kafka
                environment: prod
                zones: [z1]
              - name: kafka-prod-b
                product: kafka
                environment: prod
                zones: [z1]
                nodes:
                  - name: kafka-prod-1
                    zone: z1
                  - name: kafka-prod-1
                    zone: z1
            """)
        let found = thrownDiagnostics { try InventoryLoader.load(paths: [dir.path]) }
        expectFileDiagnostic(found, b, 2, 5, exactly: "duplicate environment 'prod' (first defined at \(a):2:5)")
        expectFileDiagnostic(found, b, 4, 5, exactly: "duplicate product 'kafka' (first defined at \(a):4:5)")
        expectFileDiagnostic(found, b, 7, 5, exactly: "duplicate cluster 'kafka-prod' (first defined at \(a):7:5)")
        expectFileDiagnostic(found, b, 16, 9, exactly: "duplicate node 'kafka-prod-1' (first defined at \(a):12:9)")
        expectFileDiagnostic(found, b, 18, 9, exactly: "duplicate node 'kafka-prod-1' (first defined at \(a):12:9)")
        #expect(found.count == 5, "\(renderDiagnostics(found))")
        expectSortedDiagnostics(found)
    }

    @Test func zonesMustBeDeclaredUniqueAndUsed() throws {
        let dir = try FilesTestDirectory()
        let file = try dir.write("inv.yaml", """
            environments:
              - name: prod
            products:
              - name: kafka
                owner: team
            clusters:
              - name: kafka-prod
                product: kafka
                environment: prod
                zones: [eu-west-1a, eu-west-1b]
                nodes:
                  - name: kafka-prod-3
                    zone: eu-west-1c
              - name: twice
                product: kafka
                environment: prod
                zones: [eu-west-1a, eu-west-1b, eu-west-1a]
              - name: empty
                product: kafka
                environment: prod
                zones: []
            """)
        let found = thrownDiagnostics { try InventoryLoader.load(paths: [file]) }
        expectFileDiagnostic(found, file, 13, 15, exactly:
            "node 'kafka-prod-3' is in zone 'eu-west-1c', which cluster 'kafka-prod' does not have "
            + "(zones: eu-west-1a, eu-west-1b)")
        expectFileDiagnostic(found, file, 17, 37, exactly: "cluster 'twice' lists zone 'eu-west-1a' more than once")
        expectFileDiagnostic(found, file, 21, 12, "cluster 'empty' has no zones")
        #expect(found.count == 3, "\(renderDiagnostics(found))")
    }

    @Test func unknownEnvironmentsAndProductsListTheKnownOnes() throws {
        let dir = try FilesTestDirectory()
        let file = try dir.write("inv.yaml", """
            environments:
              - name: test
              - name: prod
            products:
              - name: kafka
                owner: team
            clusters:
              - name: c1
                product: kafak
                environment: prd
                zones: [z1]
            """)
        let found = thrownDiagnostics { try InventoryLoader.load(paths: [file]) }
        expectFileDiagnostic(found, file, 9, 14, exactly:
            "cluster 'c1' refers to product 'kafak', which is not defined; known products: kafka")
        expectFileDiagnostic(found, file, 10, 18, exactly:
            "cluster 'c1' refers to environment 'prd', which is not defined; known environments: test, prod")
        #expect(found.count == 2, "\(renderDiagnostics(found))")
    }

    @Test func namesVariablesAndConnectionsAreChecked() throws {
        let dir = try FilesTestDirectory()
        let file = try dir.write("inv.yaml", """
            environments:
              - name: Prod
                variables: {LOG-LEVEL: debug, _OK: "1"}
            products:
              - name: kafka
                owner: team
            clusters:
              - name: Kafka-Prod
                product: kafka
                environment: Prod
                zones: [z1]
                connection: {type: winrm, host: x}
                nodes:
                  - name: n1
                    zone: z1
                    connection:
                      directory: d
            """)
        let found = thrownDiagnostics { try InventoryLoader.load(paths: [file]) }
        expectFileDiagnostic(found, file, 2, 11, "environment name 'Prod' is not valid: a name starts with a lowercase letter")
        expectFileDiagnostic(found, file, 3, 17, "variable name 'LOG-LEVEL' is not valid")
        expectFileDiagnostic(found, file, 8, 11, "cluster name 'Kafka-Prod' is not valid")
        expectFileDiagnostic(found, file, 12, 24, "connection type 'winrm' is not supported; supported: ")
        expectFileDiagnostic(found, file, 17, 11, exactly: "the connection of node 'n1' is missing 'type'")
        #expect(found.count == 5, "\(renderDiagnostics(found))")
    }

    @Test func itemsOfTheWrongShapeAreReported() throws {
        let dir = try FilesTestDirectory()
        let file = try dir.write("inv.yaml", """
            environment:
              - name: prod
            clusters:
              - just-a-name
              - name: c
                product: p
                environment: prod
                zones: [a, {b: c}]
                variables: [A, B]
                nodes:
                  - name: n
                    zone: a
                    labels: {role: [x]}
            """)
        let found = InventoryLoader.validate(paths: [file])
        expectFileDiagnostic(found, file, 1, 1, exactly:
            "unknown key 'environment' in the inventory file; expected one of: environments, products, clusters "
            + "(did you mean 'environments'?)")
        expectFileDiagnostic(found, file, 4, 5, exactly: "a cluster must be a mapping, got 'just-a-name'")
        expectFileDiagnostic(found, file, 8, 16, exactly: "each item of 'zones' must be a string, got a mapping")
        expectFileDiagnostic(found, file, 9, 16, exactly: "'variables' must be a mapping, got a list")
        expectFileDiagnostic(found, file, 13, 24, exactly: "'role' in 'labels' must be a string, got a list")
        expectFileDiagnostic(found, file, 6, 14, "refers to product 'p', which is not defined")
        expectFileDiagnostic(found, file, 7, 18, "refers to environment 'prod', which is not defined; known environments: none")
        #expect(found.count == 7, "\(renderDiagnostics(found))")
    }

    @Test func missingPathsAndEmptyDirectoriesAreReported() throws {
        let dir = try FilesTestDirectory()
        let empty = try dir.subdirectory("empty")
        let missing = dir.path + "/nope.yaml"
        let found = InventoryLoader.validate(paths: [empty, missing])
        #expect(found.count == 2, "\(renderDiagnostics(found))")
        #expect(found.allSatisfy { $0.location == nil })
        #expect(found.contains { $0.message.contains(missing) })
        #expect(InventoryLoader.validate(paths: []).count == 1)
    }
}
