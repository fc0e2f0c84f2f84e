import HTTPTypes
import Hummingbird
import WavelineCore
import WavelineEngine
import WavelineStore

/// Access checks at the edge: every route asks here, with the one permission table (`Permissions`) deciding.
extension WavelineRequestContext {
    /// The caller, or a 401 that says how to sign in.
    func signedIn() throws -> Identity {
        guard let identity else {
            throw APIError(.unauthorized, "sign in first: send `Authorization: Bearer <token>` (make a token with `waveline login`), or sign in to the web UI")
        }
        return identity
    }

    /// Allows an action on every place (environment/product) it touches, or answers 403 naming the missing
    /// permission.
    @discardableResult
    func authorize(_ action: Action, places: [DeploymentScope.Place]) throws -> Identity {
        let identity = try signedIn()
        let decision = AccessPolicy.check(grants: identity.grants, action: action,
                                          places: places.map { (environment: $0.environment, product: $0.product) }, person: identity.name)
        if case .denied(let message) = decision { throw APIError(.forbidden, message) }
        return identity
    }

    /// Allows an action on the whole installation (users, tokens of others, the audit trail).
    @discardableResult
    func authorize(_ action: Action) throws -> Identity {
        let identity = try signedIn()
        let decision = AccessPolicy.check(grants: identity.grants, action: action, environment: nil, product: nil, person: identity.name)
        if case .denied(let message) = decision { throw APIError(.forbidden, message) }
        return identity
    }

    /// Allows an action on a stored deployment.
    @discardableResult
    func authorize(_ action: Action, on deployment: DeploymentRecord) throws -> Identity {
        try authorize(action, places: deployment.places)
    }

    /// Whether the caller may see the deployment (lists leave out the others).
    func mayRead(_ deployment: DeploymentRecord) -> Bool {
        guard let identity else { return false }
        return AccessPolicy.check(grants: identity.grants, action: .read,
                                  places: deployment.places.map { (environment: $0.environment, product: $0.product) }).isAllowed
    }

    func mayRead(environment: String, product: String) -> Bool {
        guard let identity else { return false }
        return AccessPolicy.check(grants: identity.grants, action: .read, environment: environment, product: product).isAllowed
    }
}

extension DeploymentRecord {
    /// The environment/product pairs a deployment may touch. Stored as two lists, so this is their product:
    /// a superset of the real pairs when a deployment spans several of each, which can only deny more.
    var places: [DeploymentScope.Place] {
        let environments = self.environments.split(separator: ",").map(String.init)
        let products = self.products.split(separator: ",").map(String.init)
        return environments.flatMap { environment in products.map { DeploymentScope.Place(environment: environment, product: $0) } }
    }
}

extension OperatorAction {
    /// The permission an operator action needs on a deployment in `status`: `approve` lets a deployment to a
    /// protected environment start, or opens a manual gate.
    func permission(deploymentStatus status: DeploymentStatus) -> Action {
        switch self {
        case .pause: return .pause
        case .resume: return .resume
        case .abort: return .abort
        case .retry: return .retry
        case .skip: return .skip
        case .rollback: return .rollback
        case .approve: return status == .pendingApproval ? .approveDeployment : .approveGate
        }
    }
}
