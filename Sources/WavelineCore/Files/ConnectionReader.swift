/// A `connection` mapping as one place declares it (a cluster's default, or a node's own), before a node's keys
/// are merged over its cluster's.
enum ConnectionDraft {
    case local(LocalConnection)
    case ssh(SSHDraft)

    var type: String {
        switch self {
        case .local: return "local"
        case .ssh: return "ssh"
        }
    }
}

/// The keys of an `ssh` connection that one mapping sets; `nil` is "not said here".
struct SSHDraft {
    var host: String?
    /// A `host` was given but refused (already reported): no second error for its absence.
    var hostRefused = false
    var port: Int?
    var user: String?
    var identityFile: String?
    var jumpHost: String?
    var knownHostsFile: String?
    var acceptNewHostKey: Bool?
    var connectTimeout: Duration?
    var options: [String: String] = [:]
    var directory: String?

    /// This draft's keys over `base`'s: what this one says wins, key by key (and option by option).
    func merged(over base: SSHDraft) -> SSHDraft {
        SSHDraft(
            host: host ?? base.host, hostRefused: hostRefused || (host == nil && base.hostRefused),
            port: port ?? base.port, user: user ?? base.user,
            identityFile: identityFile ?? base.identityFile, jumpHost: jumpHost ?? base.jumpHost,
            knownHostsFile: knownHostsFile ?? base.knownHostsFile,
            acceptNewHostKey: acceptNewHostKey ?? base.acceptNewHostKey,
            connectTimeout: connectTimeout ?? base.connectTimeout,
            options: base.options.merging(options) { _, own in own },
            directory: directory ?? base.directory
        )
    }
}

/// Reads `connection` mappings. Each type declares its keys in `keysByType` and its reading in `draft`.
///
/// A cluster's connection is the default of its nodes. A node's own `ssh` connection is merged over its
/// cluster's `ssh` connection, the node's keys winning (so a cluster says `user` and `identity_file` once, and
/// each node its `host`); a node may then leave out `type`. A `local` connection, or one of another type than
/// the cluster's, replaces the cluster's.
enum ConnectionReader {
    /// The keys each connection type takes, `type` included.
    static let keysByType: [String: [String]] = [
        "local": ["type", "directory"],
        "ssh": [
            "type", "host", "port", "user", "identity_file", "jump_host", "known_hosts_file", "accept_new_host_key",
            "connect_timeout", "options", "directory",
        ],
    ]
    static var supportedTypes: [String] { keysByType.keys.sorted() }

    /// Reads one mapping. `inheritedType` is the cluster's connection type, which a node's mapping may leave out.
    static func draft(_ value: YAMLValue, subject: String, inheritedType: String?) -> ConnectionDraft? {
        guard value.isMapping else {
            value.error("\(subject) must be a mapping, got \(value.got)")
            return nil
        }
        let type: String
        if let typeValue = value.peek("type"), !typeValue.isNull {
            guard let text = typeValue.text("type") else { return nil }
            guard keysByType[text] != nil else {
                typeValue.error(
                    "connection type '\(text)' is not supported; supported: \(supportedTypes.listedForMessage)")
                return nil
            }
            type = text
        } else if let inheritedType {
            type = inheritedType
        } else {
            // Opened to report the missing type, and keys that no connection type takes.
            let anyTypeKeys = Set(keysByType.values.joined()).sorted()
            _ = value.mapping(subject, allowed: anyTypeKeys)?.required("type")
            return nil
        }
        guard let m = value.mapping(subject, allowed: keysByType[type] ?? []) else { return nil }
        switch type {
        case "ssh":
            return .ssh(ssh(m))
        default:
            return .local(LocalConnection(directory: path(m, "directory", hint: "leave it out for the default")))
        }
    }

