import WavelineAPI
import WavelineCore
import WavelineIdentity

// Users and API tokens as the API shows them (never a password hash or a token's hash).

extension UserView {
    init(_ record: User, note: String? = nil) {
        self.init(
            name: record.name,
            grants: record.grants.map(GrantBody.init),
            hasPassword: record.passwordHash != nil,
            createdAt: record.createdAt,
            createdBy: record.createdBy,
            slackUserId: record.slackUserId,
            note: note
        )
    }
}

extension TokenView {
    init(_ record: APIToken) {
        self.init(
            id: record.id,
            name: record.name,
            user: record.userName,
            createdAt: record.createdAt,
            expiresAt: record.expiresAt,
            revokedAt: record.revokedAt,
            createdBy: record.createdBy
        )
    }
}
