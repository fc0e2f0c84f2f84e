import Foundation

/// The grammar of what an `ssh` connection passes to the local `ssh` client: host, user, jump hosts and option
/// values. Each is checked strictly where the inventory is read, so that no value can be taken for an option
/// (`-oProxyCommand=…`) or for shell text (`$(…)`) by any version of OpenSSH: older clients run `-J` hosts through
/// a shell, and only recent ones refuse such names themselves.
enum SSHSyntax {
    static let hostForms = "a host name (letters, digits, '-', '_' and '.'), an IPv4 address or an IPv6 address"
    static let userForms = "a user name (letters, digits, '.', '_' and '-', not starting with '-')"
    static let jumpHostForms = "a jump host '[user@]host[:port]' (an IPv6 address in brackets), several separated by commas"

    /// A host name, an IPv4 address, or an IPv6 address (bare or in brackets); the host as ssh takes it (an IPv6
    /// address without its brackets), or nil.
    static func host(_ text: String) -> String? {
        if text.hasPrefix("["), text.hasSuffix("]") {
            let inner = String(text.dropFirst().dropLast())
            return isIPv6(inner) ? inner : nil
        }
        if text.contains(":") { return isIPv6(text) ? text : nil }
        return isHostName(text) ? text : nil
    }

    /// Dot-separated labels of ASCII letters, digits, '-' and '_', each starting and ending with a letter or a
    /// digit; at most 253 characters. IPv4 addresses are of this form too.
    static func isHostName(_ text: String) -> Bool {
        guard !text.isEmpty, text.utf8.count <= 253 else { return false }
        return text.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            guard let first = label.unicodeScalars.first, let last = label.unicodeScalars.last, label.count <= 63,
                  isAlphanumeric(first), isAlphanumeric(last) else { return false }
            return label.unicodeScalars.allSatisfy { isAlphanumeric($0) || $0 == "-" || $0 == "_" }
        }
    }

    /// Hexadecimal groups and colons, at most one `::`, an IPv4 tail allowed: `::1`, `fe80::1`, `::ffff:10.0.0.1`.
    static func isIPv6(_ text: String) -> Bool {
        guard text.utf8.count <= 45 else { return false }
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else { return false }
        var total = 0
        for (index, half) in halves.enumerated() where !half.isEmpty {
            let groups = half.split(separator: ":", omittingEmptySubsequences: false)
            for (position, group) in groups.enumerated() {
                let isLast = index == halves.count - 1 && position == groups.count - 1
                if isLast && group.contains(".") {
                    guard isIPv4(group) else { return false }
                    total += 2
                } else {
                    guard (1...4).contains(group.count), group.unicodeScalars.allSatisfy(isHexDigit) else { return false }
                    total += 1
                }
            }
        }
        return halves.count == 2 ? total <= 7 : total == 8
    }

    private static func isIPv4(_ text: Substring) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { part in
            (1...3).contains(part.count) && part.unicodeScalars.allSatisfy { ("0"..."9").contains($0) } && (Int(part) ?? 256) <= 255
        }
    }

    /// `[A-Za-z0-9._-]`, not starting with '-', at most 64 characters.
    static func isUser(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, first != "-", text.utf8.count <= 64 else { return false }
        return text.unicodeScalars.allSatisfy { isAlphanumeric($0) || $0 == "." || $0 == "_" || $0 == "-" }
    }

    /// `[user@]host[:port]`, several separated by commas, each part checked; a problem, or nil.
    static func jumpHostProblem(_ text: String) -> String? {
        for hop in text.split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
            if let problem = hopProblem(hop) { return problem }
        }
        return nil
    }

    private static func hopProblem(_ hop: String) -> String? {
        var rest = Substring(hop)
        if let at = rest.firstIndex(of: "@") {
            let user = String(rest[..<at])
            guard isUser(user) else { return "'\(user)' in '\(hop)' is not \(userForms)" }
            rest = rest[rest.index(after: at)...]
        }
        let host: Substring
        var port: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { return "'\(hop)' opens '[' without closing it" }
            host = rest[rest.index(after: rest.startIndex)..<close]
            guard isIPv6(String(host)) else { return "'\(host)' in '\(hop)' is not an IPv6 address" }
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return "'\(hop)' has text after ']' that is not ':port'" }
                port = after.dropFirst()
            }
        } else {
            let parts = rest.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count <= 2 else { return "write the IPv6 address in '\(hop)' in brackets: [address]:port" }
            host = parts[0]
            port = parts.count == 2 ? parts[1] : nil
            guard isHostName(String(host)) else { return "'\(host)' in '\(hop)' is not \(hostForms)" }
        }
        if let port {
            guard !port.isEmpty, port.count <= 5, port.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) }), let number = Int(port),
                  (1...65535).contains(number) else { return "the port in '\(hop)' must be between 1 and 65535" }
        }
        return nil
    }

    /// An ssh_config value given in `options`: printable ASCII without blanks, quotes, backslashes, `=`, `#`, `%`
    /// or `$`, so ssh reads it as one argument with no token or variable expanded.
    static func isOptionValue(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 1024 && text.unicodeScalars.allSatisfy { scalar in
            scalar.value > 0x20 && scalar.value < 0x7F && !"\"'\\=#%$`".unicodeScalars.contains(scalar)
        }
    }

    /// Any control character (C0, DEL, C1): refused in every connection value, which ends up on a command line.
    static func hasControlCharacter(_ text: String) -> Bool {
        text.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }
    }

    private static func isAlphanumeric(_ s: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(s) || ("A"..."Z").contains(s) || ("0"..."9").contains(s)
    }

    private static func isHexDigit(_ s: Unicode.Scalar) -> Bool {
        ("a"..."f").contains(s) || ("A"..."F").contains(s) || ("0"..."9").contains(s)
    }
}
