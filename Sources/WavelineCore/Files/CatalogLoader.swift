import Foundation

/// Reads the operation catalog: a directory with one operation per `*.yaml`/`*.yml` file.
///
/// Beyond the shape of each file it checks what would otherwise fail in the middle of a deployment:
/// placeholders that name no parameter, placeholders that would become shell text, defaults that their own
/// parameter would refuse, patterns outside the linear-time dialect of `ValuePattern`.
public enum CatalogLoader {
    /// Every operation of the catalog directory, in file name order.
    ///
    /// - Throws: `DiagnosticsError` with every problem of every file (and operation names used twice).
    public static func load(directory: String) throws -> [Operation] {
        let collector = DiagnosticCollector()
        var operations: [Operation] = []
        var first: [String: SourceLocation] = [:]
        for file in YAMLFile.files(inDirectory: directory, into: collector) ?? [] {
            guard let operation = read(file: file, into: collector) else { continue }
            if let earlier = first[operation.value.name] {
                collector.error("duplicate operation '\(operation.value.name)' (first defined at \(earlier))",
                                at: operation.location)
                continue
            }
            first[operation.value.name] = operation.location
            operations.append(operation.value)
        }
        try collector.throwIfAny()
        return operations
    }

    /// The operation in one file.
    ///
    /// - Throws: `DiagnosticsError` with every problem in the file.
    public static func loadOperation(file: String) throws -> Operation {
        let collector = DiagnosticCollector()
        let operation = read(file: file, into: collector)
        try collector.throwIfAny()
        guard let operation else { throw DiagnosticsError([Diagnostic("no operation in '\(file)'", at: nil)]) }
        return operation.value
    }

    /// The operation, located at its name, or nil after recording why there is none.
    static func read(file: String, into collector: DiagnosticCollector) -> LocatedValue<Operation>? {
        guard let root = YAMLFile.root(of: file, into: collector) else { return nil }
        return OperationReader.operation(root)
    }
}

enum OperationReader {
    static let roles = ["viewer", "operator", "deployer", "approver", "admin"]
    static let parameterTypes = ["string", "multiline", "int", "bool", "enum"]

    static func operation(_ root: YAMLValue) -> LocatedValue<Operation>? {
        let keys = ["name", "description", "role", "idempotent", "parameters", "pre_checks", "steps", "post_checks",
                    "rollback"]
        guard let m = root.mapping(kind: "operation", allowed: keys) else { return nil }
        let name = m.name(kind: "operation")
        let description = m.string("description")?.value ?? ""
        let role = m.string("role")
        if let role, !roles.contains(role.value) {
            m.collector.error("role '\(role.value)' is not known; expected one of: \(roles.listedForMessage)",
                              at: role.location)
        }
        let idempotent = m.bool("idempotent") ?? false

        let parameterEntries = (m.list("parameters") ?? []).compactMap(parameter)
        // Every name written, even of a parameter with other problems, so its uses are not reported too.
        let declared = parameterEntries.compactMap(\.name?.value)
        let parameters = unique(parameterEntries, kind: "parameter", list: "parameters", m.collector)

        let preChecks = checks(m, key: "pre_checks", declared: declared)
        let postChecks = checks(m, key: "post_checks", declared: declared)
        let rollback = steps(m, key: "rollback", declared: declared)
        var steps: [Step] = []
        if let stepsValue = m.required("steps"), let items = stepsValue.list("steps") {
            if items.isEmpty {
                stepsValue.error("\(m.subject) has no steps; 'steps' needs at least one")
            }
            steps = readSteps(items, key: "steps", declared: declared, m.collector)
        }

        guard let name else { return nil }
        let operation = Operation(
            name: name.value, description: description, role: role?.value ?? "deployer", idempotent: idempotent,
            parameters: parameters, preChecks: preChecks, steps: steps, postChecks: postChecks,
            rollback: rollback
        )
        return LocatedValue(value: operation, location: name.location)
    }

    // MARK: Parameters

