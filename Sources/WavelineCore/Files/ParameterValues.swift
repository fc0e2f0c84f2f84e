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
        let bytes = value.utf8.count
        if bytes > Parameter.maximumValueBytes {
            return "the value is \(bytes) bytes long; a parameter value has at most \(Parameter.maximumValueBytes) bytes"
        }
        if let problem = controlCharacterProblem(in: value) { return problem }
        switch kind {
        case .string, .multiline:
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
            // Matched in time linear in the value's length (see `ValuePattern`), never with a backtracking engine.
            guard let compiled = try? ValuePattern(pattern) else { return "its pattern \(pattern) is refused" }
            if !compiled.matchesWhole(value) { return "'\(value)' does not match pattern \(pattern)" }
        }
        return nil
    }

    /// Values are shown in terminals and pages, written to logs and given to programs that may stop at a NUL:
    /// none holds a control character (C0, DEL, C1, line and paragraph separators), except the line breaks and
    /// tabs of a `multiline` value. Said by position, so the message carries no control character either.
    private func controlCharacterProblem(in value: String) -> String? {
        for (offset, scalar) in value.unicodeScalars.enumerated() {
            let code = scalar.value
            guard code < 0x20 || (0x7F...0x9F).contains(code) || code == 0x2028 || code == 0x2029 else { continue }
            let isLineBreakOrTab = scalar == "\n" || scalar == "\r" || scalar == "\t"
            if kind == .multiline && isLineBreakOrTab { continue }
            let hex = String(code, radix: 16, uppercase: true)
            let name = "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
            if isLineBreakOrTab {
                return "the value holds a line break or tab (\(name)) at character \(offset + 1); only a parameter "
                    + "of type 'multiline' may hold them"
            }
            return "the value holds the control character \(name) at character \(offset + 1); no parameter value "
                + "may hold control characters (NUL, escape and the like)"
        }
        return nil
    }
}
