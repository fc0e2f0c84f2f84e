#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What the server passes on from its own environment to the processes it starts: a short allow-list, never
/// the whole environment, which holds what steps must not see (the initial admin password or token, other
/// environments' secrets given to the server, credentials of the service manager).
public enum ChildEnvironment {
    /// Variables a step (local) or the ssh client may take from the server, besides the `LC_*` ones.
    public static let stepVariables = ["PATH", "HOME", "LANG", "TZ", "USER", "LOGNAME", "TMPDIR"]
    /// The ssh client also needs the agent's socket and a Kerberos ticket cache to authenticate as the server's
    /// user would at a shell.
    public static let sshClientVariables = stepVariables + ["SSH_AUTH_SOCK", "KRB5CCNAME"]

    /// The entries of `environment` whose names are in `names` or start with `LC_`.
    public static func filter(_ environment: [String: String], allowing names: [String]) -> [String: String] {
        let allowed = Set(names)
        return environment.filter { allowed.contains($0.key) || $0.key.hasPrefix("LC_") }
    }

    /// This process's environment, whole: only ever passed through `filter`.
    static func server() -> [String: String] {
        var found: [String: String] = [:]
        #if canImport(Darwin)
        guard var entry = _NSGetEnviron().pointee else { return found }
        #else
        var entry = environ
        #endif
        while let pointer = entry.pointee {
            let text = String(cString: pointer)
            if let equals = text.firstIndex(of: "=") {
                found[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            entry += 1
        }
        return found
    }
}
