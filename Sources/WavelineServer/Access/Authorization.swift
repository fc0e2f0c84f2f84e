import HTTPTypes
import Hummingbird
import WavelineCore
import WavelineEngine

/// What the permission table (`Permissions`) says of one person: every access check of the server, page or
/// API, asks here.
extension Identity {
    /// The decision on an action at every place (environment/product) it touches.
    func decision(_ action: Action, places: [RequiredAccess.Place]) -> Decision {
        AccessPolicy.check(grants: grants, action: action,
                           places: places.map { (environment: $0.environment, product: $0.product) }, person: name)
    }

    /// The decision on an action on the whole installation (users, tokens of others, the audit trail).
    func decision(_ action: Action) -> Decision {
        AccessPolicy.check(grants: grants, action: action, environment: nil, product: nil, person: name)
    }

    func may(_ action: Action, places: [RequiredAccess.Place]) -> Bool { decision(action, places: places).isAllowed }

    func may(_ action: Action) -> Bool { decision(action).isAllowed }
}

/// Access checks at the edge: every route asks here.
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
    func authorize(_ action: Action, places: [RequiredAccess.Place]) throws -> Identity {
        let identity = try signedIn()
        if case .denied(let message) = identity.decision(action, places: places) { throw APIError(.forbidden, message) }
        return identity
    }

    /// Allows an action on the whole installation (users, tokens of others, the audit trail).
    @discardableResult
    func authorize(_ action: Action) throws -> Identity {
        let identity = try signedIn()
        if case .denied(let message) = identity.decision(action) { throw APIError(.forbidden, message) }
        return identity
    }

    func mayRead(environment: String, product: String) -> Bool {
        identity?.may(.read, places: [RequiredAccess.Place(environment: environment, product: product)]) ?? false
    }
}
