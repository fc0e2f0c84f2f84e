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
        for value in ["1.2.3; touch /tmp/pwned", "1.2.3\n", " 1.2.3", "v1.2.3"] {
            let found = thrownDiagnostics { try ParameterValues.resolve(["version": value], for: Self.operation) }
            #expect(found.map(\.message) == [
                #"parameter 'version': '\#(value)' does not match pattern ^[0-9]+\.[0-9]+\.[0-9]+$"#,
            ])
        }
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
