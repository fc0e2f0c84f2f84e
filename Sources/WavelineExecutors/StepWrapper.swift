#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Crypto

/// The few lines of POSIX `sh` that run a recorded step, locally and over SSH: they note the step's process
/// group in `<node dir>/.waveline/steps/<name>.pid`, run the command as a child, and write its exit code to
/// `<name>.exit` (through a temporary file and a rename, so it is whole or absent) before ending with the same
/// status. A server killed after the command ended but before it committed that end finds the file at restart
/// and records the step as finished instead of running it a second time.
///
/// Files of the node's earlier runs are removed when a new run starts: by then their ends are committed (a
/// step's end is committed with the next step's start), and a node is in one deployment at a time.
public enum StepWrapper {
    /// Relative to the node's working directory.
    public static let directory = ".waveline/steps"
    /// Carries the run's name into every process of the step (how recovery recognises them).
    public static let variable = "WAVELINE_STEP_RUN"

    /// 16 hex digits of SHA-256 of `seed` (the server's data directory) and the node's name.
    public static func scope(seed: String, node: String) -> String {
        String(hex(SHA256.hash(data: Array((seed + "\u{0}" + node).utf8))).prefix(16))
    }

    static func hex(_ digest: SHA256.Digest) -> String {
        digest.map { byte in
            let text = String(byte, radix: 16)
            return byte < 16 ? "0" + text : text
        }.joined()
    }

    /// The wrapper around `command` (shell words, already quoted, or `"$@"`). `reraise`: end by the same
    /// signal that ended the command (locally, where the parent tells signals from codes; ssh cannot).
    /// `tidy`: the wrapper itself removes the node's files of earlier runs and writes the exit code through a
    /// rename; the local executor does the removing itself, without processes, since every external command
    /// here costs a process per step (`find`, `rm`, `mv` made a one-step deployment ~6× slower per node).
    /// Its variables are prefixed so that they never shadow one of the step's own.
    static func script(name: String, scope: String, command: String, reraise: Bool, tidy: Bool = true) -> String {
        let d = directory
        var lines = ["__wl_d=\(d); __wl_m=\(name)"]
        if tidy {
            lines += [
                "if mkdir -p \"$__wl_d\" 2>/dev/null; then find \"$__wl_d\" -name '\(scope)-*' ! -name \"$__wl_m.*\" -exec rm -f {} + 2>/dev/null; "
                    + "rm -f \"$__wl_d/$__wl_m.exit\"; echo $$ > \"$__wl_d/$__wl_m.pid\"; fi",
                command,
                "__wl_c=$?",
                "printf '%s\\n' \"$__wl_c\" > \"$__wl_d/$__wl_m.exit.tmp\" 2>/dev/null && mv -f \"$__wl_d/$__wl_m.exit.tmp\" \"$__wl_d/$__wl_m.exit\"",
                "rm -f \"$__wl_d/$__wl_m.pid\"",
            ]
        } else {
            // Built-ins only (but `mkdir` on a node's first run). A run's name is new for every attempt, so no
            // file of it exists before; one short write is whole or, if cut short, unreadable as a code.
            lines += [
                "[ -d \"$__wl_d\" ] || mkdir -p \"$__wl_d\" 2>/dev/null; echo $$ > \"$__wl_d/$__wl_m.pid\" 2>/dev/null",
                command,
                "__wl_c=$?",
                "echo \"$__wl_c\" > \"$__wl_d/$__wl_m.exit\" 2>/dev/null",
            ]
        }
        if reraise {
            lines.append("if [ \"$__wl_c\" -gt 128 ] && [ \"$__wl_c\" -lt 160 ]; then kill -$((__wl_c - 128)) $$; fi")
        }
        lines.append("exit \"$__wl_c\"")
        return lines.joined(separator: "\n")
    }

    /// Removes the files of a node's earlier runs (`<scope>-…`) from its `directory`, keeping `current`'s: by
    /// now their ends are committed (a step's end is committed with the next step's start).
    static func removeEarlierRuns(in nodeDirectory: String, scope: String, keeping current: String) {
        let folder = nodeDirectory + "/" + directory
        guard let handle = opendir(folder) else { return }
        defer { closedir(handle) }
        var stale: [String] = []
        while let entry = readdir(handle) {
            let entryName = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if entryName.hasPrefix(scope + "-") && !entryName.hasPrefix(current + ".") { stale.append(entryName) }
        }
        for entryName in stale { _ = unlink(folder + "/" + entryName) }
    }

    /// Reads `<name>.exit`: the code, or nil when there is none (or it is not whole).
    static func exitCode(in text: String) -> Int32? {
        var trimmed = Substring(text)
        while let last = trimmed.last, last.isWhitespace { trimmed = trimmed.dropLast() }
        return Int32(trimmed)
    }
}
