import WavelineCore

/// The one string ssh hands to the remote login shell (`$SHELL -c <string>`): ssh joins its arguments with
/// spaces and loses their boundaries, so Waveline builds that string itself, quoting every element.
///
/// The remote side prints one marker line on stderr with its process id, reads the variables from standard
/// input (`eval "$(cat)"` of `export K='V'` lines), then runs `cd '<dir>' && exec 'argv0' 'argv1' …`. The
/// variables travel over stdin, never on a command line, because a command line is visible to every local
/// user in `ps` on the Waveline host (ssh's arguments) and on the node (the remote shell's): secrets are among
/// them. sshd starts every session's command in a new session and process group
/// (`setsid`), and `exec` keeps that id, so the marker names the process group that timeout and abort end.
/// The remote login shell must read POSIX `sh` syntax (sh, bash, dash, ksh, zsh).
public enum RemoteCommand {
    /// Prefix of the marker line; the number after it is the remote command's process (group) id.
    public static let markerPrefix = "__waveline_pgid__="

    /// Strict POSIX single quoting: the text between single quotes is taken literally by the shell; a single
    /// quote itself is closed, escaped and reopened (`'\''`). Safe for any text without NUL, newlines and
    /// non-ASCII included; the empty string becomes `''`.
    public static func quote(_ text: String) -> String {
        "'" + text.replacing("'", with: "'\\''") + "'"
    }

    /// What ssh is given: the command string, and the text to write to its standard input (then closed).
    public struct Script: Sendable, Hashable {
        public var command: String
        public var standardInput: String
    }

    /// The script for `command`, run in `directory` (nil: the login directory). Throws no error for hostile
    /// values: every value is quoted. Returns nil with a reason for what cannot be passed at all.
    ///
    /// With a `step` (its run name and scope), the command runs under `StepWrapper` instead of replacing the
    /// shell, so that its exit code is written on the node before the session ends.
    public static func script(
        for command: ResolvedCommand, directory: String?, step: (name: String, scope: String)? = nil
    ) -> Result<Script, RemoteCommandProblem> {
        guard let program = command.argv.first, !program.isEmpty else {
            return .failure(RemoteCommandProblem(reason: "the command has no program to run"))
        }
        let values = command.argv + command.environment.keys + command.environment.values + [directory ?? ""]
        if values.contains(where: { $0.utf8.contains(0) }) {
            return .failure(RemoteCommandProblem(reason: "an argument or variable contains a NUL character, which no program can receive"))
        }
        if program.hasPrefix("-") {
            // `exec -c prog` would run prog with an empty environment in bash; dash's exec takes no `--`.
            return .failure(RemoteCommandProblem(reason: "the program name '\(program)' starts with '-', which a shell's exec reads as an option"))
        }
        if program.contains("=") {
            // `env` would read it as one more variable.
            return .failure(RemoteCommandProblem(reason: "the program name '\(program)' contains '=', which cannot be run through env"))
        }
        if let bad = command.environment.keys.first(where: { !isVariableName($0) }) {
            return .failure(RemoteCommandProblem(reason: "variable name '\(bad)' cannot be passed to a shell: use letters, digits and '_', not starting with a digit"))
        }
        var parts = ["printf '\(markerPrefix)%s\\n' \"$$\" >&2;", "eval \"$(cat)\"", "&&"]
        if let directory { parts += ["cd", quote(operand(directory)), "&&"] }
        let words = command.argv.map(quote).joined(separator: " ")
        if let step {
            parts += ["{\n" + StepWrapper.script(name: step.name, scope: step.scope, command: words, reraise: false) + "\n}"]
        } else {
            parts += ["exec", words]
        }
        let exports = command.environment.sorted { $0.key < $1.key }.map { "export \($0.key)=\(quote($0.value))\n" }.joined()
        return .success(Script(command: parts.joined(separator: " "), standardInput: exports))
    }

    /// A path `cd` cannot read as an option: a relative one gets `./` in front (`-x` → `./-x`, `-` → `./-`).
    static func operand(_ path: String) -> String {
        path.hasPrefix("/") || path.hasPrefix("./") ? path : "./" + path
    }

    static func isVariableName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic) else { return false }
        return name.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) }
    }

    /// Ends the process group `pgid` on the remote side: SIGTERM, up to `graceTenths` tenths of a second for it
    /// to go, then SIGKILL. Falls back to the single process when it leads no group.
    /// (`kill -SIG -PGID`, without `--`, which dash's kill does not take.)
    public static func killScript(pgid: Int32, graceTenths: Int) -> String {
        let group = "-\(pgid)"
        return "kill -TERM \(group) 2>/dev/null || kill -TERM \(pgid) 2>/dev/null; i=0; "
            + "while kill -0 \(group) 2>/dev/null && [ $i -lt \(graceTenths) ]; do sleep 0.1 2>/dev/null || sleep 1; i=$((i+1)); done; "
            + "kill -KILL \(group) 2>/dev/null || kill -KILL \(pgid) 2>/dev/null; true"
    }

    /// The marker's process id when `line` is the marker line.
    public static func markerID(in line: String) -> Int32? {
        guard line.hasPrefix(markerPrefix) else { return nil }
        return Int32(line.dropFirst(markerPrefix.count))
    }
}

public struct RemoteCommandProblem: Error, Sendable, Hashable {
    public var reason: String
}
