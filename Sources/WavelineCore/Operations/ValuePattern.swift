/// A parameter's `pattern`: a small dialect of regular expressions, matched against the whole value by simulating
/// its automaton (Thompson's construction), so the time a match takes grows with the value's length times the
/// pattern's size, whatever the pattern. Swift's `Regex` backtracks: with it, `^(a+)+$` against forty `a`s and a
/// `b` never ends, and a server checking that value stalls.
///
/// On top of that, the shapes that make backtracking engines explode are refused when the catalog is read
/// (nested quantifiers, alternation inside a repeated group, backreferences, lookarounds), so that a pattern
/// stays harmless wherever else it is used, and one that relies on them is told at once.
public struct ValuePattern: Sendable {
    /// The longest pattern accepted, in characters.
    public static let maximumLength = 1000
    /// The largest count of a `{n,m}` quantifier.
    public static let maximumCount = 1000
    /// The largest automaton, once counts are expanded: bounds the work per character of a value.
    static let maximumProgram = 2_000

    /// What the dialect holds, for the messages that refuse something else.
    public static let dialect = "patterns use a small regular-expression dialect matched in linear time: "
        + "characters, '.', classes such as [a-z0-9_-] or [^/], \\d \\w \\s (ASCII) and their negations, "
        + "groups (...) and (?:...), '|', quantifiers * + ? {n} {n,} {n,m} (counts up to \(maximumCount)), "
        + "'^' and '$' only at the ends; no backreferences, lookarounds, lazy or possessive quantifiers; "
        + "a repeated group holds only characters and classes, and when one of them is quantified the group "
        + "starts with a character found nowhere else in it, such as (\\.[0-9]+)* or (-[a-z0-9]+)*"

    public let source: String
    private let program: [Instruction]

    /// - Throws: `Problem` saying what is outside the dialect, and where.
    public init(_ source: String) throws(Problem) {
        let scalars = Array(source.unicodeScalars)
        guard scalars.count <= Self.maximumLength else {
            throw Problem("it is \(scalars.count) characters long; a pattern has at most \(Self.maximumLength)", at: 0)
        }
        var parser = PatternParser(scalars: scalars)
        let tree = try parser.parse()
        var compiler = PatternCompiler()
        try compiler.emit(tree)
        compiler.program.append(.match)
        self.source = source
        self.program = compiler.program
    }

    /// Whether the whole of `value` matches (as `wholeMatch` would: anchors are implied).
    public func matchesWhole(_ value: String) -> Bool {
        var current = ThreadSet(capacity: program.count), next = ThreadSet(capacity: program.count)
        add(0, to: &current)
        for scalar in value.unicodeScalars {
            if current.isEmpty { return false }
            next.removeAll()
            for pc in current.members {
                if case .test(let test) = program[pc], test.contains(scalar) { add(pc + 1, to: &next) }
            }
            swap(&current, &next)
        }
        return current.members.contains { if case .match = program[$0] { return true } else { return false } }
    }

    /// Adds `start` and every instruction reachable from it without reading a character.
    private func add(_ start: Int, to set: inout ThreadSet) {
        var pending = [start]
        while let pc = pending.popLast() {
            guard set.insert(pc) else { continue }
            switch program[pc] {
            case .jump(let target): pending.append(target)
            case .split(let first, let second): pending.append(second); pending.append(first)
            case .test, .match: break
            }
        }
    }

    /// Why a pattern is refused, with the character (counted from 1) where the problem is.
    public struct Problem: Error, CustomStringConvertible, Sendable {
        public var message: String
        /// 0-based, in Unicode scalars.
        public var offset: Int
        init(_ message: String, at offset: Int) {
            self.message = message
            self.offset = offset
        }
        public var description: String { "\(message) (at character \(offset + 1))" }
    }
}

// MARK: - Automaton

enum Instruction: Sendable {
    case test(CharacterTest)
    case split(Int, Int)
    case jump(Int)
    case match
}

/// One character position of a pattern.
enum CharacterTest: Sendable, Hashable {
    case scalar(Unicode.Scalar)
    /// `.`: any character but a line feed.
    case anyButNewline
    case ranges([ClosedRange<UInt32>], negated: Bool)

    func contains(_ s: Unicode.Scalar) -> Bool {
        switch self {
        case .scalar(let own): return own == s
        case .anyButNewline: return s != "\n"
        case .ranges(let ranges, let negated): return ranges.contains { $0.contains(s.value) } != negated
        }
    }
}