    /// The connection a node ends up with; nil (after reporting why) when it is incomplete.
    static func resolve(
        own: ConnectionDraft?, cluster: ConnectionDraft?, nodeSubject: String, at location: SourceLocation,
        collector: DiagnosticCollector
    ) -> Connection? {
        let draft: ConnectionDraft?
        switch (own, cluster) {
        case (.ssh(let node)?, .ssh(let base)?): draft = .ssh(node.merged(over: base))
        case (let own?, _): draft = own
        case (nil, let cluster): draft = cluster
        }
        switch draft {
        case nil: return .local(LocalConnection())
        case .local(let local)?: return .local(local)
        case .ssh(let ssh)?:
            guard let host = ssh.host else {
                if ssh.hostRefused { return nil }
                collector.error(
                    "\(nodeSubject) is reached over ssh but no 'host' is set: give it in the node's connection "
                        + "(or in its cluster's)",
                    at: location)
                return nil
            }
            return .ssh(SSHConnection(
                host: host, port: ssh.port, user: ssh.user, identityFile: ssh.identityFile, jumpHost: ssh.jumpHost,
                knownHostsFile: ssh.knownHostsFile, acceptNewHostKey: ssh.acceptNewHostKey ?? false,
                connectTimeout: ssh.connectTimeout, options: ssh.options, directory: ssh.directory
            ))
        }
    }

    // MARK: ssh

    static func ssh(_ m: YAMLMapping) -> SSHDraft {
        var draft = SSHDraft()
        if let host = m.string("host") {
            if let accepted = SSHSyntax.host(host.value) {
                draft.host = accepted
            } else {
                m.collector.error("'host' must be \(SSHSyntax.hostForms), got '\(host.value)'", at: host.location)
            }
        }
        draft.hostRefused = draft.host == nil && m["host"] != nil
        if let port = m.int("port") {
            if (1...65535).contains(port.value) {
                draft.port = port.value
            } else {
                m.collector.error("'port' must be between 1 and 65535, got '\(port.value)'", at: port.location)
            }
        }
        if let user = m.string("user") {
            if SSHSyntax.isUser(user.value) {
                draft.user = user.value
            } else {
                m.collector.error("'user' must be \(SSHSyntax.userForms), got '\(user.value)'", at: user.location)
            }
        }
        draft.identityFile = path(m, "identity_file", hint: "leave it out to use ssh's own keys")
        if let jumpHost = m.string("jump_host") {
            if let problem = SSHSyntax.jumpHostProblem(jumpHost.value) {
                m.collector.error("'jump_host' must be \(SSHSyntax.jumpHostForms): \(problem)", at: jumpHost.location)
            } else {
                draft.jumpHost = jumpHost.value
            }
        }
        draft.knownHostsFile = path(m, "known_hosts_file", hint: "leave it out for the user's known_hosts")
        if let file = draft.knownHostsFile, file == "/dev/null" || file.contains(where: \.isWhitespace) {
            m.collector.error(
                "'known_hosts_file' must name one file that keeps host keys, got '\(file)' (without it, every host "
                    + "is unknown)", at: m["known_hosts_file"]?.location)
            draft.knownHostsFile = nil
        }
        draft.acceptNewHostKey = m.bool("accept_new_host_key")
        if let timeout = m.parsed("connect_timeout", ValueSyntax.duration) {
            if timeout.value > .zero {
                draft.connectTimeout = timeout.value
            } else {
                m.collector.error("'connect_timeout' must be greater than zero", at: timeout.location)
            }
        }
        draft.options = options(m)
        draft.directory = path(m, "directory", hint: "leave it out for the login directory")
        return draft
    }

