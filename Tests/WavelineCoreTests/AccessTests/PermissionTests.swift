import Foundation
import Testing
import WavelineCore

/// The permission table, cell by cell: every role × action × scope, against expectations written here by hand
/// (not derived from the table), and the generated roles document against the committed one.
@Suite struct PermissionTests {
    /// The least role for each action, as the product decided it.
    /// Where: `place` (the scope must cover it), `all` (only a grant for everything), `any` (any grant).
    enum Where { case place, all, any }
    static let minimum: [(Action, Role, Where)] = [
        (.read, .viewer, .place),
        (.deploy(requiredRole: .viewer), .operator, .place),
        (.deploy(requiredRole: .operator), .operator, .place),
        (.deploy(requiredRole: .deployer), .deployer, .place),
        (.deploy(requiredRole: .approver), .approver, .place),
        (.deploy(requiredRole: .admin), .admin, .place),
        (.pause, .operator, .place), (.resume, .operator, .place), (.abort, .operator, .place),
        (.retry, .operator, .place), (.skip, .operator, .place),
        (.rollback, .deployer, .place),
        (.approveGate, .approver, .place), (.approveDeployment, .approver, .place),
        (.readAudit, .viewer, .all), (.exportAudit, .admin, .all), (.manageOwnTokens, .viewer, .any),
        (.manageUsers, .admin, .all), (.manageTokens, .admin, .all),
    ]

    /// Scopes, and whether each covers kafka in prod.
    static let scopes: [(environments: [String], products: [String], coversKafkaProd: Bool)] = [
        ([], [], true),
        (["prod"], [], true),
        (["dev"], [], false),
        (["dev", "prod"], [], true),
        ([], ["kafka"], true),
        ([], ["valkey"], false),
        (["prod"], ["kafka"], true),
        (["prod"], ["valkey"], false),
        (["dev"], ["kafka"], false),
    ]

    @Test func theTableHasEveryActionOnceAndMatchesTheDecisions() {
        #expect(Permissions.table.map(\.action) == Self.minimum.map(\.0))
        #expect(Set(Permissions.table.map(\.action.description)).count == Permissions.table.count)
    }

    @Test(arguments: Role.allCases)
    func everyCellOfRoleActionAndScope(role: Role) {
        for (action, least, reach) in Self.minimum {
            let roleAllows = role.rank >= least.rank
            #expect(Permissions.allows(role: role, action: action) == roleAllows, "\(role) \(action)")
            for scope in Self.scopes {
                let grant = Grant(role: role, environments: scope.environments, products: scope.products)
                let decision = AccessPolicy.check(grants: [grant], action: action, environment: "prod", product: "kafka", person: "alice")
                // Installation-wide actions need a grant for everything.
                let covered: Bool
                switch reach {
                case .place: covered = scope.coversKafkaProd
                case .all: covered = grant.coversEverything
                case .any: covered = true
                }
                #expect(decision.isAllowed == (roleAllows && covered), "\(grant) \(action): \(decision)")
                if case .denied(let message) = decision {
                    #expect(message.hasPrefix("alice may not \(action)"), "\(message)")
                    #expect(message.contains("needs \(least)"), "\(message)")
                }
            }
        }
    }

    @Test func theDenialNamesTheMissingPermission() {
        let grants = [Grant(role: .deployer, environments: ["prod"], products: ["kafka"]), Grant(role: .approver, environments: ["dev"])]
        #expect(AccessPolicy.check(grants: grants, action: .approveDeployment, environment: "prod", product: "kafka", person: "alice")
            == .denied("alice may not approve-deployment in prod/kafka: needs approver (or higher) for kafka in prod"))
        #expect(AccessPolicy.check(grants: grants, action: .approveDeployment, environment: "dev", product: "kafka", person: "alice") == .allowed)
        #expect(AccessPolicy.check(grants: grants, action: .manageUsers, environment: nil, product: nil, person: "alice")
            == .denied("alice may not manage-users: needs admin (or higher) for everything"))
        // A deployment over several places needs every one.
        let places = [(environment: "prod", product: "kafka"), (environment: "prod", product: "valkey")]
        #expect(AccessPolicy.check(grants: grants, action: .deploy(requiredRole: .deployer), places: places, person: "alice")
            == .denied("alice may not deploy (operation role deployer) in prod/valkey: needs deployer (or higher) for valkey in prod"))
        #expect(AccessPolicy.check(grants: [], action: .read, environment: "dev", product: "kafka").isAllowed == false)
    }

    @Test func grantsDescribeTheirScope() {
        #expect(Grant(role: .deployer, environments: ["dev"], products: ["kafka"]).description == "deployer on kafka in dev")
        #expect(Grant(role: .admin).description == "admin on everything")
        #expect(Grant(role: .viewer, environments: ["prod"]).covers(environment: nil, product: nil) == false)
    }

    @Test func theCommittedRolesDocumentIsCurrent() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let committed = try String(contentsOf: root.appendingPathComponent("docs/roles.md"), encoding: .utf8)
        #expect(committed == RolesDocument.markdown, "docs/roles.md is stale: run `swift run waveline roles --markdown > docs/roles.md`")
        for role in Role.allCases { #expect(committed.contains("`\(role)`")) }
    }
}
