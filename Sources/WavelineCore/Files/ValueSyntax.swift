import Foundation

/// The small syntaxes used inside the files: names, durations, amounts, phase sizes, gates and dates.
/// Each parser returns the value, or what the value should have looked like, for a "must be …" message.
enum ValueSyntax {
    // MARK: Names

    static let maximumNameBytes = 255

    /// `^[a-z0-9][a-z0-9._-]*$`, at most 255 bytes: names of environments, products, clusters, nodes, operations and
    /// strategies, which appear in URLs, commands and file names.
    static func nameProblem(_ name: String, kind: String) -> String? {
        let scalars = Array(name.unicodeScalars)
        guard let first = scalars.first, isLowerOrDigit(first),
              scalars.dropFirst().allSatisfy({ isLowerOrDigit($0) || $0 == "." || $0 == "_" || $0 == "-" })
        else {
            return "\(kind) name '\(name)' is not valid: a name starts with a lowercase letter or a digit and "
                + "contains only lowercase letters, digits, '.', '_' and '-'"
        }
        // A node's name is its folder's name: 255 bytes is what file systems take.
        if name.utf8.count > maximumNameBytes {
            return "\(kind) name '\(name.prefix(40))…' is \(name.utf8.count) bytes long; a name has at most "
                + "\(maximumNameBytes) bytes (it names a folder)"
        }
        return nil
    }

    /// `^[A-Za-z_][A-Za-z0-9_]*$`: variables become environment variables of the steps.
    static func variableNameProblem(_ name: String) -> String? {
        let scalars = Array(name.unicodeScalars)
        guard let first = scalars.first, isASCIILetter(first) || first == "_",
              scalars.dropFirst().allSatisfy({ isASCIILetter($0) || isDigit($0) || $0 == "_" })
        else {
            return "variable name '\(name)' is not valid: a variable name starts with a letter or '_' and "
                + "contains only letters, digits and '_'"
        }
        if name.uppercased().hasPrefix("WAVELINE_") {
            return "variable name '\(name)' is reserved: names starting with WAVELINE_ are the ones Waveline sets"
        }
        return nil
    }

    /// `^[a-z][a-z0-9_]*$`: labels become `WAVELINE_LABEL_NAME` variables, one per name (`a-b` and `a_b`, or
    /// `Role` and `role`, would be one variable).
    static func labelNameProblem(_ name: String) -> String? {
        let scalars = Array(name.unicodeScalars)
        guard let first = scalars.first, isLower(first),
              scalars.dropFirst().allSatisfy({ isLower($0) || isDigit($0) || $0 == "_" })
        else {
            return "label name '\(name)' is not valid: a label name starts with a lowercase letter and "
                + "contains only lowercase letters, digits and '_' (it becomes the variable "
                + "WAVELINE_LABEL_<NAME>)"
        }
        return nil
    }

    /// `^[a-z][a-z0-9_]*$`: parameters become `{{name}}` placeholders and `WAVELINE_PARAM_NAME` variables.
    static func parameterNameProblem(_ name: String) -> String? {
        let scalars = Array(name.unicodeScalars)
        guard let first = scalars.first, isLower(first),
              scalars.dropFirst().allSatisfy({ isLower($0) || isDigit($0) || $0 == "_" })
        else {
            return "parameter name '\(name)' is not valid: a parameter name starts with a lowercase letter and "
                + "contains only lowercase letters, digits and '_'"
        }
        return nil
    }

    private static func isLower(_ s: Unicode.Scalar) -> Bool { ("a"..."z").contains(s) }
    private static func isDigit(_ s: Unicode.Scalar) -> Bool { ("0"..."9").contains(s) }
    private static func isLowerOrDigit(_ s: Unicode.Scalar) -> Bool { isLower(s) || isDigit(s) }
    private static func isASCIILetter(_ s: Unicode.Scalar) -> Bool { isLower(s) || ("A"..."Z").contains(s) }

    /// Only ASCII digits: `Int("+5")` and friends are more lenient than a file format should be.
    static func wholeNumber(_ text: String) -> Int? {
        let digits = text.hasPrefix("-") ? text.dropFirst() : Substring(text)
        guard !digits.isEmpty, digits.unicodeScalars.allSatisfy(isDigit) else { return nil }
        return Int(text)
    }

    // MARK: Durations

    static let durationForms = "a duration such as 500ms, 10s, 5m, 1h or a number of seconds"

