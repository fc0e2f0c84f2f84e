extension LocalExecutor {
    /// Finds the file to execute for `program` (the command's `argv[0]`), the way a shell would but without
    /// one: a name without a slash is looked up in `searchPath` (the `PATH` the command itself gets); a path
    /// with a slash is used as is when absolute, or taken relative to the node's working directory. Returns an
    /// absolute path, or a sentence saying why there is nothing to run.
    static func locateProgram(
        _ program: String, searchPath: String, workingDirectory: String
    ) -> Result<String, ProgramNotRunnable> {
        guard !program.isEmpty else { return .failure(ProgramNotRunnable(reason: "the command has no program to run")) }

        if program.contains("/") {
            let path = absolute(program, against: workingDirectory)
            let shown = path == program ? program : "\(program) (\(path))"
            switch POSIX.kind(of: path) {
            case .regularFile(executable: true): return .success(path)
            case .regularFile(executable: false): return .failure(ProgramNotRunnable(reason: "program is not executable: \(shown)"))
            case .directory: return .failure(ProgramNotRunnable(reason: "program is a directory: \(shown)"))
            case .missing, .other: return .failure(ProgramNotRunnable(reason: "program not found: \(shown)"))
            }
        }

        var notExecutable: String?
        for directory in searchPath.split(separator: ":", omittingEmptySubsequences: true) {
            let candidate = absolute(String(directory), against: workingDirectory) + "/" + program
            switch POSIX.kind(of: candidate) {
            case .regularFile(executable: true): return .success(candidate)
            case .regularFile(executable: false): notExecutable = notExecutable ?? candidate
            case .missing, .directory, .other: continue
            }
        }
        if let notExecutable {
            return .failure(ProgramNotRunnable(reason: "program is not executable: \(program) (\(notExecutable))"))
        }
        return .failure(ProgramNotRunnable(reason: "program not found: \(program) (searched PATH \(searchPath))"))
    }

    static func absolute(_ path: String, against directory: String) -> String {
        if path.hasPrefix("/") { return path }
        var relative = Substring(path)
        while relative.hasPrefix("./") { relative = relative.dropFirst(2) }
        if relative.isEmpty || relative == "." { return directory }
        return directory.hasSuffix("/") ? directory + relative : directory + "/" + relative
    }

    struct ProgramNotRunnable: Error {
        var reason: String
    }
}
