import Foundation
import Yams

/// Reading YAML files into located nodes, turning every way a file can be unreadable (missing, not text,
/// a syntax error, absurdly nested or aliased) into a located diagnostic instead of a crash.
enum YAMLFile {
    /// Larger than any sensible inventory or catalog file; refused before parsing.
    static let maximumSize = 16 * 1024 * 1024
    /// Deeper nesting than any of our formats needs; refused before parsing, because composing recurses
    /// once per level, and a thread with a small stack (512 KiB) must survive it.
    static let maximumDepth = 256
    /// Nodes visited when aliases are expanded; beyond it a file is refused rather than walked for ever.
    static let maximumNodeCount = 1_000_000

    /// The root node of the single YAML document in `path`, or nil after recording why there is none.
    static func root(of path: String, into collector: DiagnosticCollector) -> YAMLValue? {
        let start = SourceLocation(file: path, line: 1, column: 1)
        if isDirectory(path) {
            collector.error("'\(path)' is a directory, not a YAML file", at: nil)
            return nil
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            collector.error("cannot read '\(path)': no such file, or not readable", at: nil)
            return nil
        }
        guard data.count <= maximumSize else {
            collector.error("the file is \(data.count) bytes; files over \(maximumSize) bytes are refused", at: start)
            return nil
        }
        let text: String
        switch decodeUTF8(Array(data)) {
        case .success(let decoded): text = decoded
        case .failure(let problem):
            collector.error("the file is not UTF-8 text (invalid byte sequence)",
                            at: SourceLocation(file: path, line: problem.line, column: problem.column))
            return nil
        }
        if let deep = firstTooDeepPosition(in: text) {
            collector.error("the file nests values more than \(maximumDepth) levels deep",
                            at: SourceLocation(file: path, line: deep.line, column: deep.column))
            return nil
        }
        let node: YAMLNode?
        do {
            node = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            let (message, line, column) = describe(error, in: text)
            collector.error(message, at: SourceLocation(file: path, line: line, column: column))
            return nil
        } catch {
            collector.error("the file could not be parsed as YAML: \(error)", at: start)
            return nil
        }
        guard let node else {
            collector.error("the file is empty", at: start)
            return nil
        }
        var budget = maximumNodeCount
        guard countNodes(node, budget: &budget) else {
            collector.error("the file expands to more than \(maximumNodeCount) values (through aliases?); refused",
                            at: start)
            return nil
        }
        return YAMLValue(node: node, file: path, collector: collector)
    }

    // MARK: Syntax errors

    /// A plain sentence and the 1-based line and column of a Yams error.
    static func describe(_ error: YamlError, in text: String) -> (String, Int, Int) {
        switch error {
        case let .scanner(context, problem, mark, _),
             let .parser(context, problem, mark, _):
            return ("YAML syntax error: \(problem)\(contextClause(context))", mark.line, mark.column)
        case let .composer(context, problem, mark, _):
            if problem == "but found another document" {
                return ("the file must hold a single YAML document, but another one starts here",
                        mark.line, mark.column)
            }
            return ("YAML error: \(problem)\(contextClause(context))", mark.line, mark.column)
        case let .reader(problem, offset, _, _):
            let (line, column) = offset.map { lineAndColumn(ofCharacterOffset: $0, in: text) } ?? (1, 1)
            return ("YAML cannot read the file: \(problem)", line, column)
        case let .duplicatedKeysInMapping(duplicates, context):
            let keys = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            let noun = duplicates.count == 1 ? "key" : "keys"
            return ("duplicate \(noun) \(keys) in one mapping", context.mark.line, context.mark.column)
        case .memory:
            return ("YAML ran out of memory reading the file", 1, 1)
        case .no, .writer, .emitter, .representer, .dataCouldNotBeDecoded:
            return ("the file could not be parsed as YAML", 1, 1)
        }
    }

    private static func contextClause(_ context: YamlError.Context?) -> String {
        guard let context else { return "" }
        return " (\(context.text) at line \(context.mark.line), column \(context.mark.column))"
    }

