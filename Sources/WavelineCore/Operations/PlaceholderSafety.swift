/// Where in an argument list a `{{placeholder}}` could become code rather than data, by classes of programs:
/// interpreters (shells, python, perl, node, awk, …) whose options or first operand are code, programs that hand
/// their arguments to a shell (ssh, su, watch, …), and wrappers (env, sudo, nice, timeout, xargs, …) that run the
/// program named after their own options. Conservative: a value that could be code is refused even where it
/// happens not to be.
enum PlaceholderSafety {
    /// Programs that run code given as an option (`-c`, `-e`, `-r`, `--command`, …) or as their first operand.
    /// Compared by base name without a version (`python3.12` → `python`).
    static let interpreters: Set<String> = [
        "sh", "bash", "dash", "zsh", "ksh", "mksh", "pdksh", "ash", "yash", "fish", "csh", "tcsh", "rc", "es",
        "busybox", "toybox", "python", "pypy", "perl", "ruby", "jruby", "irb", "node", "nodejs", "deno", "bun",
        "php", "lua", "luajit", "tclsh", "wish", "expect", "awk", "gawk", "mawk", "nawk", "sed", "gsed", "r",
        "rscript", "julia", "pwsh", "powershell", "osascript", "groovy", "jshell", "scala", "guile", "racket",
        "sbcl", "clisp", "ocaml", "runghc", "ghci", "elixir", "iex", "erl", "escript", "swift", "gdb", "vim", "vi",
        "ex", "nvim", "emacs", "make", "m4", "jq", "dc", "bc",
    ]

    /// Interpreters that stop reading their own options at a script file named first, and give the script the
    /// arguments after it (GNU-style programs such as sed or jq would still read a value `--…` as an option).
    static let scriptRunners: Set<String> = [
        "sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", "yash", "fish", "python", "pypy", "perl", "ruby", "node",
        "nodejs", "php", "lua", "luajit", "tclsh", "rscript", "julia",
    ]

    /// Programs that pass (some of) their arguments to a shell, here or on another machine.
    static let shellRunners: Set<String> = [
        "ssh", "slogin", "rsh", "mosh", "sshpass", "su", "runuser", "sg", "watch", "script", "tmux", "screen",
        "parallel", "at", "batch", "eval", "source", "xterm", "flock", "dbus-launch",
    ]

    /// Programs that run the program named after their own options; `valueFlags` take the next argument,
    /// `leadingOperands` come before the program (timeout's duration), `codeFlags` make the rest shell text.
    struct Wrapper {
        var valueFlags: Set<String> = []
        var leadingOperands = 0
        var assignments = false
        var codeFlags: Set<String> = []
    }

    static let wrappers: [String: Wrapper] = [
        "env": Wrapper(valueFlags: ["-u", "--unset", "-C", "--chdir"], assignments: true,
                       codeFlags: ["-S", "--split-string"]),
        "sudo": Wrapper(valueFlags: ["-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U", "-T", "--user", "--group",
                                     "--chdir", "--host", "--prompt", "--role", "--type", "--other-user",
                                     "--command-timeout", "--close-from"],
                        assignments: true, codeFlags: ["-s", "-i", "--shell", "--login"]),
        "doas": Wrapper(valueFlags: ["-u", "-C"], codeFlags: ["-s"]),
        "nice": Wrapper(valueFlags: ["-n", "--adjustment"]),
        "ionice": Wrapper(valueFlags: ["-c", "-n", "-p", "-P", "-u", "--class", "--classdata"]),
        "timeout": Wrapper(valueFlags: ["-s", "-k", "--signal", "--kill-after"], leadingOperands: 1),
        "nohup": Wrapper(),
        "setsid": Wrapper(),
        "time": Wrapper(valueFlags: ["-f", "-o", "--format", "--output"]),
        "command": Wrapper(),
        "exec": Wrapper(valueFlags: ["-a"]),
        "stdbuf": Wrapper(valueFlags: ["-i", "-o", "-e"]),
        "xargs": Wrapper(valueFlags: ["-a", "-d", "-E", "-e", "-I", "-i", "-L", "-l", "-n", "-P", "-s", "--arg-file",
                                      "--delimiter", "--max-args", "--max-procs", "--max-chars", "--max-lines",
                                      "--replace", "--eof", "--process-slot-var"]),
        "chrt": Wrapper(leadingOperands: 1),
        "taskset": Wrapper(leadingOperands: 1),
        "chroot": Wrapper(leadingOperands: 1),
        "nsenter": Wrapper(valueFlags: ["-t", "-S", "-G", "--target", "--setuid", "--setgid"]),
        "unshare": Wrapper(),
        "systemd-run": Wrapper(valueFlags: ["-u", "-p", "-E", "--unit", "--property", "--setenv", "--uid", "--gid",
                                            "--slice", "--description", "--working-directory"]),
        "setpriv": Wrapper(),
        "chpst": Wrapper(valueFlags: ["-u", "-U", "-e", "-/", "-n", "-l", "-L", "-m", "-d", "-o", "-p", "-f", "-c"]),
        "firejail": Wrapper(),
        "unbuffer": Wrapper(),
        "caffeinate": Wrapper(),
    ]

