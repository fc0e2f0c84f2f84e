/// A command ready to run on one node: the exact argument vector and the environment it gets.
/// Values reach it only as whole argv elements or as environment variables, never as shell text.
public struct ResolvedCommand: Sendable, Hashable, Codable {
    public var argv: [String]
    public var environment: [String: String]

    public init(argv: [String], environment: [String: String] = [:]) {
        self.argv = argv
        self.environment = environment
    }
}

extension Command {
    /// The name of the placeholder when `element` is exactly `{{name}}`.
    static func placeholder(in element: String) -> String? {
        guard element.hasPrefix("{{"), element.hasSuffix("}}"), element.count > 4 else { return nil }
        let name = element.dropFirst(2).dropLast(2).drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed()
        return name.isEmpty ? nil : String(name)
    }

    /// Renders the command for one node. `values` are the deployment's parameters by name; an argv element
    /// that is exactly `{{name}}` becomes that value as one argument. Anything else is passed through
    /// verbatim. The shell form runs the script with `/bin/sh -c`, the script being the catalog's own text.
    public func resolved(values: [String: String], environment: [String: String]) -> ResolvedCommand {
        switch self {
        case .shell(let script):
            return ResolvedCommand(argv: ["/bin/sh", "-c", script, "waveline-step"], environment: environment)
        case .argv(let elements):
            let argv = elements.map { element in
                Command.placeholder(in: element).flatMap { values[$0] } ?? element
            }
            return ResolvedCommand(argv: argv, environment: environment)
        }
    }

    /// Placeholders used in argv form, for validation against the declared parameters.
    public var placeholders: [String] {
        guard case .argv(let elements) = self else { return [] }
        return elements.compactMap(Command.placeholder(in:))
    }

    /// Text of an argv element that mixes a placeholder with other text, or a placeholder that could become
    /// code (see `PlaceholderSafety`); such commands are refused when the catalog is read, because the value
    /// would become part of something that is parsed or run.
    public var unsafePlaceholderUse: String? {
        guard case .argv(let elements) = self else { return nil }
        for element in elements where element.contains("{{") && Command.placeholder(in: element) == nil {
            return "placeholder inside other text in \"\(element)\": a placeholder must be a whole argument"
        }
        return PlaceholderSafety.problem(in: elements)
    }
}

/// Names of the environment variables a step sees, in one place so the catalog, the docs and the engine agree.
public enum StepEnvironment {
    /// `version` → `WAVELINE_PARAM_VERSION`.
    public static func parameterVariable(_ name: String) -> String {
        "WAVELINE_PARAM_" + name.uppercased().map { $0.isLetter || $0.isNumber ? String($0) : "_" }.joined()
    }

    /// `role` → `WAVELINE_LABEL_ROLE`.
    public static func labelVariable(_ name: String) -> String {
        "WAVELINE_LABEL_" + name.uppercased().map { $0.isLetter || $0.isNumber ? String($0) : "_" }.joined()
    }
}