    private static func lineAndColumn(ofCharacterOffset offset: Int, in text: String) -> (Int, Int) {
        var line = 1, column = 1
        for character in text.prefix(offset) {
            if character.isNewline { line += 1; column = 1 } else { column += character.unicodeScalars.count }
        }
        return (line, column)
    }

    // MARK: Guards against hostile input

    struct Position: Error {
        var line: Int
        var column: Int
    }

    /// Decodes UTF-8, or says where the first invalid sequence is.
    static func decodeUTF8(_ bytes: [UInt8]) -> Result<String, Position> {
        var line = 1, column = 1
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        var scalars = String.UnicodeScalarView()
        loop: while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar):
                scalars.append(scalar)
                if scalar == "\n" { line += 1; column = 1 } else { column += 1 }
            case .emptyInput: break loop
            case .error: return .failure(Position(line: line, column: column))
            }
        }
        return .success(String(scalars))
    }

    /// Where the text first nests deeper than `maximumDepth`, by an estimate that never counts less than
    /// the real depth: a block level needs a column of indentation or a leading `- `/`? ` indicator, a
    /// flow level a bracket. A guard against pathological input, not a parser: quotes are not followed,
    /// and a comment (`#` at the start or after a space) ends the line.
    static func firstTooDeepPosition(in text: String) -> Position? {
        var flowDepth = 0
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let scalars = Array(line.unicodeScalars)
            var column = 0
            // Indentation and compact nesting ("- - - x", "? ? x").
            while column < scalars.count {
                let scalar = scalars[column]
                let next: Unicode.Scalar? = column + 1 < scalars.count ? scalars[column + 1] : nil
                if scalar == " " || scalar == "\t" {
                    column += 1
                } else if scalar == "-" || scalar == "?", next == nil || next == " " || next == "\t" {
                    column += 1
                } else {
                    break
                }
                if column + flowDepth > maximumDepth {
                    return Position(line: index + 1, column: column)
                }
            }
            let indentation = column
            var previous: Unicode.Scalar = " "
            for scalar in scalars[column...] {
                column += 1
                if scalar == "#" && (previous == " " || previous == "\t" || column == 1) { break }
                switch scalar {
                case "[", "{":
                    flowDepth += 1
                    if indentation + flowDepth > maximumDepth { return Position(line: index + 1, column: column) }
                case "]", "}":
                    flowDepth = max(0, flowDepth - 1)
                default:
                    break
                }
                previous = scalar
            }
        }
        return nil
    }

    /// Counts nodes as a reader would visit them (aliases expanded); false once `budget` runs out.
    private static func countNodes(_ node: YAMLNode, budget: inout Int) -> Bool {
        budget -= 1
        guard budget >= 0 else { return false }
        switch node {
        case .scalar, .alias: return true
        case .sequence(let sequence):
            for child in sequence where !countNodes(child, budget: &budget) { return false }
            return true
        case .mapping(let mapping):
            for (key, value) in mapping {
                guard countNodes(key, budget: &budget), countNodes(value, budget: &budget) else { return false }
            }
            return true
        }
    }

    // MARK: Finding files

    /// The YAML files of a directory (`*.yaml`, `*.yml`, not hidden, not recursive), sorted by name.
    /// Nil after recording a diagnostic when the directory cannot be listed.
    static func files(inDirectory directory: String, into collector: DiagnosticCollector) -> [String]? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) else {
            collector.error("cannot read '\(directory)': no such directory", at: nil)
            return nil
        }
        guard isDirectory.boolValue else {
            collector.error("'\(directory)' is not a directory", at: nil)
            return nil
        }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            collector.error("cannot list directory '\(directory)': \(error.localizedDescription)", at: nil)
            return nil
        }
        return names
            .filter { !$0.hasPrefix(".") && ($0.hasSuffix(".yaml") || $0.hasSuffix(".yml")) }
            .sorted()
            .map { join(directory, $0) }
            .filter { path in
                var isDirectory: ObjCBool = false
                return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
                    && !isDirectory.boolValue
            }
    }

    static func isDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }
}
