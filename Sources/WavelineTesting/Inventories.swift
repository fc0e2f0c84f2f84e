// Inventory and strategy files the server suites write into a workbench.

/// An inventory of `count` local nodes in one cluster over two zones, named n1…nN.
public func localInventory(nodes count: Int, cluster: String = "app-test", environment: String = "test") -> String {
    var text = """
        environments:
          - {name: test}
          - {name: prod, protected: true}
        products:
          - {name: app, owner: team}
        clusters:
          - name: \(cluster)
            product: app
            environment: \(environment)
            zones: [a, b]
            nodes:

        """
    for index in 1...count {
        text += "      - {name: n\(index), zone: \(index % 2 == 1 ? "a" : "b")}\n"
    }
    return text
}

/// An inventory of `count` local nodes n1…nN in one cluster and one zone, so a single batch holds them all and
/// the order they run in is the inventory order.
public func oneZoneInventory(nodes count: Int, cluster: String = "app-test") -> String {
    var text = """
        environments:
          - {name: test}
        products:
          - {name: app, owner: team}
        clusters:
          - name: \(cluster)
            product: app
            environment: test
            zones: [a]
            nodes:

        """
    for index in 1...count { text += "      - {name: n\(index), zone: a}\n" }
    return text
}

/// A one-phase strategy: every node in one batch, `parallelism` at a time.
public func singlePhaseStrategy(_ name: String, parallelism: Int, failureBudget: String = "0") -> String {
    "name: \(name)\nfailure_budget: \(failureBudget)\nphases:\n  - {name: all, size: rest, batch_size: 100%, parallelism: \(parallelism)}\n"
}
