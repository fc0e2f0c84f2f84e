/// Turns what the OpenSSH client printed before exiting 255 into a sentence a person understands.
///
/// ssh exits 255 for its own errors and prints one line about them on stderr; the remote command's own exit
/// code 255 looks the same, so a 255 is a connection failure only when one of these messages is there.
public enum SSHFailure {
    public enum Kind: String, Sendable, Hashable {
        case hostKeyChanged
        case hostKeyUnknown
        case hostKeyRejected
        case authentication
        case refused
        case timedOut
        case unreachable
        case dropped
    }

    /// The first kind whose message appears in `lines` (most specific first), with the line that said so.
    public static func kind(in lines: [String]) -> (Kind, String)? {
        let rules: [(Kind, [String])] = [
            (.hostKeyChanged, ["REMOTE HOST IDENTIFICATION HAS CHANGED", "Host key for", "Offending"]),
            (.hostKeyUnknown, ["host key is known for", "No matching host key"]),
            (.hostKeyRejected, ["Host key verification failed"]),
            (.authentication, ["Permission denied", "Too many authentication failures", "no mutual signature algorithm"]),
            (.refused, ["Connection refused"]),
            (.timedOut, ["Connection timed out", "Operation timed out", "timed out during banner exchange"]),
            (.unreachable, [
                "No route to host", "Network is unreachable", "Could not resolve hostname", "Name or service not known",
                "Temporary failure in name resolution", "Host is unreachable",
            ]),
            (.dropped, [
                "closed by remote host", "Connection reset", "Broken pipe", "Connection closed by",
                "client_loop:", "mux_client_", "kex_exchange_identification", "Timeout, server", "Connection closed",
            ]),
        ]
        for (kind, needles) in rules {
            for line in lines where needles.contains(where: { line.contains($0) }) {
                return (kind, line.trimmingSpaces)
            }
        }
        return nil
    }

    /// The reason for an ssh exit 255. `started`: the remote command had started (its marker arrived), so a
    /// connection problem is a drop mid-command. Nil when nothing says ssh itself failed (then the remote
    /// command exited 255 itself).
    public static func reason(lines: [String], destination: String, started: Bool) -> String? {
        guard let (kind, line) = kind(in: lines) else {
            guard !started else { return nil }
            let last = lines.last(where: { !$0.trimmingSpaces.isEmpty })?.trimmingSpaces
            return "could not connect to \(destination): ssh failed" + (last.map { " (\($0))" } ?? " without saying why")
        }
        switch kind {
        case .hostKeyChanged:
            return "the host key of \(destination) has changed since it was recorded in known_hosts; refusing to connect (\(line))"
        case .hostKeyUnknown:
            return "the host key of \(destination) is unknown (not in known_hosts); refusing to connect: add it to known_hosts, or set 'accept_new_host_key: true' to trust it on first contact"
        case .hostKeyRejected:
            return "host key verification of \(destination) failed; refusing to connect"
        case .authentication:
            return "authentication to \(destination) failed (\(line))"
        case .refused:
            return "\(destination) refused the connection (\(line))"
        case .timedOut:
            return "\(destination) did not answer in time (\(line))"
        case .unreachable:
            return "\(destination) is unreachable (\(line))"
        case .dropped:
            return started
                ? "the connection to \(destination) was lost while the command ran (\(line)); whether the command finished is unknown"
                : "\(destination) closed the connection while it was being set up (\(line))"
        }
    }
}

extension SSHFailure {
    /// ssh exited 255 without a message and its master connection is gone.
    public static func lostMaster(_ destination: String) -> String {
        "the connection to \(destination) was lost while the command ran (its master connection is gone); whether the command finished is unknown"
    }
}

extension String {
    var trimmingSpaces: String {
        var text = Substring(self)
        while let first = text.first, first.isWhitespace { text = text.dropFirst() }
        while let last = text.last, last.isWhitespace { text = text.dropLast() }
        return String(text)
    }
}