/// A set of program positions that keeps its insertion order and clears in constant time.
private struct ThreadSet {
    private(set) var members: [Int] = []
    private var slot: [Int]

    init(capacity: Int) { slot = Array(repeating: 0, count: capacity) }

    var isEmpty: Bool { members.isEmpty }

    /// False when already there.
    mutating func insert(_ pc: Int) -> Bool {
        let index = slot[pc]
        if index < members.count && members[index] == pc { return false }
        slot[pc] = members.count
        members.append(pc)
        return true
    }

    mutating func removeAll() { members.removeAll(keepingCapacity: true) }
}

// MARK: - Parsing

indirect enum PatternNode {
    case test(CharacterTest)
    case sequence([PatternNode])
    case choice([PatternNode])
    case group(PatternNode)
    case repeated(PatternNode, min: Int, max: Int?)

    var canBeEmpty: Bool {
        switch self {
        case .test: return false
        case .sequence(let items): return items.allSatisfy(\.canBeEmpty)
        case .choice(let branches): return branches.contains(where: \.canBeEmpty)
        case .group(let inner): return inner.canBeEmpty
        case .repeated(let inner, let min, _): return min == 0 || inner.canBeEmpty
        }
    }
}

private struct PatternParser {
    let scalars: [Unicode.Scalar]
    var index = 0

    init(scalars: [Unicode.Scalar]) { self.scalars = scalars }

    private var peek: Unicode.Scalar? { index < scalars.count ? scalars[index] : nil }

    mutating func parse() throws(ValuePattern.Problem) -> PatternNode {
        let tree = try choice(depth: 0)
        if index < scalars.count {
            throw ValuePattern.Problem("')' closes no group; write \\) for the character", at: index)
        }
        return tree
    }

    private mutating func choice(depth: Int) throws(ValuePattern.Problem) -> PatternNode {
        var branches = [try sequence(depth: depth)]
        while peek == "|" {
            index += 1
            branches.append(try sequence(depth: depth))
        }
        return branches.count == 1 ? branches[0] : .choice(branches)
    }

    private mutating func sequence(depth: Int) throws(ValuePattern.Problem) -> PatternNode {
        var items: [PatternNode] = []
        // The whole value is matched anyway: '^' and '$' are allowed where they mean that, and nowhere else.
        if depth == 0 && peek == "^" { index += 1 }
        while let scalar = peek, scalar != "|", scalar != ")" {
            if scalar == "$" && depth == 0 && (index + 1 == scalars.count || scalars[index + 1] == "|") {
                index += 1
                break
            }
            if scalar == "^" || scalar == "$" {
                throw ValuePattern.Problem(
                    "'\(scalar)' is allowed only at the start ('^') or end ('$') of the pattern or of one of its "
                        + "top-level alternatives; write \\\(scalar) for the character", at: index)
            }
            let start = index
            let atom = try atom(depth: depth)
            guard let (min, max) = try quantifier() else {
                items.append(atom)
                continue
            }
            try checkRepeatable(atom, max: max, at: start)
            items.append(.repeated(atom, min: min, max: max))
        }
        return .sequence(items)
    }

    private mutating func atom(depth: Int) throws(ValuePattern.Problem) -> PatternNode {
        let start = index
        let scalar = scalars[index]
        index += 1
        switch scalar {
        case "(":
            if peek == "?" {
                guard index + 1 < scalars.count, scalars[index + 1] == ":" else {
                    throw ValuePattern.Problem(
                        "'(?' groups (lookarounds, named groups, flags) are not in the dialect; only (?:...) is",
                        at: start)
                }
                index += 2
            }
            let inner = try choice(depth: depth + 1)
            guard peek == ")" else { throw ValuePattern.Problem("this group is not closed with ')'", at: start) }
            index += 1
            return .group(inner)
        case "[": return .test(try characterClass(start: start))
        case ".": return .test(.anyButNewline)
        case "\\": return .test(try escape(inClass: false))
        case "*", "+", "?", "{":
            throw ValuePattern.Problem("'\(scalar)' has nothing to repeat; write \\\(scalar) for the character", at: start)
        case "]", "}":
            throw ValuePattern.Problem("write \\\(scalar) for the character '\(scalar)'", at: start)
        default: return .test(.scalar(scalar))
        }
    }