    /// `500ms`, `10s`, `5m`, `1h`, or a bare number of seconds; negative values parse, so that the caller
    /// can say "must be greater than zero" rather than "must be a duration".
    static func duration(_ text: String) -> Result<Duration, SyntaxProblem> {
        let units: [(suffix: String, milliseconds: Int)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000)]
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let unit = units.first { trimmed.hasSuffix($0.suffix) && wholeNumber(String(trimmed.dropLast($0.suffix.count))) != nil }
        let number = unit.map { String(trimmed.dropLast($0.suffix.count)) } ?? trimmed
        guard let count = wholeNumber(number) else { return .failure(SyntaxProblem(expected: durationForms)) }
        let (milliseconds, overflow) = count.multipliedReportingOverflow(by: unit?.milliseconds ?? 1000)
        guard !overflow else { return .failure(SyntaxProblem(expected: "a shorter duration")) }
        return .success(.milliseconds(milliseconds))
    }

    // MARK: Amounts and sizes

    /// `N` or `N%`, with N at least `minimumCount` and a percentage in (0, 100] (or [0, 100] when zero is
    /// allowed, for failure budgets).
    static func amount(_ text: String, minimumCount: Int) -> Result<Amount, SyntaxProblem> {
        let expected = minimumCount == 0
            ? "a count (0 or more) or a percentage such as 10%"
            : "a count (\(minimumCount) or more) or a percentage above 0% and at most 100%"
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.hasSuffix("%") {
            guard let percent = percentage(String(trimmed.dropLast()), allowZero: minimumCount == 0) else {
                return .failure(SyntaxProblem(expected: expected))
            }
            return .success(.percent(percent))
        }
        guard let count = wholeNumber(trimmed), count >= minimumCount else {
            return .failure(SyntaxProblem(expected: expected))
        }
        return .success(.count(count))
    }

    private static func percentage(_ text: String, allowZero: Bool) -> Double? {
        guard !text.isEmpty,
              text.unicodeScalars.allSatisfy({ isDigit($0) || $0 == "." }),
              let value = Double(text), value <= 100, allowZero ? value >= 0 : value > 0
        else { return nil }
        return value
    }

    /// `N`, `N%`, `N/cluster` or `rest`.
    static func phaseSize(_ text: String) -> Result<PhaseSpec.Size, SyntaxProblem> {
        let expected = "a count (3), a percentage (10%), a count per cluster (1/cluster) or 'rest'"
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed == "rest" { return .success(.rest) }
        if trimmed.hasSuffix("/cluster") {
            guard let count = wholeNumber(String(trimmed.dropLast("/cluster".count))), count >= 1 else {
                return .failure(SyntaxProblem(expected: expected))
            }
            return .success(.perCluster(count))
        }
        switch amount(trimmed, minimumCount: 1) {
        case .success(.count(let n)): return .success(.count(n))
        case .success(.percent(let p)): return .success(.percent(p))
        case .failure: return .failure(SyntaxProblem(expected: expected))
        }
    }

    /// `auto`, `manual` or `bake <duration>` with a duration above zero.
    static func gate(_ text: String) -> Result<PhaseSpec.Gate, SyntaxProblem> {
        let expected = "auto, manual, or 'bake' and a duration above zero such as 'bake 5m'"
        let words = text.split(separator: " ", omittingEmptySubsequences: true)
        switch words.first {
        case "auto" where words.count == 1: return .success(.automatic)
        case "manual" where words.count == 1: return .success(.manual)
        case "bake" where words.count == 2:
            guard case .success(let duration) = duration(String(words[1])), duration > .zero else {
                return .failure(SyntaxProblem(expected: expected))
            }
            return .success(.bake(duration))
        default: return .failure(SyntaxProblem(expected: expected))
        }
    }

    // MARK: Dates

    /// `YYYY-MM-DD`, an existing calendar day.
    static func date(_ text: String) -> Result<String, SyntaxProblem> {
        let expected = "a date written YYYY-MM-DD, such as 2027-03-31"
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let year = wholeNumber(String(parts[0])), let month = wholeNumber(String(parts[1])),
              let day = wholeNumber(String(parts[2])), (1...12).contains(month)
        else { return .failure(SyntaxProblem(expected: expected)) }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        guard (1...days).contains(day) else { return .failure(SyntaxProblem(expected: expected)) }
        return .success(text)
    }
}
