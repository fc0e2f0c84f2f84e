import Foundation
import Testing
import WavelineCore

@Suite("Parameter values")
struct ParameterValuesTests {
    static let operation = Operation(
        name: "deploy-version",
        parameters: [
            Parameter(name: "version", kind: .string, required: true, pattern: #"^[0-9]+\.[0-9]+\.[0-9]+$"#),
            Parameter(name: "mode", kind: .oneOf(["fast", "safe"]), defaultValue: "safe"),
            Parameter(name: "workers", kind: .int, defaultValue: "4"),
            Parameter(name: "dry_run", kind: .bool),
            Parameter(name: "note", kind: .string),
        ],
        steps: [Step(name: "install", command: .argv(["./bin/service", "install", "{{version}}", "{{note}}"]))]
    )

    @Test func defaultsAreFilledInAndOptionalOnesLeftOut() throws {
        let values = try ParameterValues.resolve(["version": "1.2.3"], for: Self.operation)
        #expect(values == ["version": "1.2.3", "mode": "safe", "workers": "4"])
    }

    @Test func givenValuesOverrideDefaults() throws {
        let values = try ParameterValues.resolve(
            ["version": "10.0.1", "mode": "fast", "workers": "-2", "dry_run": "false"], for: Self.operation)
        #expect(values == ["version": "10.0.1", "mode": "fast", "workers": "-2", "dry_run": "false"])
    }

    @Test func everyBadValueIsReportedWithoutALocation() throws {
        let found = thrownDiagnostics {
            try ParameterValues.resolve(
                ["version": "3.x", "mode": "slow", "workers": "ten", "dry_run": "yes", "colour": "red"],
                for: Self.operation)
        }
        #expect(found.allSatisfy { $0.location == nil })
        #expect(Set(found.map(\.message)) == [
            "unknown parameter 'colour'; operation 'deploy-version' takes: version, mode, workers, dry_run, note",
            #"parameter 'version': '3.x' does not match pattern ^[0-9]+\.[0-9]+\.[0-9]+$"#,
            "parameter 'mode': 'slow' is not one of the allowed values: fast, safe",
            "parameter 'workers': 'ten' is not a whole number",
            "parameter 'dry_run': 'yes' must be true or false",
        ])
    }

    @Test func missingRequiredParameter() throws {
        let found = thrownDiagnostics { try ParameterValues.resolve(["mode": "fast"], for: Self.operation) }
        #expect(found.map(\.message) == ["parameter 'version' is required by operation 'deploy-version'"])
    }

    @Test func misspeltParameterGetsASuggestion() throws {
        let found = thrownDiagnostics { try ParameterValues.resolve(["version": "1.0.0", "mdoe": "x"], for: Self.operation) }
        #expect(found.count == 1)
        #expect(found.first?.message.contains("(did you mean 'mode'?)") == true)
    }

    @Test func patternMustMatchTheWholeValue() throws {
        for value in ["1.2.3; touch /tmp/pwned", " 1.2.3", "v1.2.3"] {
            let found = thrownDiagnostics { try ParameterValues.resolve(["version": value], for: Self.operation) }
            #expect(found.map(\.message) == [
                #"parameter 'version': '\#(value)' does not match pattern ^[0-9]+\.[0-9]+\.[0-9]+$"#,
            ])
        }
    }

    @Test(arguments: [
        ("1.2.3\n", "a line break or tab (U+000A) at character 6"),
        ("a\rb", "a line break or tab (U+000D) at character 2"),
        ("a\tb", "a line break or tab (U+0009) at character 2"),
        ("a\u{0}b", "the control character U+0000 at character 2"),
        ("\u{1B}]0;pwned\u{7}", "the control character U+001B at character 1"),
        ("a\u{7F}", "the control character U+007F at character 2"),
        ("a\u{9B}2J", "the control character U+009B at character 2"),
        ("a\u{2028}b", "the control character U+2028 at character 2"),
    ])
    func aValueWithControlCharactersIsRefusedWithoutQuotingThem(value: String, problem: String) throws {
        for name in ["note", "workers", "mode"] {
            let found = thrownDiagnostics { try ParameterValues.resolve(["version": "1.2.3", name: value], for: Self.operation) }
            #expect(found.count == 1 && found[0].message.contains(problem), "\(found)")
            #expect(!found.contains { $0.message.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F } },
                    "the message quotes the control character")
        }
    }

    @Test func aMultilineValueHoldsLineBreaksAndTabsButNoOtherControlCharacter() throws {
        let operation = Operation(
            name: "o", parameters: [Parameter(name: "text", kind: .multiline)],
            steps: [Step(name: "s", command: .argv(["true"]))])
        let text = "-----BEGIN CERTIFICATE-----\r\nMIIB\tx\n-----END CERTIFICATE-----\n"
        #expect(try ParameterValues.resolve(["text": text], for: operation) == ["text": text])
        for (value, code) in [("a\u{0}", "U+0000"), ("a\n\u{1B}[2J", "U+001B"), ("\u{8}", "U+0008")] {
            let found = thrownDiagnostics { try ParameterValues.resolve(["text": value], for: operation) }
            #expect(found.count == 1 && found[0].message.contains("the control character \(code)"), "\(found)")
        }
    }

    @Test func theShippedConfigChangeRefusesValuesOutsideItsPattern() throws {
        let catalog = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("catalog/config-change.yaml").path
        let operation = try CatalogLoader.loadOperation(file: catalog)
        #expect(try ParameterValues.resolve(["key": "log.retention.hours", "value": "72"], for: operation)["value"] == "72")
        let found = thrownDiagnostics {
            try ParameterValues.resolve(["key": "log.level", "value": "x; $(touch /tmp/p) `id`"], for: operation)
        }
        #expect(found.count == 1 && found[0].message.contains("does not match pattern"), "\(found)")
    }

    @Test func shellTextIsAnOrdinaryValueAndStaysOneArgument() throws {
        let injection = "x; touch /tmp/pwned"
        let values = try ParameterValues.resolve(["version": "1.2.3", "note": injection], for: Self.operation)
        #expect(values["note"] == injection)
        let command = Self.operation.steps[0].command.resolved(values: values, environment: [:])
        #expect(command.argv == ["./bin/service", "install", "1.2.3", injection])
    }

    @Test func operationWithoutParametersRefusesAnyValue() throws {
        let bare = Operation(name: "noop", steps: [Step(name: "s", command: .argv(["true"]))])
        #expect(try ParameterValues.resolve([:], for: bare) == [:])
        let found = thrownDiagnostics { try ParameterValues.resolve(["x": "1"], for: bare) }
        #expect(found.map(\.message) == ["unknown parameter 'x'; operation 'noop' takes no parameters"])
    }
}