    /// `*`, `+`, `?`, `{n}`, `{n,}`, `{n,m}` after an atom: its bounds, nil when there is none.
    private mutating func quantifier() throws(ValuePattern.Problem) -> (Int, Int?)? {
        guard let scalar = peek else { return nil }
        let start = index
        let bounds: (Int, Int?)
        switch scalar {
        case "*": index += 1; bounds = (0, nil)
        case "+": index += 1; bounds = (1, nil)
        case "?": index += 1; bounds = (0, 1)
        case "{":
            index += 1
            let min = try count(start: start)
            var max: Int? = min
            if peek == "," {
                index += 1
                max = peek == "}" ? nil : try count(start: start)
            }
            guard peek == "}" else {
                throw ValuePattern.Problem("a count is written {n}, {n,} or {n,m}; write \\{ for the character", at: start)
            }
            index += 1
            if let max, max < min {
                throw ValuePattern.Problem("in {\(min),\(max)} the larger count comes second", at: start)
            }
            bounds = (min, max)
        default: return nil
        }
        if let next = peek, "*+?{".unicodeScalars.contains(next) {
            throw ValuePattern.Problem(
                "'\(next)' after a quantifier: lazy and possessive quantifiers are not in the dialect, and a "
                    + "quantifier cannot repeat another", at: index)
        }
        return bounds
    }

    private mutating func count(start: Int) throws(ValuePattern.Problem) -> Int {
        var digits = ""
        while let scalar = peek, ("0"..."9").contains(scalar), digits.count < 5 {
            digits.unicodeScalars.append(scalar)
            index += 1
        }
        guard let value = Int(digits) else {
            throw ValuePattern.Problem("a count is written {n}, {n,} or {n,m}; write \\{ for the character", at: start)
        }
        guard value <= ValuePattern.maximumCount else {
            throw ValuePattern.Problem("count \(value) is above \(ValuePattern.maximumCount)", at: start)
        }
        return value
    }

    /// A group repeated more than once holds characters and classes only, and when one of them is quantified,
    /// it starts with a delimiter character found nowhere else in it: then where each repetition starts is
    /// never in doubt. `(a+)+`, `(a|aa)+`, `(a*)*` are the classic patterns that make backtracking explode.
    private func checkRepeatable(_ atom: PatternNode, max: Int?, at start: Int) throws(ValuePattern.Problem) {
        guard max.map({ $0 > 1 }) ?? true, case .group(let body) = atom else { return }
        if body.canBeEmpty {
            throw ValuePattern.Problem("a repeated group must not be able to match nothing", at: start)
        }
        let items: [PatternNode]
        switch body {
        case .sequence(let list): items = list
        case .test: items = [body]
        default: items = [.group(body)]
        }
        var tests: [CharacterTest] = []
        var quantified = false
        for item in items {
            switch item {
            case .test(let test): tests.append(test)
            case .repeated(.test(let test), _, _): tests.append(test); quantified = true
            default:
                throw ValuePattern.Problem(
                    "a repeated group may not hold '|' or another group (write (a|b)+ as [ab]+); "
                        + ValuePattern.dialect, at: start)
            }
        }
        guard quantified else { return }
        if case .test(.scalar(let delimiter))? = items.first, !tests.dropFirst().contains(where: { $0.contains(delimiter) }) {
            return
        }
        throw ValuePattern.Problem(
            "a quantifier inside a repeated group (such as (a+)+) is allowed only when the group starts with a "
                + "character found nowhere else in it, such as (\\.[0-9]+)*; " + ValuePattern.dialect, at: start)
    }

    private mutating func characterClass(start: Int) throws(ValuePattern.Problem) -> CharacterTest {
        let negated = peek == "^"
        if negated { index += 1 }
        var ranges: [ClosedRange<UInt32>] = []
        while true {
            guard let scalar = peek else { throw ValuePattern.Problem("this class is not closed with ']'", at: start) }
            let itemStart = index
            if scalar == "]" {
                guard !ranges.isEmpty else {
                    throw ValuePattern.Problem("an empty class matches nothing; write \\] for the character", at: start)
                }
                index += 1
                return .ranges(ranges, negated: negated)
            }
            if scalar == "[" {
                throw ValuePattern.Problem(
                    "'[' inside a class (nested classes, [:alpha:]) is not in the dialect; write \\[ for the character",
                    at: itemStart)
            }
            if index + 1 < scalars.count, "&-~".unicodeScalars.contains(scalar), scalars[index + 1] == scalar {
                throw ValuePattern.Problem(
                    "'\(scalar)\(scalar)' in a class (set operations) is not in the dialect", at: itemStart)
            }
            index += 1
            let low: UInt32
            if scalar == "\\" {
                switch try escape(inClass: true) {
                case .scalar(let literal): low = literal.value
                case .ranges(let own, _): ranges += own; continue
                case .anyButNewline: continue
                }
            } else {
                low = scalar.value
            }
            // A '-' between two characters makes a range; first or last, it is the character itself.
            if peek == "-", index + 1 < scalars.count, scalars[index + 1] != "]" {
                index += 1
                var high = scalars[index]
                index += 1
                if high == "\\" {
                    guard case .scalar(let literal) = try escape(inClass: true) else {
                        throw ValuePattern.Problem("a range ends with one character", at: itemStart)
                    }
                    high = literal
                } else if high == "[" {
                    throw ValuePattern.Problem("write \\[ for the character '['", at: index - 1)
                }
                guard low <= high.value else {
                    throw ValuePattern.Problem("the range ends before it starts", at: itemStart)
                }
                ranges.append(low...high.value)
            } else {
                ranges.append(low...low)
            }
        }
    }

