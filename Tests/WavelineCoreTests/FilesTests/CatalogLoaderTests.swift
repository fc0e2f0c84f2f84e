import Foundation
import Testing
import WavelineCore

@Suite("Operation catalog files")
struct CatalogLoaderTests {
    static let deployVersion = #"""
        name: deploy-version
        description: Install a version and restart.
        idempotent: true
        parameters:
          - name: version
            type: string
            required: true
            pattern: '^[0-9]+\.[0-9]+\.[0-9]+$'
            description: The version to install.
          - name: mode
            type: enum
            values: [fast, safe]
            default: safe
          - name: workers
            type: int
            default: 4
          - name: dry_run
            type: bool
        pre_checks:
          - name: healthy before
            run: [./bin/service, health]
            retries: 3
            interval: 500ms
            timeout: 10s
        steps:
          - name: install
            run: [./bin/service, install, "{{version}}", --mode, "{{ mode }}"]
            timeout: 2m
          - name: restart
            shell: ./bin/service restart
        post_checks:
          - name: healthy after
            shell: test -f config.yaml
        rollback:
          - name: reinstall previous
            run: [./bin/service, rollback]
            timeout: 1h
        """#

    static let expected = Operation(
        name: "deploy-version", description: "Install a version and restart.", role: "deployer", idempotent: true,
        parameters: [
            Parameter(name: "version", kind: .string, required: true, pattern: #"^[0-9]+\.[0-9]+\.[0-9]+$"#,
                      description: "The version to install."),
            Parameter(name: "mode", kind: .oneOf(["fast", "safe"]), defaultValue: "safe"),
            Parameter(name: "workers", kind: .int, defaultValue: "4"),
            Parameter(name: "dry_run", kind: .bool),
        ],
        preChecks: [
            Check(name: "healthy before", command: .argv(["./bin/service", "health"]), retries: 3,
                  interval: .milliseconds(500), timeout: .seconds(10)),
        ],
        steps: [
            Step(name: "install", command: .argv(["./bin/service", "install", "{{version}}", "--mode", "{{ mode }}"]),
                 timeout: .seconds(120)),
            Step(name: "restart", command: .shell("./bin/service restart"), timeout: .seconds(300)),
        ],
        postChecks: [
            Check(name: "healthy after", command: .shell("test -f config.yaml"), retries: 0, interval: .seconds(1),
                  timeout: .seconds(30)),
        ],
        rollback: [Step(name: "reinstall previous", command: .argv(["./bin/service", "rollback"]), timeout: .seconds(3600))]
    )

    @Test func validOperationLoadsWithDefaults() throws {
        let dir = try FilesTestDirectory()
        let file = try dir.write("deploy-version.yaml", Self.deployVersion)
        #expect(try CatalogLoader.loadOperation(file: file) == Self.expected)
    }

    @Test func directoryLoadsOneOperationPerFileInNameOrder() throws {
        let dir = try FilesTestDirectory()
        try dir.write("b.yaml", Self.deployVersion)
        try dir.write("a.yml", """
            name: restart
            role: operator
            steps:
              - name: restart
                run: [./bin/service, restart]
            """)
        try dir.write("notes.txt", "not an operation")
        let operations = try CatalogLoader.load(directory: dir.path)
        #expect(operations.map(\.name) == ["restart", "deploy-version"])
        #expect(operations[0] == Operation(
            name: "restart", role: "operator",
            steps: [Step(name: "restart", command: .argv(["./bin/service", "restart"]))]
        ))
    }

    @Test func everyProblemOfAFileIsReported() throws {
        let dir = try FilesTestDirectory()
        let file = try dir.write("bad.yaml", """
            name: Deploy
            role: boss
            parameters:
              - name: Version
                type: float
              - name: mode
                type: enum
              - name: tag
                type: string
                pattern: '[unclosed'
              - name: count
                type: int
                values: [1, 2]
                default: ten
              - name: level
                type: enum
                values: [low, high]
                required: true
                default: low
            pre_checks:
              - name: wait
                run: [./bin/check]
                retries: -1
                timeout: 0s
            steps:
              - name: install
                run: [./bin/service, install, "{{vresion}}", "{{mode}}"]
              - name: install
                run: [sh, -c, "{{tag}}"]
              - name: both
                run: [a]
                shell: b
              - name: script
                shell: echo {{tag}}
                timeout: soon
            """)
        let found = thrownDiagnostics { try CatalogLoader.loadOperation(file: file) }
        expectFileDiagnostic(found, file, 1, 7, "operation name 'Deploy' is not valid")
        expectFileDiagnostic(found, file, 2, 7, exactly:
            "role 'boss' is not known; expected one of: viewer, operator, deployer, approver, admin")
        expectFileDiagnostic(found, file, 4, 11, "parameter name 'Version' is not valid")
        expectFileDiagnostic(found, file, 5, 11, exactly:
            "parameter 'Version' has unknown type 'float'; expected one of: string, multiline, int, bool, enum")
        expectFileDiagnostic(found, file, 6, 5, exactly: "parameter 'mode' is missing 'values'")
        expectFileDiagnostic(found, file, 10, 14, "the pattern of parameter 'tag' is refused: this class is not closed")
        expectFileDiagnostic(found, file, 13, 13, exactly:
            "'values' is only allowed for enum parameters, and parameter 'count' is of type 'int'")
        expectFileDiagnostic(found, file, 14, 14, exactly: "parameter 'count' has an invalid default: 'ten' is not a whole number")
        expectFileDiagnostic(found, file, 19, 14, "parameter 'level' is required, so it cannot have a default")
        expectFileDiagnostic(found, file, 23, 14, exactly: "'retries' must be zero or more, got '-1'")
        expectFileDiagnostic(found, file, 24, 14, exactly: "'timeout' must be greater than zero")
        expectFileDiagnostic(found, file, 27, 35,
            "step 'install' uses {{vresion}}, but the operation has no parameter 'vresion'")
        expectFileDiagnostic(found, file, 28, 5, "duplicate step 'install' in 'steps' (first defined at \(file):26:5)")
        expectFileDiagnostic(found, file, 28, 5, "step 'install': placeholder {{tag}} passed to sh, which could run it as code")
        expectFileDiagnostic(found, file, 30, 5, exactly: "step 'both' has both 'run' and 'shell'; give exactly one")
        expectFileDiagnostic(found, file, 34, 12, "step 'script' writes {{tag}} in a shell script")
        expectFileDiagnostic(found, file, 34, 12, "$WAVELINE_PARAM_TAG")
        expectFileDiagnostic(found, file, 35, 14, exactly:
            "'timeout' must be a duration such as 500ms, 10s, 5m, 1h or a number of seconds, got 'soon'")
        #expect(found.count == 17, "\(renderDiagnostics(found))")
        expectSortedDiagnostics(found)
    }

    @Test func placeholderInsideOtherTextIsRefusedAtTheStep() throws {
        let dir = try FilesTestDirectory()
        let file = try dir.write("op.yaml", """
            name: tag
            parameters:
              - name: version
                type: string
            steps:
              - name: tag
                run: [git, tag, "v{{version}}"]
            """)
        let found = thrownDiagnostics { try CatalogLoader.loadOperation(file: file) }
        expectFileDiagnostic(found, file, 6, 5, "step 'tag': placeholder inside other text in \"v{{version}}\"")
        #expect(found.count == 1, "\(renderDiagnostics(found))")
    }

    /// A placeholder never becomes code, whatever interpreter, wrapper or flag stands before it.
    @Test(arguments: [
        #"[sh, -c, "{{v}}"]"#, #"[bash, -ec, "{{v}}"]"#, #"[/bin/bash, -lc, "{{v}}"]"#, #"[zsh, -c, "{{v}}"]"#,
        #"[env, sh, -c, "{{v}}"]"#, #"[/usr/bin/env, -i, A=1, B=2, bash, -c, "{{v}}"]"#, #"[env, -S, "{{v}}"]"#,
        #"[sudo, sh, -c, "{{v}}"]"#, #"[sudo, -u, app, -E, bash, -c, "{{v}}"]"#, #"[sudo, -s, ./x, "{{v}}"]"#,
        #"[nice, -n, "5", python3, -c, "{{v}}"]"#, #"[timeout, 30s, perl, -e, "{{v}}"]"#,
        #"[nohup, node, -e, "{{v}}"]"#, #"[xargs, -n, "1", ruby, -e, "{{v}}"]"#, #"[php, -r, "{{v}}"]"#,
        #"[python3.12, -c, "{{v}}"]"#, #"[/usr/bin/python3, "{{v}}"]"#, #"[perl, -E, "{{v}}"]"#,
        #"[lua, -e, "{{v}}"]"#, #"[awk, "{{v}}"]"#, #"[gawk, '{print}', "{{v}}"]"#, #"[sed, -e, "{{v}}"]"#,
        #"[sed, 's/a/b/', "{{v}}"]"#, #"[jq, -n, "{{v}}"]"#, #"[busybox, sh, -c, "{{v}}"]"#,
        #"[ssh, host, "{{v}}"]"#, #"[ssh, -p, "22", host, ls, "{{v}}"]"#, #"[su, -c, "{{v}}", app]"#,
        #"[watch, "{{v}}"]"#, #"[docker, exec, web, sh, -c, "{{v}}"]"#, #"[kubectl, exec, pod, --, bash, -c, "{{v}}"]"#,
        #"[sh, -c, 'echo "$1"', x, "{{v}}"]"#, #"[python3, -W, ignore, x.py, "{{v}}"]"#,
        #"["{{v}}"]"#, #"["{{v}}", --version]"#, #"[env, "{{v}}"]"#, #"[env, A=1, "{{v}}", x]"#,
        #"[sudo, -u, app, "{{v}}"]"#, #"[timeout, "5", "{{v}}"]"#, #"[nice, -n, "5", "{{v}}"]"#,
        #"[xargs, "{{v}}"]"#, #"[env, --, "{{v}}"]"#,
    ])
    func aPlaceholderThatCouldBecomeCodeIsRefused(run: String) throws {
        let dir = try FilesTestDirectory()
        let file = try dir.write("op.yaml", """
            name: op
            parameters:
              - {name: v, type: string}
            steps:
              - name: s
                run: \(run)
            """)
        let found = thrownDiagnostics { try CatalogLoader.loadOperation(file: file) }
        expectFileDiagnostic(found, file, 5, 5, "step 's': placeholder {{v}} ")
        #expect(found.count == 1, "\(renderDiagnostics(found))")
    }

    /// As data, a placeholder stays allowed: after a script file, as an argument of an ordinary program, or as
    /// an option's value where a wrapper's options are known.
    @Test(arguments: [
        #"[./bin/service, install, "{{v}}"]"#, #"[python3, ./manage.py, migrate, "{{v}}"]"#,
        #"[bash, deploy.sh, "{{v}}"]"#, #"[node, app.js, "{{v}}"]"#, #"[sudo, -u, app, ./bin/service, "{{v}}"]"#,
        #"[timeout, 30s, ./bin/service, set, "{{v}}"]"#, #"[env, A=1, ./bin/x, "{{v}}"]"#,
        #"[nice, -n, "5", ./bin/x, "{{v}}"]"#, #"[sudo, systemctl, restart, "{{v}}"]"#, #"[git, tag, "{{v}}"]"#,
    ])
    func aPlaceholderAsDataIsAccepted(run: String) throws {
        let dir = try FilesTestDirectory()
        let file = try dir.write("op.yaml", """
            name: op
            parameters:
              - {name: v, type: string}
            steps:
              - name: s
                run: \(run)
            """)
        _ = try CatalogLoader.loadOperation(file: file)
    }

    @Test func stepsAreRequiredAndNotEmpty() throws {
        let dir = try FilesTestDirectory()
        let none = try dir.write("none.yaml", "name: nothing\nsteps: []\n")
        let missing = try dir.write("missing.yaml", "name: missing\ndescription: no steps\n")
        let neither = try dir.write("neither.yaml", "name: neither\nsteps:\n  - name: idle\n    timeout: 5s\n")
        expectFileDiagnostic(thrownDiagnostics { try CatalogLoader.loadOperation(file: none) }, none, 2, 8,
                         "operation 'nothing' has no steps")
        expectFileDiagnostic(thrownDiagnostics { try CatalogLoader.loadOperation(file: missing) }, missing, 1, 1,
                         exactly: "operation 'missing' is missing 'steps'")
        expectFileDiagnostic(thrownDiagnostics { try CatalogLoader.loadOperation(file: neither) }, neither, 3, 5,
                         "step 'idle' needs 'run' (a list of arguments) or 'shell' (a script)")
    }

    @Test func patternsAreForStringsOnlyAndDefaultsMustMatchThem() throws {
        let dir = try FilesTestDirectory()
        let file = try dir.write("op.yaml", #"""
            name: op
            parameters:
              - name: count
                type: int
                pattern: '^[0-9]$'
              - name: version
                type: string
                pattern: '^[0-9]+\.[0-9]+$'
                default: latest
              - name: fast
                type: bool
                default: yes
            steps:
              - name: s
                run: [./run, "{{count}}", "{{version}}", "{{fast}}"]
            """#)
        let found = thrownDiagnostics { try CatalogLoader.loadOperation(file: file) }
        expectFileDiagnostic(found, file, 5, 14, exactly:
            "'pattern' is only allowed for string and multiline parameters, and parameter 'count' is of type 'int'")
        expectFileDiagnostic(found, file, 9, 14, exactly:
            #"parameter 'version' has an invalid default: 'latest' does not match pattern ^[0-9]+\.[0-9]+$"#)
        expectFileDiagnostic(found, file, 12, 14, exactly: "parameter 'fast' has an invalid default: 'yes' must be true or false")
        #expect(found.count == 3, "\(renderDiagnostics(found))")
    }

    @Test func runMustBeAnArgumentList() throws {
        let dir = try FilesTestDirectory()
        let file = try dir.write("op.yaml", "name: op\nsteps:\n  - name: s\n    run: ./bin/service restart\n")
        let found = thrownDiagnostics { try CatalogLoader.loadOperation(file: file) }
        expectFileDiagnostic(found, file, 4, 10, "'run' must be a list of arguments")
    }

    @Test func directoryReportsProblemsOfEveryFileAndDuplicateNames() throws {
        let dir = try FilesTestDirectory()
        let a = try dir.write("a.yaml", "name: op\nsteps:\n  - name: s\n    run: [true]\n")
        let b = try dir.write("b.yaml", "name: op\nsteps:\n  - name: s\n    run: [true]\n")
        let c = try dir.write("c.yaml", "name: other\nstepz: []\n")
        let found = thrownDiagnostics { try CatalogLoader.load(directory: dir.path) }
        expectFileDiagnostic(found, b, 1, 7, exactly: "duplicate operation 'op' (first defined at \(a):1:7)")
        expectFileDiagnostic(found, c, 2, 1, "unknown key 'stepz' in operation 'other'")
        expectFileDiagnostic(found, c, 1, 1, "operation 'other' is missing 'steps'")
        #expect(found.count == 3, "\(renderDiagnostics(found))")
        expectSortedDiagnostics(found)
    }
}
