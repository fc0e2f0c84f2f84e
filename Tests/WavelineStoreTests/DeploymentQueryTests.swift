import Testing
import WavelineCore
import WavelineStore

@Suite(.timeLimit(.minutes(1)))
struct DeploymentQueryTests {
    /// id: status, environments, products, requester.
    static let rows: [DeploymentRecord] = [
        Fixture.deployment(1, status: .succeeded, environments: ["dev"], products: ["kafka"], requestedBy: "alice"),
        Fixture.deployment(2, status: .running, environments: ["devx"], products: ["kafka-connect"], requestedBy: "bob"),
        Fixture.deployment(3, status: .failed, environments: ["dev", "prod"], products: ["valkey", "kafka"], requestedBy: "alice"),
        Fixture.deployment(4, status: .paused, environments: ["prod"], products: ["mongodb"], requestedBy: "carol"),
        Fixture.deployment(5, status: .halted, environments: ["test"], products: ["kafka"], requestedBy: "bob"),
        Fixture.deployment(6, status: .queued, environments: ["prod", "devx"], products: ["trino"], requestedBy: "carol"),
        Fixture.deployment(7, status: .cancelled, environments: ["test"], products: ["trino"], requestedBy: "alice"),
        Fixture.deployment(8, status: .rollingBack, environments: ["pre-prod"], products: ["mongodb"], requestedBy: "bob"),
        Fixture.deployment(9, status: .rolledBack, environments: ["prod"], products: ["kafka"], requestedBy: "carol"),
    ]

    func ids(_ store: any DeploymentStore, _ query: DeploymentQuery) async throws -> [Int64] {
        try await store.deployments(query).map(\.id)
    }

    func withRows(_ backend: StoreBackend, _ body: (any DeploymentStore) async throws -> Void) async throws {
        try await backend.withStore { harness in
            // Written out of order: listings order by id, not by insertion.
            try await harness.store.write(Self.rows.reversed().map { .saveDeployment($0) })
            try await body(harness.store)
        }
    }

    @Test(arguments: StoreBackend.all)
    func listsNewestFirstAndFiltersByStatusProductAndRequester(backend: StoreBackend) async throws {
        try await withRows(backend) { store async throws in
            #expect(try await ids(store, DeploymentQuery()) == [9, 8, 7, 6, 5, 4, 3, 2, 1])
            #expect(try await store.deployments(DeploymentQuery()) == Self.rows.reversed())
            #expect(try await ids(store, DeploymentQuery(statuses: [.running, .paused])) == [4, 2])
            #expect(try await ids(store, DeploymentQuery(statuses: [.rollingBack])) == [8])
            #expect(try await ids(store, DeploymentQuery(product: "kafka")) == [9, 5, 3, 1], "not kafka-connect")
            #expect(try await ids(store, DeploymentQuery(product: "kafka-connect")) == [2])
            #expect(try await ids(store, DeploymentQuery(requestedBy: "alice")) == [7, 3, 1])
            #expect(try await ids(store, DeploymentQuery(requestedBy: "ALICE")) == [])
            #expect(try await ids(store, DeploymentQuery(statuses: [.failed, .succeeded], environment: "prod", requestedBy: "alice")) == [3])
        }
    }

    /// Environments are a comma-joined list: a filter matches a whole item, never part of one.
    @Test(arguments: StoreBackend.all)
    func environmentFilterMatchesWholeItemsOfTheList(backend: StoreBackend) async throws {
        try await withRows(backend) { store async throws in
            #expect(try await ids(store, DeploymentQuery(environment: "dev")) == [3, 1], "dev must not match devx")
            #expect(try await ids(store, DeploymentQuery(environment: "devx")) == [6, 2])
            #expect(try await ids(store, DeploymentQuery(environment: "prod")) == [9, 6, 4, 3], "prod must not match pre-prod")
            #expect(try await ids(store, DeploymentQuery(environment: "pre-prod")) == [8])
            #expect(try await ids(store, DeploymentQuery(environment: "de")) == [])
        }
    }

    /// Names are exact everywhere else (selections, inventory); a filter must not treat them as patterns or
    /// fold their case, and must give the same answer on every backend.
    ///
    /// Fails on SQLite: SQLDeploymentStore.deployments interpolates the name into a LIKE pattern unescaped
    /// (`%` and `_` are wildcards, a comma spans two items) and SQLite's LIKE ignores ASCII case while
    /// PostgreSQL's does not.
    @Test(arguments: StoreBackend.all)
    func filtersAreNotPatternsAndAreCaseSensitive(backend: StoreBackend) async throws {
        try await withRows(backend) { store async throws in
            #expect(try await ids(store, DeploymentQuery(environment: "dev,prod")) == [], "one item, not a list")
            #expect(try await ids(store, DeploymentQuery(environment: "%")) == [])
            #expect(try await ids(store, DeploymentQuery(environment: "d_v")) == [])
            #expect(try await ids(store, DeploymentQuery(environment: "pre_prod")) == [])
            #expect(try await ids(store, DeploymentQuery(product: "kafka_connect")) == [])
            #expect(try await ids(store, DeploymentQuery(product: "%")) == [])
            #expect(try await ids(store, DeploymentQuery(environment: "PROD")) == [])
            #expect(try await ids(store, DeploymentQuery(product: "Kafka")) == [])
        }
    }

    @Test(arguments: StoreBackend.all)
    func pagesWithBeforeIDAndLimit(backend: StoreBackend) async throws {
        try await withRows(backend) { store async throws in
            #expect(try await ids(store, DeploymentQuery(limit: 4)) == [9, 8, 7, 6])
            #expect(try await ids(store, DeploymentQuery(beforeID: 6, limit: 4)) == [5, 4, 3, 2])
            #expect(try await ids(store, DeploymentQuery(beforeID: 2, limit: 4)) == [1])
            #expect(try await ids(store, DeploymentQuery(beforeID: 1, limit: 4)) == [])
            // Paging composes with filters.
            #expect(try await ids(store, DeploymentQuery(requestedBy: "bob", limit: 1)) == [8])
            #expect(try await ids(store, DeploymentQuery(requestedBy: "bob", beforeID: 8, limit: 1)) == [5])
            #expect(try await ids(store, DeploymentQuery(requestedBy: "bob", beforeID: 5, limit: 1)) == [2])
            #expect(try await ids(store, DeploymentQuery(requestedBy: "bob", beforeID: 2, limit: 1)) == [])
        }
    }

    @Test(arguments: StoreBackend.all)
    func unfinishedDeploymentsAreTheNonFinalOnesOldestFirst(backend: StoreBackend) async throws {
        try await withRows(backend) { store async throws in
            // Waiting for a second person's approval is unfinished too.
            try await store.write([.saveDeployment(Fixture.deployment(10, status: .pendingApproval))])
            let unfinished = try await store.unfinishedDeployments()
            #expect(unfinished.map(\.id) == [2, 4, 5, 6, 8, 10])
            #expect(unfinished.allSatisfy { !$0.status.isFinal })
            #expect(Set(unfinished.map(\.status)) == Set(DeploymentStatus.allCases.filter { !$0.isFinal }))
        }
    }
}
