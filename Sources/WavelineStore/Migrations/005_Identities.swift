extension Migration {
    /// Who may sign in: users with their grants, API tokens (hashed), and browser sessions (id hashed).
    static let m005Identities = Migration(version: 5, name: "identities", statements: [
        """
        CREATE TABLE users (
            name TEXT PRIMARY KEY,
            password_hash TEXT,
            grants_json TEXT NOT NULL,
            created_at DOUBLE PRECISION NOT NULL,
            updated_at DOUBLE PRECISION NOT NULL,
            created_by TEXT NOT NULL
        )
        """,
        """
        CREATE TABLE api_tokens (
            id TEXT PRIMARY KEY,
            user_name TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
            name TEXT NOT NULL,
            token_hash TEXT NOT NULL UNIQUE,
            created_at DOUBLE PRECISION NOT NULL,
            expires_at DOUBLE PRECISION NOT NULL,
            revoked_at DOUBLE PRECISION,
            created_by TEXT NOT NULL
        )
        """,
        "CREATE INDEX api_tokens_user ON api_tokens (user_name)",
        """
        CREATE TABLE sessions (
            id_hash TEXT PRIMARY KEY,
            user_name TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
            csrf_token TEXT NOT NULL,
            created_at DOUBLE PRECISION NOT NULL,
            expires_at DOUBLE PRECISION NOT NULL,
            origin TEXT NOT NULL
        )
        """,
        "CREATE INDEX sessions_user ON sessions (user_name)",
    ])
}
