import HTTPTypes
import WavelineAPI
import WavelineCore
import WavelineEngine
import WavelineStore

/// A stored deployment checked against the caller's grants: every read of one deployment, and every action on
/// one, starts here.
struct DeploymentAccess: Sendable {
    let reader: any DeploymentReader

    /// A stored deployment, or a 404.
    func record(_ id: Int64) async throws -> DeploymentRecord {
        guard let record = try await reader.deployment(id) else { throw APIError(.notFound, "no deployment #\(id)") }
        return record
    }

    /// 404 when there is no such deployment, 403 when the caller may not read it.
    @discardableResult
    func authorizeRead(_ id: Int64, context: WavelineRequestContext) async throws -> DeploymentRecord {
        let record = try await record(id)
        try context.authorize(.read, places: record.places)
        return record
    }

    /// The caller, when they may take `action` on the deployment as it stands now (404, 403 otherwise), and that
    /// state. The engine still checks the state and four-eyes.
    func authorize(_ action: OperatorAction, on id: Int64, context: WavelineRequestContext) async throws -> (actor: Identity, status: DeploymentStatus) {
        let record = try await record(id)
        return (try context.authorize(action.permission(deploymentStatus: record.status), places: record.places), record.status)
    }

    /// The same for a caller known otherwise than by the request (a Slack account mapped to a user).
    func authorize(_ action: OperatorAction, on id: Int64, identity: Identity) async throws {
        let record = try await record(id)
        if case .denied(let message) = identity.decision(action.permission(deploymentStatus: record.status), places: record.places) {
            throw APIError(.forbidden, message)
        }
    }
}

extension DeploymentRecord {
    /// The environment/product pairs a deployment may touch. Stored as two lists, so this is their product:
    /// a superset of the real pairs when a deployment spans several of each, which can only deny more.
    var places: [RequiredAccess.Place] {
        let environments = self.environments.split(separator: ",").map(String.init)
        let products = self.products.split(separator: ",").map(String.init)
        return environments.flatMap { environment in products.map { RequiredAccess.Place(environment: environment, product: $0) } }
    }
}

/// Which deployments a live stream may name to its viewer: asked of the store once per deployment, and not at
/// all for someone who may read everything.
struct ReadableDeployments {
    private let identity: Identity
    private let reader: any DeploymentReader
    private let readsEverything: Bool
    private var known: [Int64: Bool] = [:]

    init(identity: Identity, reads: ReadSide) {
        self.identity = identity
        self.reader = reads.reader
        readsEverything = identity.grants.contains { $0.role >= .viewer && $0.coversEverything }
    }

    mutating func contains(_ id: Int64) async throws -> Bool {
        if readsEverything { return true }
        if let answer = known[id] { return answer }
        let places = try await reader.deployment(id)?.places ?? []
        let answer = !places.isEmpty && identity.may(.read, places: places)
        known[id] = answer
        return answer
    }
}

extension ReadableDeployments {
    /// The deployment whose node entered or left a step in these lines (step boundaries are system lines).
    static func movingStep(_ lines: [LogLineRecord]) -> Int64? {
        lines.first { $0.stream == .system }?.deploymentId
    }
}
