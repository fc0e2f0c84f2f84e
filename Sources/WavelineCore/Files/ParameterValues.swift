/// Checks the parameter values a person gives (on the command line, in an API request) against an
/// operation's typed parameters, before anything runs.
public enum ParameterValues {
    /// The values to run `operation` with: `given` checked against the declared parameters, with defaults
    /// filled in. A value is only ever data: it is checked, never interpreted, so `x; touch /tmp/pwned` is an
    /// ordinary value for a string parameter without a pattern.
    ///
    /// - Throws: `DiagnosticsError` (diagnostics without a location) naming every unknown parameter, missing
    ///   required one and invalid value.
    public static func resolve(_ given: [String: String], for operation: Operation) throws -> [String: String] {
        var problems: [String] = []
        let declared = operation.parameters.map(\.name)
        for name in given.keys.sorted() where !declared.contains(name) {
            var message = declared.isEmpty
                ? "unknown parameter \(name.callerQuoted); operation '\(operation.name)' takes no parameters"
                : "unknown parameter \(name.callerQuoted); operation '\(operation.name)' takes: \(declared.listedForMessage)"
            if let guess = closestMatch(to: name, among: declared) { message += " (did you mean '\(guess)'?)" }
            problems.append(message)
        }
        var resolved: [String: String] = [:]
        for parameter in operation.parameters {
            if let value = given[parameter.name] {
                if let problem = parameter.problem(with: value) {
                    problems.append("parameter '\(parameter.name)': \(problem)")
                } else {
                    resolved[parameter.name] = value
                }
            } else if let defaultValue = parameter.defaultValue {
                resolved[parameter.name] = defaultValue
            } else if parameter.required {
                problems.append("parameter '\(parameter.name)' is required by operation '\(operation.name)'")
            }
        }
        if !problems.isEmpty {
            throw DiagnosticsError(problems.map { Diagnostic($0, at: nil) })
        }
        return resolved
    }
}

extension Parameter {
    /// Why `value` is not acceptable for this parameter ("'ten' is not a whole number"), or nil when it is.
    /// The same check applies to the defaults in the catalog and to the values people give.
    func problem(with value: String) -> String? {
        switch kind {
        case .string:
            break
        case .int:
            if ValueSyntax.wholeNumber(value) == nil { return "'\(value)' is not a whole number" }
        case .bool:
            if value != "true" && value != "false" { return "'\(value)' must be true or false" }
        case .oneOf(let values):
            if !values.contains(value) {
                return "'\(value)' is not one of the allowed values: \(values.listedForMessage)"
            }
        }
        if let pattern {
            guard let regex = try? Regex(pattern) else { return "its pattern \(pattern) is not a valid regular expression" }
            if value.wholeMatch(of: regex) == nil { return "'\(value)' does not match pattern \(pattern)" }
        }
        return nil
    }
}
