import WavelineCore

/// The SSH executor's own check of a connection, just before ssh is given it: defence in depth behind the
/// inventory loader, so that no inventory value can make the local ssh client run a command or trust a host it
/// should not, whatever this machine's OpenSSH version would let through (older clients turn a hostile `-J`
/// into a proxy command run by a shell).
///
/// Host, user and jump host must be plain names; options that run local commands, load local code, open
/// forwards or weaken host-key trust are refused, as is any option Waveline sets itself.
public enum SSHConnectionCheck {
    /// ssh_config keywords (lowercased) never accepted in `options`, with why.
    public static let refusedOptions: [String: String] = [
        "proxycommand": "it runs a local command through a shell",
        "localcommand": "it runs a local command through a shell",
        "permitlocalcommand": "it allows running local commands",
        "knownhostscommand": "it runs a local command to find host keys",
        "match": "'Match exec' runs a local command",
        "include": "it reads more configuration, which may run commands",
        "host": "it starts a configuration block",
        "pkcs11provider": "it loads a library into the ssh client",
        "securitykeyprovider": "it loads a library into the ssh client",
        "proxyusefdpass": "it only serves a proxy command",
        "remotecommand": "Waveline sends the command itself",
        "sessiontype": "Waveline runs a command in every session",
        "requesttty": "commands run without a terminal",
        "stdinnull": "the command's variables arrive on standard input",
        "forkafterauthentication": "Waveline waits for its commands",
        "escapechar": "commands run without a terminal",
        "localforward": "it opens a port on the Waveline server",
        "remoteforward": "it opens a way back into the Waveline server's network",
        "dynamicforward": "it opens a proxy on the Waveline server",
        "tunnel": "it opens a network tunnel",
        "tunneldevice": "it opens a network tunnel",
        "forwardagent": "it lends the server's keys to the host",
        "forwardx11": "it opens a way back into the Waveline server",
        "forwardx11trusted": "it opens a way back into the Waveline server",
        "gatewayports": "it exposes forwarded ports",
        "exitonforwardfailure": "forwards are not allowed",
        "clearallforwardings": "forwards are not allowed",
        "stricthostkeychecking": "host keys are always verified; use 'accept_new_host_key: true' to trust a new host on first contact",
        "userknownhostsfile": "use 'known_hosts_file'",
        "globalknownhostsfile": "host keys are verified against 'known_hosts_file' or the user's known_hosts",
        "nohostauthenticationforlocalhost": "it skips host-key verification",
        "verifyhostkeydns": "it trusts host keys found in DNS",
        "hostkeyalias": "it verifies a host with another host's key",
        "checkhostip": "host keys are verified by name",
        "updatehostkeys": "it rewrites known_hosts",
        "controlmaster": "Waveline manages connection sharing itself",
        "controlpath": "Waveline manages connection sharing itself",
        "controlpersist": "Waveline manages connection sharing itself",
        "batchmode": "Waveline never prompts",
        "port": "use 'port'",
        "user": "use 'user'",
        "hostname": "use 'host'",
        "identityfile": "use 'identity_file'",
        "identitiesonly": "it follows 'identity_file'",
        "proxyjump": "use 'jump_host'",
        "connecttimeout": "use 'connect_timeout'",
    ]

    /// Why ssh must not be given `connection`, or nil when it may.
    public static func problem(in connection: SSHConnection) -> String? {
        if let why = hostProblem(connection.host) { return "host '\(connection.host)' is refused: \(why)" }
        if let user = connection.user, let why = userProblem(user) { return "user '\(user)' is refused: \(why)" }
        if let port = connection.port, !(1...65535).contains(port) { return "port \(port) is refused: not between 1 and 65535" }
        if let jump = connection.jumpHost, let why = jumpHostProblem(jump) { return "jump host '\(jump)' is refused: \(why)" }
        for path in [connection.identityFile, connection.knownHostsFile].compactMap({ $0 }) {
            if path.isEmpty || path.hasPrefix("-") || path.unicodeScalars.contains(where: isControl) {
                return "file '\(path)' is refused: a file path may not be empty, start with '-' or hold control characters"
            }
        }
        for (key, value) in connection.options.sorted(by: { $0.key < $1.key }) {
            if let why = optionProblem(key: key, value: value) { return "ssh option '\(key)' is refused: \(why)" }
        }
        return nil
    }