    static func parameter(_ value: YAMLValue) -> NamedEntry<Parameter>? {
        let keys = ["name", "type", "required", "pattern", "values", "default", "description", "sensitive"]
        guard let m = value.mapping(kind: "parameter", allowed: keys) else { return nil }
        let name = m.string("name", required: true)
        if let name, let problem = ValueSyntax.parameterNameProblem(name.value) {
            m.collector.error(problem, at: name.location)
        }
        let type = m.string("type", required: true)
        let required = m.bool("required") ?? false
        let description = m.string("description")?.value ?? ""
        let sensitive = m.bool("sensitive") ?? false

        var kind: Parameter.Kind?
        switch type?.value {
        case "string": kind = .string
        case "multiline": kind = .multiline
        case "int": kind = .int
        case "bool": kind = .bool
        case "enum": kind = enumValues(m).map { .oneOf($0) }
        case let other?:
            m.collector.error(
                "\(m.subject) has unknown type '\(other)'; expected one of: \(parameterTypes.listedForMessage)",
                at: type?.location)
        case nil: break
        }
        if type != nil && type?.value != "enum", let values = m["values"] {
            values.error("'values' is only allowed for enum parameters, and \(m.subject) is of type '\(type?.value ?? "")'")
        }

        let pattern = m.string("pattern")
        if let pattern {
            if let type, type.value != "string" && type.value != "multiline" {
                m.collector.error("'pattern' is only allowed for string and multiline parameters, and \(m.subject) is of type "
                                  + "'\(type.value)'", at: pattern.location)
            }
            do {
                _ = try ValuePattern(pattern.value)
            } catch {
                m.collector.error("the pattern of \(m.subject) is refused: \(error)", at: pattern.location)
            }
        }

        let defaultValue = m.string("default")
        if let defaultValue {
            if required {
                m.collector.error("\(m.subject) is required, so it cannot have a default; drop one of the two",
                                  at: defaultValue.location)
            }
            if let kind, let name {
                let candidate = Parameter(name: name.value, kind: kind, pattern: pattern?.value)
                if let problem = candidate.problem(with: defaultValue.value) {
                    m.collector.error("\(m.subject) has an invalid default: \(problem)", at: defaultValue.location)
                }
            }
        }

        let parameter = name.flatMap { name in
            kind.map { kind in
                Parameter(name: name.value, kind: kind, required: required, defaultValue: defaultValue?.value,
                          pattern: pattern?.value, description: description, sensitive: sensitive)
            }
        }
        return NamedEntry(name: name, location: m.location, value: parameter)
    }

    /// The `values` of an enum parameter: at least one, none twice.
    private static func enumValues(_ m: YAMLMapping) -> [String]? {
        guard let value = m.required("values") else { return nil }
        guard let values = value.stringList("values") else { return nil }
        if values.isEmpty {
            value.error("\(m.subject) is an enum, so 'values' needs at least one value")
        }
        var seen = Set<String>()
        for item in values where !seen.insert(item.value).inserted {
            m.collector.error("\(m.subject) lists value '\(item.value)' more than once", at: item.location)
        }
        return values.map(\.value)
    }

    // MARK: Steps and checks

    static func steps(_ m: YAMLMapping, key: String, declared: [String]) -> [Step] {
        readSteps(m.list(key) ?? [], key: key, declared: declared, m.collector)
    }

    private static func readSteps(_ items: [YAMLValue], key: String, declared: [String],
                                  _ collector: DiagnosticCollector) -> [Step] {
        let steps = items.compactMap { item -> NamedEntry<Step>? in
            guard let m = item.mapping(kind: "step", allowed: ["name", "run", "shell", "timeout"]) else { return nil }
            let name = m.string("name", required: true)
            let command = command(m, declared: declared)
            let timeout = positiveDuration(m, "timeout")
            let step = name.flatMap { name in
                command.map { Step(name: name.value, command: $0, timeout: timeout ?? .seconds(300)) }
            }
            return NamedEntry(name: name, location: m.location, value: step)
        }
        return unique(steps, kind: "step", list: key, collector)
    }

    static func checks(_ m: YAMLMapping, key: String, declared: [String]) -> [Check] {
        let checks = (m.list(key) ?? []).compactMap { item -> NamedEntry<Check>? in
            let keys = ["name", "run", "shell", "retries", "interval", "timeout"]
            guard let m = item.mapping(kind: "check", allowed: keys) else { return nil }
            let name = m.string("name", required: true)
            let command = command(m, declared: declared)
            let retries = m.int("retries")
            if let retries, retries.value < 0 {
                m.collector.error("'retries' must be zero or more, got '\(retries.value)'", at: retries.location)
            }
            let interval = m.parsed("interval", ValueSyntax.duration)
            if let interval, interval.value < .zero {
                m.collector.error("'interval' must not be negative", at: interval.location)
            }
            let timeout = positiveDuration(m, "timeout")
            let check = name.flatMap { name in
                command.map {
                    Check(name: name.value, command: $0, retries: max(0, retries?.value ?? 0),
                          interval: interval?.value ?? .seconds(1), timeout: timeout ?? .seconds(30))
                }
            }
            return NamedEntry(name: name, location: m.location, value: check)
        }
        return unique(checks, kind: "check", list: key, m.collector)
    }

