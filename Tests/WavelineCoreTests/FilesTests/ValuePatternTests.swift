import Testing
import WavelineCore

/// A catalog pattern runs in bounded time: shapes that make backtracking explode are refused where the catalog
/// is read (with the file, line and column), and what is accepted is matched in time linear in the value.
@Suite("Value patterns")
struct ValuePatternTests {
    static func catalog(pattern: String) -> String {
        """
        name: guarded
        parameters:
          - name: value
            type: string
            pattern: '\(pattern)'
        steps:
          - {name: s, run: [./bin/x, "{{value}}"]}
        """
    }

    @Test(arguments: [
        (#"^(a+)+$"#, "quantifier inside a repeated group"),
        (#"(a*)*"#, "must not be able to match nothing"),
        (#"^(a|aa)+$"#, "may not hold '|'"),
        (#"^(\w+\s?)*$"#, "quantifier inside a repeated group"),
        (#"^(.*a){20}$"#, "quantifier inside a repeated group"),
        (#"^((ab)+)+$"#, "may not hold '|' or another group"),
        (#"^(a)\1$"#, "backreferences"),
        (#"^(?=a)a$"#, "lookarounds"),
        (#"^(?<name>a)$"#, "lookarounds, named groups"),
        (#"^a+?$"#, "lazy and possessive"),
        (#"^a++$"#, "lazy and possessive"),
        (#"^\bword$"#, "not in the dialect"),
        (#"^\p{L}+$"#, "not in the dialect"),
        (#"^a{1,100000}$"#, "above 1000"),
        (#"^(-[a-z]{1000}){3}$"#, "too large"),
        (#"^a^b$"#, "only at the start"),
        (#"^[[:alpha:]]$"#, "nested classes"),
    ])
    func aBacktrackingPronePatternIsRefusedWhereTheCatalogIsRead(pattern: String, complaint: String) throws {
        let directory = try FilesTestDirectory()
        let file = try directory.write("guarded.yaml", Self.catalog(pattern: pattern))
        let found = thrownDiagnostics { try CatalogLoader.loadOperation(file: file) }
        expectFileDiagnostic(found, file, 5, 14, "the pattern of parameter 'value' is refused: ")
        #expect(found.contains { $0.message.contains(complaint) }, "\(renderDiagnostics(found))")
    }

    @Test func theRefusalOfANestedQuantifierSaysWhatTheDialectAllows() throws {
        let directory = try FilesTestDirectory()
        let file = try directory.write("guarded.yaml", Self.catalog(pattern: #"^(a+)+$"#))
        let found = thrownDiagnostics { try CatalogLoader.loadOperation(file: file) }
        #expect(found.contains { $0.message.contains("linear time") && $0.message.contains(#"(\.[0-9]+)*"#) },
                "\(renderDiagnostics(found))")
    }

    @Test(arguments: [
        (#"^[0-9]+\.[0-9]+\.[0-9]+$"#, "1.22.333", true),
        (#"^[0-9]+\.[0-9]+\.[0-9]+$"#, "1.2.3\n", false),
        (#"^[0-9]+\.[0-9]+\.[0-9]+$"#, "v1.2.3", false),
        (#"^[0-9]+(\.[0-9]+)*$"#, "1.2.3.4", true),
        (#"^[0-9]+(\.[0-9]+)*$"#, "1..2", false),
        (#"^[a-z0-9]+(-[a-z0-9]+)*$"#, "web-eu-1", true),
        (#"^[a-z0-9]+(-[a-z0-9]+)*$"#, "web--1", false),
        (#"^[a-z][a-z0-9_.]*$"#, "log.retention.hours", true),
        (#"^[a-z][a-z0-9_.]*$"#, "Log", false),
        (#"^(blue|green)$"#, "green", true),
        (#"^(blue|green)$"#, "greenblue", false),
        (#"^blue$|^green$"#, "blue", true),
        (#"abc"#, "xabc", false),
        (#"^a{2,3}$"#, "aaa", true),
        (#"^a{2,3}$"#, "aaaa", false),
        (#"^a{2,}$"#, "aaaaaaa", true),
        (#"^a{2}$"#, "a", false),
        (#"^[^/]+$"#, "no/slash", false),
        (#"^[^/]+$"#, "fine", true),
        (#"^\d+\s\w+$"#, "12 ab_c", true),
        (#"^\D+$"#, "abc1", false),
        (#"^[-a]+$"#, "-a-", true),
        (#"^[a-]+$"#, "a-a", true),
        (#"^\$[A-Z]+$"#, "$HOME", true),
        (#"^.+$"#, "one\ntwo", false),
        (#"^(ab)?c$"#, "c", true),
        (#"^(ab)?c$"#, "abc", true),
        (#"^$"#, "", true),
        (#"^é+$"#, "éé", true),
    ])
    func anAcceptedPatternMatchesTheWholeValue(pattern: String, value: String, matches: Bool) throws {
        let compiled = try ValuePattern(pattern)
        #expect(compiled.matchesWhole(value) == matches, "\(pattern) against \(value.debugDescription)")
    }

    /// Patterns a backtracking engine needs far more than the age of the universe for; the limit only turns a
    /// hang into a failure.
    @Test(.timeLimit(.minutes(1)), arguments: [
        #"^[a-z]*[a-z]*[a-z]*[a-z]*[a-z]*[a-z]*b$"#,
        #"^(a|b|c)a*a*a*a*a*a*a*a*$"#,
        #"^(-a*)*$"#,
    ])
    func theWorstAcceptedPatternsTakeLinearTimeOnTheLongestValue(pattern: String) throws {
        let operation = Operation(
            name: "o", parameters: [Parameter(name: "value", kind: .string, pattern: pattern)],
            steps: [Step(name: "s", command: .argv(["true"]))])
        let hostile = String(repeating: "-", count: 1) + String(repeating: "a", count: Parameter.maximumValueBytes - 2) + "!"
        let found = thrownDiagnostics { try ParameterValues.resolve(["value": hostile], for: operation) }
        #expect(found.count == 1 && found[0].message.contains("does not match pattern"), "\(found)")
    }

    @Test func aValueLongerThanTheLimitIsRefusedWhateverItsType() throws {
        let operation = Operation(
            name: "o", parameters: [Parameter(name: "note", kind: .string)],
            steps: [Step(name: "s", command: .argv(["true"]))])
        let longest = String(repeating: "é", count: Parameter.maximumValueBytes / 2)
        #expect(try ParameterValues.resolve(["note": longest], for: operation) == ["note": longest])
        let found = thrownDiagnostics { try ParameterValues.resolve(["note": longest + "x"], for: operation) }
        #expect(found.map(\.message) == [
            "parameter 'note': the value is 4097 bytes long; a parameter value has at most 4096 bytes",
        ])
    }
}
