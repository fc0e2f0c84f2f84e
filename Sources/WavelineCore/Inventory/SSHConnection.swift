/// A node reached over SSH with the system's OpenSSH client, so the user's `~/.ssh/config`, bastions, agents
/// and key types keep working. Every field but `host` is optional: what is not set here comes from ssh's own
/// configuration.
public struct SSHConnection: Sendable, Hashable, Codable {
    /// A name or address ssh can reach (an alias of `~/.ssh/config` works too).
    public var host: String
    public var port: Int?
    public var user: String?
    /// A private key; passed as `-i` with `IdentitiesOnly=yes`, so other keys are not tried.
    public var identityFile: String?
    /// A bastion, as ssh's `-J` takes it: `[user@]host[:port]`, several separated by commas.
    public var jumpHost: String?
    /// The known_hosts file host keys are verified against; `nil` means the user's default.
    public var knownHostsFile: String?
    /// The explicit opt-in to trust a host's key on first contact (`StrictHostKeyChecking=accept-new`).
    /// A changed key is refused either way.
    public var acceptNewHostKey: Bool
    /// How long connecting may take (ssh's `ConnectTimeout`, whole seconds, rounded up).
    public var connectTimeout: Duration?
    /// Extra `ssh_config` options, passed as `-o Key=Value`.
    public var options: [String: String]
    /// The remote working directory of the node's commands; `nil` means the login directory.
    public var directory: String?

    public init(
        host: String, port: Int? = nil, user: String? = nil, identityFile: String? = nil, jumpHost: String? = nil,
        knownHostsFile: String? = nil, acceptNewHostKey: Bool = false, connectTimeout: Duration? = nil,
        options: [String: String] = [:], directory: String? = nil
    ) {
        self.host = host
        self.port = port
        self.user = user
        self.identityFile = identityFile
        self.jumpHost = jumpHost
        self.knownHostsFile = knownHostsFile
        self.acceptNewHostKey = acceptNewHostKey
        self.connectTimeout = connectTimeout
        self.options = options
        self.directory = directory
    }

    /// `user@host:port` as far as it is known, for messages.
    public var destination: String {
        (user.map { $0 + "@" } ?? "") + host + (port.map { ":\($0)" } ?? "")
    }

    /// ssh_config keywords that Waveline sets itself, or that have a field of their own: an `options` entry may
    /// not override them (a `StrictHostKeyChecking: no` would silently accept any host key). Lowercased, as
    /// ssh compares keywords without case.
    public static let reservedOptions: [String: String] = [
        "controlmaster": "Waveline manages connection sharing itself",
        "controlpath": "Waveline manages connection sharing itself",
        "controlpersist": "Waveline manages connection sharing itself",
        "batchmode": "Waveline never prompts",
        "stricthostkeychecking": "host keys are always verified; use 'accept_new_host_key: true' to trust a new host on first contact",
        "userknownhostsfile": "use 'known_hosts_file'",
        "port": "use 'port'",
        "user": "use 'user'",
        "identityfile": "use 'identity_file'",
        "identitiesonly": "it follows 'identity_file'",
        "proxyjump": "use 'jump_host'",
        "connecttimeout": "use 'connect_timeout'",
    ]
}