    /// Names that are also ordinary words (`[./bin/x, restart, at, "{{time}}"]`): taken for a program only where
    /// a program is expected, first or after a wrapper, not anywhere in the list.
    static let commonWords: Set<String> = [
        "at", "batch", "source", "eval", "script", "r", "es", "rc", "ex", "make", "dc", "bc", "m4", "watch", "time",
        "command", "exec", "screen", "expect", "swift", "vi",
    ]

    /// `/usr/bin/python3.12` → `python`; `Rscript` → `rscript`.
    static func programClass(_ element: String) -> String {
        let base = element.split(separator: "/").last.map(String.init) ?? element
        let trimmed = base.reversed().drop(while: { $0.isNumber || $0 == "." || $0 == "-" }).reversed()
        return String(trimmed).lowercased()
    }

    /// Why the placeholders of `argv` could become code, or nil.
    static func problem(in argv: [String]) -> String? {
        func isPlaceholder(_ element: String) -> Bool { Command.placeholder(in: element) != nil }
        func placeholder(after index: Int) -> String? {
            argv.indices.contains(index + 1) ? argv[(index + 1)...].first(where: isPlaceholder) : nil
        }
        guard let first = argv.first else { return nil }
        if isPlaceholder(first) {
            return "placeholder \(first) as the program to run: a value cannot choose what runs"
        }
        // Follow wrappers to the program they run: a placeholder there would choose what runs.
        var index = 0
        var programPositions: Set<Int> = [0]
        while argv.indices.contains(index), let wrapper = wrappers[programClass(argv[index])] {
            let name = programClass(argv[index])
            index += 1
            var operands = wrapper.leadingOperands
            while argv.indices.contains(index) {
                let argument = argv[index]
                if isPlaceholder(argument) {
                    return "placeholder \(argument) where \(name) expects the program to run (or its options): "
                        + "a value cannot choose what runs"
                }
                if argument == "--" { index += 1; break }
                if argument.hasPrefix("-") && argument.count > 1 {
                    let flag = argument.split(separator: "=", maxSplits: 1).first.map(String.init) ?? argument
                    if wrapper.codeFlags.contains(flag), let found = placeholder(after: index) {
                        return "placeholder \(found) after \(name) \(flag), which runs it through a shell: "
                            + "values reach shell scripts as environment variables only"
                    }
                    index += wrapper.valueFlags.contains(argument) ? 2 : 1
                    continue
                }
                if wrapper.assignments && argument.contains("=") { index += 1; continue }
                if operands > 0 { operands -= 1; index += 1; continue }
                break
            }
            programPositions.insert(index)
            if argv.indices.contains(index), isPlaceholder(argv[index]) {
                return "placeholder \(argv[index]) where \(name) expects the program to run: a value cannot choose "
                    + "what runs"
            }
        }
        // Anywhere in the list (docker exec … sh -c, kubectl exec -- bash -c): an interpreter's arguments are
        // data only after a script file given first, and a shell runner's arguments never are.
        for (position, element) in argv.enumerated() where !isPlaceholder(element) {
            let name = programClass(element)
            if commonWords.contains(name) && !programPositions.contains(position) { continue }
            if shellRunners.contains(name), let found = placeholder(after: position) {
                return "placeholder \(found) passed to \(name), which hands its arguments to a shell: values reach "
                    + "shell scripts as environment variables only (read $WAVELINE_PARAM_… in a 'shell:' step)"
            }
            if interpreters.contains(name), let found = placeholder(after: position) {
                // `python3 ./manage.py migrate {{version}}`: a script file, then the script's own arguments.
                let next = argv.indices.contains(position + 1) ? argv[position + 1] : ""
                if scriptRunners.contains(name), !isPlaceholder(next), !next.hasPrefix("-"),
                   next.contains("/") || next.contains(".") { continue }
                return "placeholder \(found) passed to \(name), which could run it as code: run a script file "
                    + "given first ([\(element), ./script.sh, \"{{…}}\"]) or the program itself, or read "
                    + "$WAVELINE_PARAM_… in a 'shell:' step"
            }
        }
        return nil
    }
}
