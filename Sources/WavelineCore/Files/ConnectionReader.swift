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
            return .local(LocalConnection(directory: nonEmpty(m, "directory", hint: "leave it out for the default")))
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
        draft.host = word(m, "host", what: "a host name or address")
        draft.hostRefused = draft.host == nil && m["host"] != nil
        if let port = m.int("port") {
            if (1...65535).contains(port.value) {
                draft.port = port.value
            } else {
                m.collector.error("'port' must be between 1 and 65535, got '\(port.value)'", at: port.location)
            }
        }
        draft.user = word(m, "user", what: "a user name")
        draft.identityFile = nonEmpty(m, "identity_file", hint: "leave it out to use ssh's own keys")
        draft.jumpHost = word(m, "jump_host", what: "a jump host such as 'bastion' or 'ops@bastion:2222'")
        draft.knownHostsFile = nonEmpty(m, "known_hosts_file", hint: "leave it out for the user's known_hosts")
        draft.acceptNewHostKey = m.bool("accept_new_host_key")
        if let timeout = m.parsed("connect_timeout", ValueSyntax.duration) {
            if timeout.value > .zero {
                draft.connectTimeout = timeout.value
            } else {
                m.collector.error("'connect_timeout' must be greater than zero", at: timeout.location)
            }
        }
        draft.options = options(m)
        draft.directory = nonEmpty(m, "directory", hint: "leave it out for the login directory")
        return draft
    }

    /// `options`: ssh_config keywords (letters only) to one-line values, none that Waveline sets itself.
    static func options(_ m: YAMLMapping) -> [String: String] {
        guard let value = m["options"], let entries = value.entries("options") else { return [:] }
        var options: [String: String] = [:]
        for (name, entry) in entries {
            guard !name.value.isEmpty, name.value.unicodeScalars.allSatisfy(isASCIILetter) else {
                m.collector.error(
                    "ssh option '\(name.value)' is not an ssh_config keyword: a keyword has only letters, such as "
                        + "ServerAliveInterval",
                    at: name.location)
                continue
            }
            if let why = SSHConnection.reservedOptions[name.value.lowercased()] {
                m.collector.error("ssh option '\(name.value)' cannot be set in 'options': \(why)", at: name.location)
                continue
            }
            guard let text = entry.scalarText, !entry.isNull else {
                entry.error("ssh option '\(name.value)' must have a single value, got \(entry.got)")
                continue
            }
            guard !text.isEmpty, !text.contains(where: \.isNewline) else {
                entry.error("ssh option '\(name.value)' must have a value on one line, got '\(text)'")
                continue
            }
            options[name.value] = text
        }
        return options
    }

    /// A text key that becomes one argument next to ssh's options: no blanks or control characters, and no
    /// leading '-' (which ssh would read as an option).
    private static func word(_ m: YAMLMapping, _ key: String, what: String) -> String? {
        guard let value = m.string(key) else { return nil }
        let text = value.value
        if text.isEmpty || text.hasPrefix("-")
            || text.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7F }) {
            m.collector.error(
                "'\(key)' must be \(what), without blanks and not starting with '-', got '\(text)'", at: value.location)
            return nil
        }
        return text
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
