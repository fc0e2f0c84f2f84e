import ArgumentParser
import Foundation
import WavelineCore
import WavelineAPI

/// Reads a password: from standard input (`--password-stdin`, for scripts) or typed at the terminal, unseen.
func readPassword(fromStandardInput: Bool, prompt: String) throws -> String {
    if fromStandardInput {
        guard let line = readLine(strippingNewline: true), !line.isEmpty else { throw CLIError("--password-stdin: standard input had no password") }
        return line
    }
    guard let typed = getpass(prompt) else { throw CLIError("cannot read a password from the terminal; use --password-stdin") }
    return String(cString: typed)
}

struct LoginCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "login",
        abstract: "Sign in with your password and save an API token for this server.",
        discussion: "The token is saved in ~/.config/waveline/credentials.json (readable by you only) and sent by every other command. It expires; `waveline logout` revokes it."
    )

    @Option(name: .long, help: "Your user name (default: $USER).") var user: String = ProcessInfo.processInfo.environment["USER"] ?? ""
    @Flag(name: .long, help: "Read the password from standard input instead of the terminal.") var passwordStdin = false
    @Option(name: .long, help: "Days until the token expires (1–366).") var expiresInDays: Int = 30
    @Option(name: .long, help: "The token's name, to recognise it in `waveline tokens list`.") var name: String = "cli on \(ProcessInfo.processInfo.hostName)"
    @OptionGroup var client: ClientOptions

    func run() async throws {
        let password = try readPassword(fromStandardInput: passwordStdin, prompt: "Password for \(user): ")
        var api = client.client
        api.basic = (user, password)
        let made = try await reporting {
            try await api.post("/api/v1/tokens", body: CreateTokenBody(name: name, expiresInDays: expiresInDays), as: CreatedToken.self)
        }
        var credentials = Credentials.load()
        credentials.servers[client.baseURL] = .init(user: made.details.user, token: made.token, tokenID: made.details.id, expiresAt: made.details.expiresAt)
        try credentials.save()
        print("Signed in to \(client.baseURL) as \(made.details.user); token '\(made.details.name)' (\(made.details.id)) expires \(ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: made.details.expiresAt))).")
    }
}

struct LogoutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logout", abstract: "Revoke the saved API token of this server and forget it.")
    @OptionGroup var client: ClientOptions

    func run() async throws {
        var credentials = Credentials.load()
        guard let entry = credentials.servers[client.baseURL] else { throw CLIError("no saved token for \(client.baseURL)") }
        let api = APIClient(baseURL: client.baseURL, token: entry.token)
        do {
            _ = try await api.delete("/api/v1/tokens/\(entry.tokenID)", as: TokenView.self)
        } catch let error as APIClient.Failure {
            // Already expired or revoked: forgetting it is all that is left to do.
            print("note: the server did not revoke the token: \(error.description)")
        }
        credentials.servers[client.baseURL] = nil
        try credentials.save()
        print("Signed out of \(client.baseURL).")
    }
}

struct WhoamiCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "whoami", abstract: "Who the server knows you as, and your roles.")
    @Flag(help: "Print the result as JSON.") var json = false
    @OptionGroup var client: ClientOptions

    func run() async throws {
        let api = client.client
        let me = try await reporting { try await api.get("/api/v1/me", as: SessionView.self) }
        if json { return try printJSON(me) }
        print("\(me.user) — " + describe(me.grants))
    }
}

/// `deployer on kafka in dev; approver in prod`, or `no roles`.
func describe(_ grants: [GrantBody]) -> String {
    grants.isEmpty ? "no roles" : grants.map(\.grant.description).joined(separator: "; ")
}

