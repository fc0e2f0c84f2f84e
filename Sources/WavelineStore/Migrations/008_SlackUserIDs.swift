extension Migration {
    /// `users.slack_user_id`: the Slack account (`U…`) whose button presses act as this user. One Slack account
    /// stands for at most one user.
    static let m008SlackUserIDs = Migration(version: 8, name: "slack user ids", statements: [
        "ALTER TABLE users ADD COLUMN slack_user_id TEXT",
        "CREATE UNIQUE INDEX users_slack_user_id ON users (slack_user_id)",
    ])
}
