import Foundation

/// API tokens saved by `waveline login`, one per server, in `$XDG_CONFIG_HOME/waveline/credentials.json`
/// (else `~/.config/…`), readable by the user only.
public struct Credentials: Codable, Sendable {
    public struct Entry: Codable, Sendable {
        public var user: String
        public var token: String
        public var tokenID: String
        public var expiresAt: Double

        public init(user: String, token: String, tokenID: String, expiresAt: Double) {
            self.user = user
            self.token = token
            self.tokenID = tokenID
            self.expiresAt = expiresAt
        }
    }

    public var servers: [String: Entry] = [:]

    public init(servers: [String: Entry] = [:]) {
        self.servers = servers
    }

    public static var path: String {
        let environment = ProcessInfo.processInfo.environment
        let base = environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (environment["HOME"] ?? NSHomeDirectory()) + "/.config"
        return base + "/waveline/credentials.json"
    }

    public static func load() -> Credentials {
        guard let data = FileManager.default.contents(atPath: path),
              let credentials = try? JSONDecoder().decode(Credentials.self, from: data) else { return Credentials() }
        return credentials
    }

    public func save() throws {
        let folder = (Self.path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(self)
        // Created 0600 before the token is written into it.
        if !FileManager.default.fileExists(atPath: Self.path) {
            _ = FileManager.default.createFile(atPath: Self.path, contents: nil, attributes: [.posixPermissions: 0o600])
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: Self.path)
        try data.write(to: URL(fileURLWithPath: Self.path))
    }
}
