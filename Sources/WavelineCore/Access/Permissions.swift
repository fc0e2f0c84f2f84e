/// A role a person holds for a scope. Roles are ordered: each one may do everything the one before it may
/// (an approver may deploy; an admin may approve). `Permissions.table` says what each may do.
public enum Role: String, Sendable, Hashable, Codable, CaseIterable, Comparable, CustomStringConvertible {
    case viewer
    case `operator`
    case deployer
    case approver
    case admin

    public var rank: Int { Role.allCases.firstIndex(of: self) ?? 0 }
    public static func < (lhs: Role, rhs: Role) -> Bool { lhs.rank < rhs.rank }
    public var description: String { rawValue }

    /// What the role is for, in one line (the roles document shows it).
    public var purpose: String {
        switch self {
        case .viewer: return "reads deployments, logs, inventory, catalog and the audit trail"
        case .operator: return "runs routine operations (role `operator` in the catalog) and steers deployments under way"
        case .deployer: return "also runs operations whose catalog role is `deployer` (version deploys) and rolls back"
        case .approver: return "also approves deployments to protected environments and manual gates — never their own"
        case .admin: return "also manages users and every user's API tokens, and exports the audit trail"
        }
    }
}

/// Something a person asks Waveline to do. `deploy` carries the role the operation requires (its catalog
/// `role:`); the others are fixed.
public enum Action: Sendable, Hashable, CustomStringConvertible {
    /// Read deployments, logs, inventory and catalog.
    case read
    /// Start a deployment of an operation whose catalog role is the given one.
    case deploy(requiredRole: Role)
    case pause
    case resume
    case abort
    case retry
    case skip
    case rollback
    /// Open a manual gate between two phases.
    case approveGate
    /// Let a deployment to a protected environment start.
    case approveDeployment
    case readAudit
    case exportAudit
    /// Create and revoke one's own API tokens.
    case manageOwnTokens
    /// Create, change and remove users and their grants.
    case manageUsers
    /// Create and revoke any user's API tokens.
    case manageTokens

    /// Every action, in the order the table lists them (one `deploy` per catalog role).
    public static let all: [Action] =
        [.read] + Role.allCases.map { .deploy(requiredRole: $0) }
        + [.pause, .resume, .abort, .retry, .skip, .rollback, .approveGate, .approveDeployment,
           .readAudit, .exportAudit, .manageOwnTokens, .manageUsers, .manageTokens]

    /// The word used in messages and the table: `deploy (operation role deployer)`, `approve-gate`.
    public var description: String {
        switch self {
        case .read: return "read"
        case .deploy(let role): return "deploy (operation role \(role))"
        case .pause: return "pause"
        case .resume: return "resume"
        case .abort: return "abort"
        case .retry: return "retry"
        case .skip: return "skip"
        case .rollback: return "rollback"
        case .approveGate: return "approve-gate"
        case .approveDeployment: return "approve-deployment"
        case .readAudit: return "read-audit"
        case .exportAudit: return "export-audit"
        case .manageOwnTokens: return "manage-own-tokens"
        case .manageUsers: return "manage-users"
        case .manageTokens: return "manage-tokens"
        }
    }
}

/// The permission table: the only place that says who may do what. `waveline roles` prints it and
/// `docs/roles.md` is generated from it (a test fails when the committed document is stale).
public enum Permissions {
    /// Where a grant must apply for an action.
    public enum Reach: Sendable, Hashable {
        /// The environment and product acted on: a grant for that scope suffices.
        case place
        /// The whole installation: only a grant for all environments and products.
        case installation
        /// Nowhere in particular (one's own tokens): a grant in any scope suffices.
        case anywhere

        /// How the roles document names it.
        public var label: String {
            switch self {
            case .place: return "environment/product"
            case .installation: return "everything"
            case .anywhere: return "any scope"
            }
        }
    }

    /// One row of the table.
    public struct Rule: Sendable, Hashable {
        public var action: Action
        /// The least role allowed; every role above it is allowed too.
        public var minimumRole: Role
        public var reach: Reach
        public var explanation: String
    }