/// `deployer`, `deployer:env=dev,prod:product=kafka`: a role and, optionally, its scope.
func parseGrant(_ text: String) throws -> GrantBody {
    let parts = text.split(separator: ":").map(String.init)
    guard let first = parts.first, let role = Role(rawValue: first) else {
        throw ValidationError("--grant '\(text)': start with a role (\(Role.allCases.map(\.rawValue).joined(separator: ", "))), e.g. deployer:env=dev:product=kafka")
    }
    var grant = GrantBody(role: role)
    for part in parts.dropFirst() {
        let pair = part.split(separator: "=", maxSplits: 1).map(String.init)
        guard pair.count == 2, !pair[1].isEmpty else { throw ValidationError("--grant '\(text)': '\(part)' should be env=A,B or product=C,D") }
        let values = pair[1].split(separator: ",").map(String.init)
        switch pair[0] {
        case "env", "environment": grant.environments = values
        case "product": grant.products = values
        default: throw ValidationError("--grant '\(text)': unknown scope '\(pair[0])'; use env= or product=")
        }
    }
    return grant
}

struct UsersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users", abstract: "List, add, change and remove users (admins).",
        subcommands: [List.self, Add.self, Grant.self, Passwd.self, Slack.self, Remove.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every user with their roles.")
        @Flag(help: "Print the result as JSON.") var json = false
        @OptionGroup var client: ClientOptions

        func run() async throws {
            let api = client.client
            let list = try await reporting { try await api.get("/api/v1/users", as: UserList.self) }
            if json { return try printJSON(list) }
            for user in list.users {
                let roles = describe(user.grants)
                let slack = user.slackUserId.map { "\tslack \($0)" } ?? ""
                print("\(user.name)\t\(roles)\(user.hasPassword ? "" : "\t(token only)")\(slack)")
            }
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a user with roles; a password is asked for unless --token-only.")
        @Argument(help: "The user name.") var name: String
        @Option(name: .long, help: "A role and scope (repeatable): viewer, deployer:env=dev:product=kafka, approver:env=prod.") var grant: [String] = []
        @Flag(name: .long, help: "No password: the user signs in only with API tokens an admin makes (automation).") var tokenOnly = false
        @Flag(name: .long, help: "Read the password from standard input.") var passwordStdin = false
        @Option(name: .long, help: "The user's Slack member id (U…): their presses on Waveline's Slack buttons act as this user.") var slackUserId: String?
        @OptionGroup var client: ClientOptions

        func run() async throws {
            let grants = try grant.map(parseGrant)
            let password = tokenOnly ? nil : try readPassword(fromStandardInput: passwordStdin, prompt: "New password for \(name): ")
            let api = client.client
            let user = try await reporting {
                try await api.post("/api/v1/users", body: CreateUserBody(name: name, password: password, grants: grants, slackUserId: slackUserId), as: UserView.self)
            }
            print("Added \(user.name): " + describe(user.grants))
        }
    }

    struct Grant: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Replace a user's roles.")
        @Argument(help: "The user name.") var name: String
        @Option(name: .long, help: "A role and scope (repeatable); none removes every role.") var grant: [String] = []
        @OptionGroup var client: ClientOptions

        func run() async throws {
            let grants = try grant.map(parseGrant)
            let api = client.client
            let user = try await reporting {
                try await api.patch("/api/v1/users/\(name)", body: UpdateUserBody(grants: grants), as: UserView.self)
            }
            print("\(user.name): " + describe(user.grants))
        }
    }

    struct Passwd: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set a user's password (yours, with your current one, or anyone's as an admin).",
            discussion: "It signs them out of every browser and ends their open live streams. Their API tokens keep working unless --revoke-tokens. With --password-stdin, changing your own reads two lines: the current password, then the new one."
        )
        @Argument(help: "The user name.") var name: String
        @Flag(name: .long, help: "Read the password from standard input (for your own: the current one, then the new one).") var passwordStdin = false
        @Flag(name: .long, help: "Revoke the user's API tokens too.") var revokeTokens = false
        @OptionGroup var client: ClientOptions

        func run() async throws {
            let api = client.client
            let me = try await reporting { try await api.get("/api/v1/me", as: SessionView.self) }
            let current = me.user == name ? try readPassword(fromStandardInput: passwordStdin, prompt: "Your current password: ") : nil
            let password = try readPassword(fromStandardInput: passwordStdin, prompt: "New password for \(name): ")
            let changed = try await reporting {
                try await api.patch("/api/v1/users/\(name)", body: UpdateUserBody(
                    password: password, currentPassword: current, revokeTokens: revokeTokens ? true : nil
                ), as: UserView.self)
            }
            print("Changed the password of \(name).")
            if let note = changed.note { print(note) }
        }
    }

    struct Slack: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Map a Slack account to a user: their presses on Waveline's Slack buttons act as this user.",
            discussion: "The id is the member id in the person's Slack profile (\"Copy member ID\"), e.g. U0123ABCD. One Slack account maps to one user."
        )
        @Argument(help: "The user name.") var name: String
        @Argument(help: "The Slack member id (U…); omit with --remove.") var slackUserId: String?
        @Flag(name: .long, help: "Remove the user's Slack mapping.") var remove = false
        @OptionGroup var client: ClientOptions

        func validate() throws {
            if remove == (slackUserId != nil) { throw ValidationError("give a Slack member id, or --remove") }
        }

        func run() async throws {
            let api = client.client
            let user = try await reporting {
                try await api.patch("/api/v1/users/\(name)", body: UpdateUserBody(slackUserId: slackUserId ?? ""), as: UserView.self)
            }
            print(user.slackUserId.map { "\(user.name) acts from Slack as \($0)." } ?? "\(user.name) has no Slack account.")
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a user with their tokens and sessions.")
        @Argument(help: "The user name.") var name: String
        @OptionGroup var client: ClientOptions

        func run() async throws {
            let api = client.client
            _ = try await reporting { try await api.delete("/api/v1/users/\(name)", as: APIClient.NoContent.self) }
            print("Removed \(name).")
        }
    }
}