    /// After a `\`: a class (\d \w \s, their negations outside classes), a control character, or punctuation.
    private mutating func escape(inClass: Bool) throws(ValuePattern.Problem) -> CharacterTest {
        let start = index - 1
        guard let scalar = peek else { throw ValuePattern.Problem("'\\' ends the pattern", at: start) }
        index += 1
        let digits: [ClosedRange<UInt32>] = [0x30...0x39]
        let word: [ClosedRange<UInt32>] = [0x30...0x39, 0x41...0x5A, 0x5F...0x5F, 0x61...0x7A]
        let space: [ClosedRange<UInt32>] = [0x09...0x0D, 0x20...0x20]
        switch scalar {
        case "d": return .ranges(digits, negated: false)
        case "w": return .ranges(word, negated: false)
        case "s": return .ranges(space, negated: false)
        case "D", "W", "S":
            if inClass {
                throw ValuePattern.Problem("\\\(scalar) inside a class is not in the dialect; use [^...]", at: start)
            }
            return .ranges(scalar == "D" ? digits : scalar == "W" ? word : space, negated: true)
        case "t": return .scalar("\t")
        case "n": return .scalar("\n")
        case "r": return .scalar("\r")
        case "f": return .scalar("\u{0C}")
        case "v": return .scalar("\u{0B}")
        default:
            if scalar.isASCII && !scalar.properties.isAlphabetic && !("0"..."9").contains(scalar) && scalar.value > 0x20 {
                return .scalar(scalar)
            }
            if ("1"..."9").contains(scalar) {
                throw ValuePattern.Problem("backreferences (\\\(scalar)) are not in the dialect", at: start)
            }
            throw ValuePattern.Problem("\\\(scalar) is not in the dialect; " + ValuePattern.dialect, at: start)
        }
    }
}

// MARK: - Compiling

private struct PatternCompiler {
    var program: [Instruction] = []

    mutating func emit(_ node: PatternNode) throws(ValuePattern.Problem) {
        guard program.count < ValuePattern.maximumProgram else {
            throw ValuePattern.Problem(
                "the pattern is too large once its counts are expanded; use smaller counts", at: 0)
        }
        switch node {
        case .test(let test): program.append(.test(test))
        case .sequence(let items): for item in items { try emit(item) }
        case .group(let inner): try emit(inner)
        case .choice(let branches):
            // split L1, next; L1: a; jump end; next: split L2, ...; last branch; end.
            var jumps: [Int] = []
            for (offset, branch) in branches.enumerated() {
                if offset == branches.count - 1 {
                    try emit(branch)
                } else {
                    let split = program.count
                    program.append(.split(split + 1, 0))
                    try emit(branch)
                    jumps.append(program.count)
                    program.append(.jump(0))
                    program[split] = .split(split + 1, program.count)
                }
            }
            for jump in jumps { program[jump] = .jump(program.count) }
        case .repeated(let inner, let min, let max):
            for _ in 0..<min { try emit(inner) }
            if let max {
                var exits: [Int] = []
                for _ in min..<max {
                    exits.append(program.count)
                    program.append(.split(program.count + 1, 0))
                    try emit(inner)
                }
                for exit in exits { program[exit] = .split(exit + 1, program.count) }
            } else {
                let loop = program.count
                program.append(.split(loop + 1, 0))
                try emit(inner)
                program.append(.jump(loop))
                program[loop] = .split(loop + 1, program.count)
            }
        }
    }
}
