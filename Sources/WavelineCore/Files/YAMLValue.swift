import Yams

/// A YAML node of one file, read through accessors that record a located diagnostic and return `nil`
/// instead of throwing, so that one pass over a file reports every problem in it.
///
/// Codable would stop at the first error and lose the line and column; this small decoder keeps both.
struct YAMLValue {
    let node: YAMLNode
    let file: String
    let collector: DiagnosticCollector

    /// Where the node starts: for a block mapping, its first key; for a scalar, its first character.
    var location: SourceLocation {
        let mark = node.mark
        return SourceLocation(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1)
    }

    func error(_ message: String) {
        collector.error(message, at: location)
    }

    /// A plain empty value, `~` or `null`: `key:` with nothing after it.
    var isNull: Bool {
        guard case .scalar(let scalar) = node, scalar.style == .plain || scalar.style == .any else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    var isMapping: Bool { node.mapping != nil }

    /// The text of a scalar, whatever YAML would resolve it to (`3`, `true`, `2027-03-31` stay text).
    var scalarText: String? {
        guard case .scalar(let scalar) = node else { return nil }
        return scalar.string
    }

    /// How the value reads in a "got …" clause.
    var got: String {
        switch node {
        case .scalar(let scalar): return isNull ? "nothing" : "'\(scalar.string)'"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    // MARK: Scalars

    /// Text of a scalar; "'key' must be <expected>, got a list" for anything else.
    func text(_ key: String, expected: String = "a string") -> String? {
        guard let text = scalarText, !isNull else {
            error("'\(key)' must be \(expected), got \(got)")
            return nil
        }
        return text
    }

    func int(_ key: String) -> Int? {
        guard let text = scalarText, !isNull, let value = ValueSyntax.wholeNumber(text) else {
            error("'\(key)' must be a whole number, got \(got)")
            return nil
        }
        return value
    }

    func bool(_ key: String) -> Bool? {
        switch isNull ? nil : scalarText {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        default:
            error("'\(key)' must be true or false, got \(got)")
            return nil
        }
    }

    // MARK: Collections

    /// The items of a list; "'key' must be a list, got …" for anything else.
    func list(_ key: String) -> [YAMLValue]? {
        guard case .sequence(let sequence) = node else {
            error("'\(key)' must be a list, got \(got)")
            return nil
        }
        return sequence.map { YAMLValue(node: $0, file: file, collector: collector) }
    }

    /// A list of scalars, each as its text.
    func stringList(_ key: String) -> [LocatedValue<String>]? {
        guard let items = list(key) else { return nil }
        return items.compactMap { item in
            guard let text = item.scalarText, !item.isNull else {
                item.error("each item of '\(key)' must be a string, got \(item.got)")
                return nil
            }
            return LocatedValue(value: text, location: item.location)
        }
    }

    /// The entries of a mapping in file order, keys as text. Non-scalar keys are reported and skipped.
    func entries(_ key: String) -> [(key: LocatedValue<String>, value: YAMLValue)]? {
        guard case .mapping(let mapping) = node else {
            error("'\(key)' must be a mapping, got \(got)")
            return nil
        }
        var result: [(key: LocatedValue<String>, value: YAMLValue)] = []
        for (keyNode, valueNode) in mapping {
            let keyValue = YAMLValue(node: keyNode, file: file, collector: collector)
            let value = YAMLValue(node: valueNode, file: file, collector: collector)
            guard let text = keyValue.scalarText else {
                keyValue.error("a key in '\(key)' must be a plain name, got \(keyValue.got)")
                continue
            }
            result.append((LocatedValue(value: text, location: keyValue.location), value))
        }
        return result
    }

    /// A mapping of names to text values (`variables`, `labels`); `checkName` returns a problem with a key.
    func stringMap(_ key: String, checkName: (String) -> String? = { _ in nil }) -> [String: String]? {
        guard let entries = entries(key) else { return nil }
        var result: [String: String] = [:]
        for (name, value) in entries {
            if let problem = checkName(name.value) {
                collector.error(problem, at: name.location)
            }
            guard let text = value.scalarText else {
                value.error("'\(name.value)' in '\(key)' must be a string, got \(value.got)")
                continue
            }
            result[name.value] = text
        }
        return result
    }

    /// The value of `key` in a mapping, without checking the other keys: to choose how to read the rest.
    func peek(_ key: String) -> YAMLValue? {
        guard case .mapping(let mapping) = node else { return nil }
        for (keyNode, valueNode) in mapping {
            if case .scalar(let scalar) = keyNode, scalar.string == key {
                return YAMLValue(node: valueNode, file: file, collector: collector)
            }
        }
        return nil
    }

    /// Opens a mapping whose keys must all be in `allowed`, reporting every other key.
    ///
    /// `subject` names the mapping in messages ("cluster 'kafka-prod'", "the inventory file").
    func mapping(_ subject: String, allowed: [String]) -> YAMLMapping? {
        guard node.mapping != nil else {
            error("\(subject) must be a mapping, got \(got)")
            return nil
        }
        guard let entries = entries(subject) else { return nil }
        return YAMLMapping(value: self, subject: subject, allowed: allowed, entries: entries)
    }

    /// Opens a mapping that describes a named thing: the subject is "cluster 'kafka-prod'" when its `name`
    /// is a scalar, else "a cluster".
    func mapping(kind: String, allowed: [String]) -> YAMLMapping? {
        let article = kind.first.map { "aeiou".contains($0) } == true ? "an" : "a"
        guard node.mapping != nil else {
            error("\(article) \(kind) must be a mapping, got \(got)")
            return nil
        }
        let name = peek("name")?.scalarText.flatMap { $0.isEmpty ? nil : $0 }
        return self.mapping(name.map { "\(kind) '\($0)'" } ?? "\(article) \(kind)", allowed: allowed)
    }
}

/// A mapping being read: looks keys up, reports unknown ones once, and says which are missing.
struct YAMLMapping {
    let value: YAMLValue
    /// How messages name this mapping: "cluster 'kafka-prod'".
    let subject: String
    private let values: [String: YAMLValue]

    init(value: YAMLValue, subject: String, allowed: [String],
         entries: [(key: LocatedValue<String>, value: YAMLValue)]) {
        self.value = value
        self.subject = subject
        var values: [String: YAMLValue] = [:]
        for (key, entryValue) in entries {
            values[key.value] = entryValue
            if !allowed.contains(key.value) {
                var message = "unknown key '\(key.value)' in \(subject); expected one of: \(allowed.listedForMessage)"
                if let guess = closestMatch(to: key.value, among: allowed) {
                    message += " (did you mean '\(guess)'?)"
                }
                value.collector.error(message, at: key.location)
            }
        }
        self.values = values
    }

    var location: SourceLocation { value.location }
    var collector: DiagnosticCollector { value.collector }

    func error(_ message: String) { value.error(message) }

    /// The value of `key`, or nil when it is absent or written with no value.
    subscript(key: String) -> YAMLValue? {
        guard let found = values[key], !found.isNull else { return nil }
        return found
    }

    /// The value of a required key; "<subject> is missing 'key'" at the mapping when it is absent.
    func required(_ key: String) -> YAMLValue? {
        if let found = values[key] {
            if found.isNull {
                found.error("\(subject) has no value for '\(key)'")
                return nil
            }
            return found
        }
        error("\(subject) is missing '\(key)'")
        return nil
    }

    private func lookup(_ key: String, required: Bool) -> YAMLValue? {
        required ? self.required(key) : self[key]
    }

    // MARK: Typed fields

    /// A text field; a required one may not be empty.
    func string(_ key: String, required: Bool = false) -> LocatedValue<String>? {
        guard let found = lookup(key, required: required), let text = found.text(key) else { return nil }
        if required && text.isEmpty {
            found.error("'\(key)' of \(subject) must not be empty")
            return nil
        }
        return LocatedValue(value: text, location: found.location)
    }

    func int(_ key: String, required: Bool = false) -> LocatedValue<Int>? {
        guard let found = lookup(key, required: required), let number = found.int(key) else { return nil }
        return LocatedValue(value: number, location: found.location)
    }

    func bool(_ key: String, required: Bool = false) -> Bool? {
        lookup(key, required: required)?.bool(key)
    }

    func list(_ key: String, required: Bool = false) -> [YAMLValue]? {
        lookup(key, required: required)?.list(key)
    }

    func stringList(_ key: String, required: Bool = false) -> [LocatedValue<String>]? {
        lookup(key, required: required)?.stringList(key)
    }

    func stringMap(_ key: String, checkName: (String) -> String? = { _ in nil }) -> [String: String]? {
        self[key]?.stringMap(key, checkName: checkName)
    }

    /// A field in a small syntax of its own (duration, amount, size): `parse` returns the value or the
    /// phrase that follows "must be" in the message.
    func parsed<T>(_ key: String, required: Bool = false,
                   _ parse: (String) -> Result<T, SyntaxProblem>) -> LocatedValue<T>? {
        guard let found = lookup(key, required: required) else { return nil }
        guard let text = found.scalarText else {
            found.error("'\(key)' must be a single value, got \(found.got)")
            return nil
        }
        switch parse(text) {
        case .success(let parsed): return LocatedValue(value: parsed, location: found.location)
        case .failure(let problem):
            found.error("'\(key)' must be \(problem.expected), got '\(text)'")
            return nil
        }
    }
}

/// What a value in a small syntax of its own should have looked like: "a duration such as 10s".
struct SyntaxProblem: Error {
    var expected: String
}

/// The allowed word closest to a misspelt one, when it is close enough to be a likely typo.
func closestMatch(to word: String, among candidates: [String]) -> String? {
    /// Edits (insert, delete, replace, swap two neighbours) that turn `a` into `b`.
    func distance(_ a: [Character], _ b: [Character]) -> Int {
        guard !a.isEmpty, !b.isEmpty else { return max(a.count, b.count) }
        var d = Array(repeating: Array(repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
                }
            }
        }
        return d[a.count][b.count]
    }
    let letters = Array(word)
    let best = candidates.map { ($0, distance(letters, Array($0))) }.min { $0.1 < $1.1 }
    guard let best, best.1 <= max(1, min(2, word.count / 3)) else { return nil }
    return best.0
}

/// Yams' node; `Node` in this module is an inventory node.
typealias YAMLNode = Yams.Node