    /// A DNS name, an IPv4 address, or an IPv6 address (bare or in brackets); or an alias of `~/.ssh/config`
    /// made of the same characters.
    static func hostProblem(_ host: String) -> String? {
        guard !host.isEmpty else { return "it is empty" }
        guard host.utf8.count <= 253 else { return "it is longer than 253 characters" }
        guard let first = host.unicodeScalars.first, first != "-" else { return "it starts with '-'" }
        if host.first == "[", host.last == "]" {
            let inner = host.dropFirst().dropLast()
            return !inner.isEmpty && inner.unicodeScalars.allSatisfy({ $0.isASCIIHexDigit || $0 == ":" || $0 == "." })
                ? nil : "it is not an IPv6 address"
        }
        let allowed = host.unicodeScalars.allSatisfy { $0.isASCIIAlphanumeric || $0 == "." || $0 == "-" || $0 == "_" || $0 == ":" }
        return allowed ? nil : "only letters, digits, '.', '-', '_' and ':' may appear in a host"
    }

    static func userProblem(_ user: String) -> String? {
        guard !user.isEmpty else { return "it is empty" }
        guard user.utf8.count <= 64 else { return "it is longer than 64 characters" }
        guard let first = user.unicodeScalars.first, first != "-" else { return "it starts with '-'" }
        let allowed = user.unicodeScalars.allSatisfy { $0.isASCIIAlphanumeric || $0 == "." || $0 == "-" || $0 == "_" }
        return allowed ? nil : "only letters, digits, '.', '-' and '_' may appear in a user name"
    }

    /// `[user@]host[:port]`, several separated by commas, as `-J` takes them (no `ssh://` form).
    static func jumpHostProblem(_ jump: String) -> String? {
        let hops = jump.split(separator: ",", omittingEmptySubsequences: false)
        for hop in hops {
            var rest = Substring(hop)
            if let at = rest.lastIndex(of: "@") {
                if let why = userProblem(String(rest[..<at])) { return why }
                rest = rest[rest.index(after: at)...]
            }
            if rest.hasPrefix("[") {
                guard let close = rest.firstIndex(of: "]") else { return "an IPv6 address lacks its ']'" }
                let after = rest[rest.index(after: close)...]
                if let why = hostProblem(String(rest[...close])) { return why }
                if !after.isEmpty {
                    guard after.hasPrefix(":"), let port = Int(after.dropFirst()), (1...65535).contains(port) else {
                        return "'\(after)' is not a port"
                    }
                }
                continue
            }
            if let colon = rest.lastIndex(of: ":") {
                guard let port = Int(rest[rest.index(after: colon)...]), (1...65535).contains(port) else {
                    return "'\(rest[colon...])' is not a port"
                }
                rest = rest[..<colon]
            }
            if let why = hostProblem(String(rest)) { return why }
        }
        return nil
    }

    static func optionProblem(key: String, value: String) -> String? {
        guard let first = key.unicodeScalars.first, first.isASCIILetter,
              key.unicodeScalars.allSatisfy(\.isASCIIAlphanumeric) else {
            return "an option name is letters and digits"
        }
        if let why = refusedOptions[key.lowercased()] { return why }
        if value.unicodeScalars.contains(where: isControl) { return "its value holds control characters" }
        return nil
    }

    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || scalar.value == 0x7F
    }
}

extension Unicode.Scalar {
    var isASCIILetter: Bool { ("a"..."z").contains(self) || ("A"..."Z").contains(self) }
    var isASCIIAlphanumeric: Bool { isASCIILetter || ("0"..."9").contains(self) }
    var isASCIIHexDigit: Bool { ("0"..."9").contains(self) || ("a"..."f").contains(self) || ("A"..."F").contains(self) }
}