    private static func positiveDuration(_ m: YAMLMapping, _ key: String) -> Duration? {
        guard let duration = m.parsed(key, ValueSyntax.duration) else { return nil }
        guard duration.value > .zero else {
            m.collector.error("'\(key)' must be greater than zero", at: duration.location)
            return nil
        }
        return duration.value
    }

    /// Exactly one of `run` (an argument list) and `shell` (a script), with its placeholders checked.
    static func command(_ m: YAMLMapping, declared: [String]) -> Command? {
        switch (m["run"], m["shell"]) {
        case (nil, nil):
            m.error("\(m.subject) needs 'run' (a list of arguments) or 'shell' (a script)")
            return nil
        case (.some, .some):
            m.error("\(m.subject) has both 'run' and 'shell'; give exactly one")
            return nil
        case (let run?, nil):
            guard run.scalarText == nil else {
                run.error("'run' must be a list of arguments, such as [./bin/service, health]; "
                          + "for a shell command line use 'shell'")
                return nil
            }
            guard let elements = run.stringList("run") else { return nil }
            if elements.isEmpty || elements[0].value.isEmpty {
                run.error("'run' of \(m.subject) must start with the program to run")
                return nil
            }
            for element in elements {
                guard let placeholder = Command.placeholder(in: element.value), !declared.contains(placeholder)
                else { continue }
                var message = "\(m.subject) uses {{\(placeholder)}}, but the operation has no parameter '\(placeholder)'"
                if let guess = closestMatch(to: placeholder, among: declared) { message += " (did you mean '\(guess)'?)" }
                m.collector.error(message, at: element.location)
            }
            let command = Command.argv(elements.map(\.value))
            if let unsafe = command.unsafePlaceholderUse {
                m.error("\(m.subject): \(unsafe)")
                return nil
            }
            return command
        case (nil, let shell?):
            guard let script = shell.text("shell", expected: "a script (a string)") else { return nil }
            if script.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                shell.error("'shell' of \(m.subject) must not be empty")
                return nil
            }
            if let name = parameterPlaceholder(in: script, declared: declared) {
                shell.error("\(m.subject) writes {{\(name)}} in a shell script, where placeholders are not replaced; "
                            + "read the value from $\(StepEnvironment.parameterVariable(name)) instead")
                return nil
            }
            return .shell(script)
        }
    }

    /// A `{{name}}` naming a declared parameter inside a script: a mistake, since values reach scripts only as
    /// environment variables. Other `{{…}}` text (a Go template, say) is the script's own business.
    private static func parameterPlaceholder(in script: String, declared: [String]) -> String? {
        var rest = script[...]
        while let open = rest.range(of: "{{") {
            rest = rest[open.upperBound...]
            guard let close = rest.range(of: "}}") else { return nil }
            let name = rest[..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            if declared.contains(name) { return name }
        }
        return nil
    }

    /// The valid values of `entries`, without those whose name an earlier entry of the list already has,
    /// which are reported.
    static func unique<T>(_ entries: [NamedEntry<T>], kind: String, list: String,
                          _ collector: DiagnosticCollector) -> [T] {
        var first: [String: SourceLocation] = [:]
        var values: [T] = []
        for entry in entries {
            if let name = entry.name {
                if let earlier = first[name.value] {
                    collector.error("duplicate \(kind) '\(name.value)' in '\(list)' (first defined at \(earlier))",
                                    at: entry.location)
                    continue
                }
                first[name.value] = entry.location
            }
            if let value = entry.value { values.append(value) }
        }
        return values
    }
}

/// An entry of a list in a file: its name when it has one, and its value when it is valid, so that
/// duplicate names are found even among entries with other problems.
struct NamedEntry<Value> {
    var name: LocatedValue<String>?
    /// Of the entry's mapping, for "first defined at".
    var location: SourceLocation
    var value: Value?
}