    public static let table: [Rule] = Action.all.map { action in
        switch action {
        case .read:
            return Rule(action: action, minimumRole: .viewer, reach: .place, explanation: "see deployments, their logs, the inventory and the catalog")
        case .deploy(let required):
            return Rule(action: action, minimumRole: max(required, .operator), reach: .place,
                        explanation: "start an operation whose catalog role is `\(required)`" + (required < .operator ? " (still needs operator: viewers never change anything)" : ""))
        case .pause:
            return Rule(action: action, minimumRole: .operator, reach: .place, explanation: "start nothing new; running nodes finish")
        case .resume:
            return Rule(action: action, minimumRole: .operator, reach: .place, explanation: "continue a paused or halted deployment")
        case .abort:
            return Rule(action: action, minimumRole: .operator, reach: .place, explanation: "stop now, ending running commands")
        case .retry:
            return Rule(action: action, minimumRole: .operator, reach: .place, explanation: "run failed or interrupted nodes again")
        case .skip:
            return Rule(action: action, minimumRole: .operator, reach: .place, explanation: "leave nodes out of a deployment")
        case .rollback:
            return Rule(action: action, minimumRole: .deployer, reach: .place, explanation: "run the rollback steps on the nodes that completed")
        case .approveGate:
            return Rule(action: action, minimumRole: .approver, reach: .place, explanation: "open a manual gate between phases (on a protected environment, not one's own deployment)")
        case .approveDeployment:
            return Rule(action: action, minimumRole: .approver, reach: .place, explanation: "let a deployment to a protected environment start (never one's own)")
        case .readAudit:
            return Rule(action: action, minimumRole: .viewer, reach: .installation, explanation: "read the audit trail and verify its hash chain")
        case .exportAudit:
            return Rule(action: action, minimumRole: .admin, reach: .installation, explanation: "export the whole audit trail as JSON lines")
        case .manageOwnTokens:
            return Rule(action: action, minimumRole: .viewer, reach: .anywhere, explanation: "create and revoke one's own API tokens")
        case .manageUsers:
            return Rule(action: action, minimumRole: .admin, reach: .installation, explanation: "create users, change their grants, remove them")
        case .manageTokens:
            return Rule(action: action, minimumRole: .admin, reach: .installation, explanation: "create and revoke any user's API tokens")
        }
    }

    public static func rule(for action: Action) -> Rule {
        // Every action has a row (`table` is built from `Action.all`).
        table.first { $0.action == action } ?? Rule(action: action, minimumRole: .admin, reach: .installation, explanation: "")
    }

    /// Whether the role may do the action somewhere (scope aside).
    public static func allows(role: Role, action: Action) -> Bool {
        role >= rule(for: action).minimumRole
    }
}

/// A role given to a person for a scope: every environment and product, or some environments and/or some
/// products (`deployer` on kafka in dev).
public struct Grant: Sendable, Hashable, Codable, CustomStringConvertible {
    public var role: Role
    /// Empty: every environment.
    public var environments: [String]
    /// Empty: every product.
    public var products: [String]

    public init(role: Role, environments: [String] = [], products: [String] = []) {
        self.role = role
        self.environments = environments
        self.products = products
    }

    public var coversEverything: Bool { environments.isEmpty && products.isEmpty }

    /// Whether the grant's scope includes the environment and product; nil means "the whole installation",
    /// which only a grant for everything covers.
    public func covers(environment: String?, product: String?) -> Bool {
        let environmentOK = environment.map { environments.isEmpty || environments.contains($0) } ?? environments.isEmpty
        let productOK = product.map { products.isEmpty || products.contains($0) } ?? products.isEmpty
        return environmentOK && productOK
    }

    /// `deployer on kafka in dev`, `admin on everything`.
    public var description: String {
        var parts: [String] = []
        if !products.isEmpty { parts.append("on " + products.joined(separator: ", ")) }
        if !environments.isEmpty { parts.append("in " + environments.joined(separator: ", ")) }
        return "\(role) " + (parts.isEmpty ? "on everything" : parts.joined(separator: " "))
    }
}

/// The answer of an access check.
public enum Decision: Sendable, Hashable {
    case allowed
    /// Names the missing permission, for a 403's message.
    case denied(String)

    public var isAllowed: Bool { self == .allowed }
}

/// Decides whether a person's grants allow an action where it applies.
public enum AccessPolicy {
    /// `environment`/`product` nil: an action on the whole installation (managing users, exporting the trail).
    public static func check(
        grants: [Grant], action: Action, environment: String?, product: String?, person: String = "you"
    ) -> Decision {
        let rule = Permissions.rule(for: action)
        let (environment, product) = rule.reach == .place ? (environment, product) : (nil, nil)
        if grants.contains(where: { $0.role >= rule.minimumRole && (rule.reach == .anywhere || $0.covers(environment: environment, product: product)) }) {
            return .allowed
        }
        let place: String
        let scope: String
        switch (environment, product) {
        case let (environment?, product?):
            place = " in \(environment)/\(product)"
            scope = "for \(product) in \(environment)"
        case let (environment?, nil):
            place = " in \(environment)"
            scope = "in \(environment)"
        case let (nil, product?):
            place = " on \(product)"
            scope = "for \(product)"
        case (nil, nil):
            place = ""
            scope = "for everything"
        }
        return .denied("\(person) may not \(action)\(place): needs \(rule.minimumRole) (or higher) \(scope)")
    }

    /// Checks every environment/product pair a deployment touches; the first denial wins.
    public static func check(
        grants: [Grant], action: Action, places: [(environment: String, product: String)], person: String = "you"
    ) -> Decision {
        for place in places {
            let decision = check(grants: grants, action: action, environment: place.environment, product: place.product, person: person)
            if !decision.isAllowed { return decision }
        }
        return .allowed
    }
}
