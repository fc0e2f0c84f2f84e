import SQLKit

extension SQLDeploymentStore: IdentityStore {
    public func users() async throws -> [UserRecord] {
        try await reader.select().column("*").from("users").orderBy("name").all(decoding: UserRecord.self)
    }

    public func user(named name: String) async throws -> UserRecord? {
        try await reader.select().column("*").from("users").where("name", .equal, SQLBind(name)).first(decoding: UserRecord.self)
    }

    public func user(slackUserId: String) async throws -> UserRecord? {
        try await reader.select().column("*").from("users").where("slack_user_id", .equal, SQLBind(slackUserId)).first(decoding: UserRecord.self)
    }

    public func token(hash: String) async throws -> APITokenRecord? {
        try await reader.select().column("*").from("api_tokens").where("token_hash", .equal, SQLBind(hash))
            .first(decoding: APITokenRecord.self)
    }

    public func token(id: String) async throws -> APITokenRecord? {
        try await reader.select().column("*").from("api_tokens").where("id", .equal, SQLBind(id))
            .first(decoding: APITokenRecord.self)
    }

    public func tokens(ofUser user: String?) async throws -> [APITokenRecord] {
        let select = reader.select().column("*").from("api_tokens")
        if let user { select.where("user_name", .equal, SQLBind(user)) }
        return try await select.orderBy("created_at", .descending).all(decoding: APITokenRecord.self)
    }

    public func session(idHash: String) async throws -> SessionRecord? {
        try await reader.select().column("*").from("sessions").where("id_hash", .equal, SQLBind(idHash))
            .first(decoding: SessionRecord.self)
    }
}