struct TokensCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokens", abstract: "List, create and revoke API tokens.",
        subcommands: [List.self, Create.self, Revoke.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Your tokens, or a user's (--user NAME, or --user '*' for all; admins).")
        @Option(name: .long, help: "Whose tokens.") var user: String?
        @Flag(help: "Print the result as JSON.") var json = false
        @OptionGroup var client: ClientOptions

        func run() async throws {
            let api = client.client
            let query = user.map { "?user=" + ($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0) } ?? ""
            let list = try await reporting { try await api.get("/api/v1/tokens" + query, as: TokenList.self) }
            if json { return try printJSON(list) }
            let formatter = ISO8601DateFormatter()
            for token in list.tokens {
                let state = token.revokedAt != nil ? "revoked" : token.expiresAt < Date().timeIntervalSince1970 ? "expired" : "expires \(formatter.string(from: Date(timeIntervalSince1970: token.expiresAt)))"
                print("\(token.id)\t\(token.user)\t\(token.name)\t\(state)")
            }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make a token (for automation); it is printed once.")
        @Argument(help: "What the token is for (its name).") var name: String
        @Option(name: .long, help: "For another user (admins).") var user: String?
        @Option(name: .long, help: "Days until it expires (1–366; default 90, and never after the token that makes it).") var expiresInDays: Int?
        @OptionGroup var client: ClientOptions

        func run() async throws {
            let api = client.client
            let made = try await reporting {
                try await api.post("/api/v1/tokens", body: CreateTokenBody(name: name, expiresInDays: expiresInDays, user: user), as: CreatedToken.self)
            }
            print(made.token)
            let expiry = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: made.details.expiresAt))
            FileHandle.standardError.write(Data("Token '\(made.details.name)' (\(made.details.id)) for \(made.details.user), expires \(expiry); it is shown only now.\n".utf8))
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token by its id.")
        @Argument(help: "The token's id (from `waveline tokens list`).") var id: String
        @OptionGroup var client: ClientOptions

        func run() async throws {
            let api = client.client
            let token = try await reporting { try await api.delete("/api/v1/tokens/\(id)", as: TokenView.self) }
            print("Revoked '\(token.name)' (\(token.id)) of \(token.user).")
        }
    }
}