    /// `options`: ssh_config keywords (letters only) to one-line values, none that Waveline sets itself.
    static func options(_ m: YAMLMapping) -> [String: String] {
        guard let value = m["options"], let entries = value.entries("options") else { return [:] }
        var options: [String: String] = [:]
        for (name, entry) in entries {
            guard let first = name.value.unicodeScalars.first, isASCIILetter(first),
                  name.value.unicodeScalars.allSatisfy({ isASCIILetter($0) || ("0"..."9").contains($0) }) else {
                m.collector.error(
                    "ssh option '\(name.value)' is not an ssh_config keyword: a keyword has only letters and "
                        + "digits, such as ServerAliveInterval",
                    at: name.location)
                continue
            }
            let keyword = name.value.lowercased()
            if let why = SSHConnection.reservedOptions[keyword] ?? refusedOptions[keyword] {
                m.collector.error("ssh option '\(name.value)' cannot be set in 'options': \(why)", at: name.location)
                continue
            }
            guard allowedOptions.contains(keyword) else {
                m.collector.error(
                    "ssh option '\(name.value)' cannot be set in 'options': only options that neither run local "
                        + "commands, load code, forward access nor weaken host key checking are passed on: "
                        + allowedOptionNames.listedForMessage,
                    at: name.location)
                continue
            }
            guard let text = entry.scalarText, !entry.isNull else {
                entry.error("ssh option '\(name.value)' must have a single value, got \(entry.got)")
                continue
            }
            guard SSHSyntax.isOptionValue(text) else {
                entry.error(
                    "ssh option '\(name.value)' must have one word of printable characters as its value, without "
                        + "blanks, quotes, '\\', '=', '#', '%' or '$', got '\(text)'")
                continue
            }
            options[name.value] = text
        }
        return options
    }

    /// ssh_config keywords that `options` may set (lowercased): none runs a local command, loads code, forwards
    /// access to this machine or changes how host keys are checked. Anything else is refused.
    static let allowedOptionNames = [
        "AddressFamily", "BindAddress", "BindInterface", "CASignatureAlgorithms", "CertificateFile", "CheckHostIP",
        "Ciphers", "Compression", "ConnectionAttempts", "FingerprintHash", "GSSAPIAuthentication", "HashKnownHosts",
        "HostKeyAlgorithms", "IPQoS", "KbdInteractiveAuthentication", "KexAlgorithms", "LogLevel", "MACs",
        "PasswordAuthentication", "PreferredAuthentications", "PubkeyAcceptedAlgorithms", "PubkeyAcceptedKeyTypes",
        "PubkeyAuthentication", "RekeyLimit", "RequiredRSASize", "ServerAliveCountMax", "ServerAliveInterval",
        "TCPKeepAlive",
    ]
    static let allowedOptions = Set(allowedOptionNames.map { $0.lowercased() })

    /// Why the most dangerous keywords are refused, for a message that says it.
    static let refusedOptions: [String: String] = [
        "proxycommand": "it runs a local command through a shell",
        "localcommand": "it runs a local command through a shell",
        "permitlocalcommand": "it lets ssh run local commands",
        "knownhostscommand": "it runs a local command",
        "match": "'Match exec' runs a local command",
        "include": "it reads other configuration, which may run local commands",
        "pkcs11provider": "it loads a local library into ssh",
        "securitykeyprovider": "it loads a local library into ssh",
        "globalknownhostsfile": "host keys are verified against 'known_hosts_file' only",
        "hostkeyalias": "host keys are verified under the node's own host name",
        "nohostauthenticationforlocalhost": "host keys are always verified",
        "verifyhostkeydns": "host keys are verified against 'known_hosts_file' only",
        "updatehostkeys": "known_hosts files are changed by people, not by a deployment",
        "forwardagent": "it hands this machine's keys to the node",
        "forwardx11": "it opens this machine's display to the node",
        "forwardx11trusted": "it opens this machine's display to the node",
        "remotecommand": "Waveline sends the command itself",
        "hostname": "use 'host'",
    ]

    /// A path (or directory) that becomes one argument: not empty, no control characters.
    private static func path(_ m: YAMLMapping, _ key: String, hint: String) -> String? {
        guard let value = nonEmpty(m, key, hint: hint) else { return nil }
        if SSHSyntax.hasControlCharacter(value) {
            m.collector.error("'\(key)' must not contain control characters such as line breaks", at: m[key]?.location)
            return nil
        }
        return value
    }

    private static func nonEmpty(_ m: YAMLMapping, _ key: String, hint: String) -> String? {
        guard let value = m.string(key) else { return nil }
        if value.value.isEmpty {
            m.collector.error("'\(key)' must not be empty; \(hint)", at: value.location)
            return nil
        }
        return value.value
    }

    private static func isASCIILetter(_ s: Unicode.Scalar) -> Bool { ("a"..."z").contains(s) || ("A"..."Z").contains(s) }
}
