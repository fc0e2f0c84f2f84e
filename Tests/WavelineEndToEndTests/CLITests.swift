import Foundation
import Testing
import WavelineAPI
import WavelineCore
import WavelineServer
import WavelineStore
import WavelineTesting

/// The `waveline` binary as a person and a script use it: validation, status, logs, deploy errors.
@Suite(.serialized) struct CLITests {
    @Test func inventoryValidateReportsEveryErrorWithItsLocation() async throws {
        let bench = try Workbench(inventory: oneZoneInventory(nodes: 1), operations: [:])
        defer { bench.remove() }
        let broken = bench.root + "/broken.yaml"
        try """
            environments:
              - {name: test}
            products:
              - {name: app, owner: team, colour: red}
            clusters:
              - name: c1
                product: app
                environment: staging
                zones: [a]
                nodes:
                  - {name: n1, zone: a}
                  - {name: n1, zone: a}
                  - {name: n2, zone: z}
                  - {name: n3, zone: a, labels: 5}

            """.write(toFile: broken, atomically: true, encoding: .utf8)

        let run = try await runWaveline(["inventory", "validate", broken])
        #expect(run.exitCode == 1, "\(run)")
        #expect(!looksLikeACrash(run.output), "\(run)")
        let errors = run.output.split(separator: "\n").filter { $0.contains(": error: ") }
        for line in errors {
            #expect(line.range(of: #"^.*/broken\.yaml:\d+:\d+: error: \S"#, options: .regularExpression) != nil, "not file:line:col: \(line)")
        }
        // Each problem, on its own line of the file.
        let expected: [(line: Int, words: [String])] = [
            (4, ["unknown key", "colour"]),
            (8, ["staging"]),
            (12, ["duplicate node", "n1"]),
            (13, ["zone", "z", "c1"]),
            (14, ["labels", "mapping"]),
        ]
        for (line, words) in expected {
            let match = errors.first { $0.contains("broken.yaml:\(line):") }
            #expect(match != nil, "no error at line \(line): \(run)")
            if let match { for word in words { #expect(match.contains(word), "line \(line) should mention '\(word)': \(match)") } }
        }
        #expect(errors.count == expected.count, "\(run)")
        #expect(run.output.contains("\(expected.count) errors"), "\(run)")

        let valid = try await runWaveline(["inventory", "validate", bench.inventory])
        #expect(valid.exitCode == 0, "\(valid)")
        #expect(valid.stdout.hasPrefix("valid:"), "\(valid)")
        #expect(valid.stdout.trimmingCharacters(in: .whitespacesAndNewlines).hasSuffix(", 1 node"), "\(valid)")

        let json = try await runWaveline(["inventory", "validate", broken, "--json"])
        #expect(json.exitCode == 1)
        let report = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect(report?["valid"] as? Bool == false)
        #expect((report?["errors"] as? [Any])?.count == expected.count)

        let missing = try await runWaveline(["inventory", "validate", bench.root + "/nope.yaml"])
        #expect(missing.exitCode != 0 && missing.exitCode != nil, "\(missing)")
        #expect(missing.output.contains("nope.yaml"), "\(missing)")
        #expect(!looksLikeACrash(missing.output))
    }

    @Test func statusShowsTheFailurePointAndJSONForScripts() async throws {
        let operation = """
            name: breaks
            steps:
              - {name: prepare, shell: 'echo preparing'}
              - {name: migrate, shell: 'echo "migrating schema"; echo "disk full on /var" >&2; exit 7'}
            """
        let bench = try Workbench(inventory: oneZoneInventory(nodes: 2), operations: ["breaks": operation],
                                  strategies: ["tolerant": singlePhaseStrategy("tolerant", parallelism: 2, failureBudget: "2")])
        defer { bench.remove() }
        try await bench.withServer { server in
            let id = try await server.deploy("breaks", selection: Selection(nodes: ["n1"]), strategy: "tolerant").deployment.id
            let final = try await server.waitUntilFinal(id)
            #expect(final.deployment.status == .finishedWithFailures)

            let text = try await server.cli(["status", String(id)])
            #expect(text.exitCode == 0, "\(text)")
            let failurePoint = text.stdout.components(separatedBy: "Failure point").dropFirst().joined()
            #expect(!failurePoint.isEmpty, "no failure point: \(text)")
            #expect(failurePoint.contains("n1"))
            #expect(failurePoint.contains("'migrate'"))
            #expect(failurePoint.contains("exit 7"))
            #expect(failurePoint.contains("disk full on /var"), "the last log lines belong to the failure point: \(text)")
            #expect(failurePoint.contains("waveline logs \(id) --node n1"))

            let json = try await server.cli(["status", String(id), "--json"])
            #expect(json.exitCode == 0, "\(json)")
            let detail = try JSONDecoder().decode(DeploymentDetail.self, from: Data(json.stdout.utf8))
            #expect(detail.deployment.id == id)
            #expect(detail.deployment.status == .finishedWithFailures)
            #expect(detail.failures.first?.exitCode == 7)
            #expect(detail.failures.first?.step == "migrate")

            let list = try await server.cli(["status", "--json"])
            let deployments = try JSONDecoder().decode(DeploymentList.self, from: Data(list.stdout.utf8))
            #expect(deployments.deployments.map(\.id) == [id])

            let missing = try await server.cli(["status", "4242"])
            #expect(missing.exitCode == 1)
            #expect(missing.stderr.contains("4242"), "\(missing)")
        }
    }

    @Test func logsOfOneNodeAndFollowingUntilTheEnd() async throws {
        let operation = """
            name: talk
            steps:
              - {name: hello, shell: 'echo "hello from $WAVELINE_NODE"'}
              - {name: ticks, shell: 'sleep 1; for i in 1 2 3 4; do echo "tick $i on $WAVELINE_NODE"; sleep 0.3; done'}
            """
        let bench = try Workbench(inventory: oneZoneInventory(nodes: 2), operations: ["talk": operation])
        defer { bench.remove() }
        try await bench.withServer { server in
            let id = try await server.deploy("talk", selection: Selection(nodes: ["n1", "n2"])).deployment.id
            let followStarted = Date().timeIntervalSince1970
            let follow = try await server.cli(["logs", String(id), "--follow"], timeout: .seconds(30))
            let final = try await server.detail(id)
            // It ended by itself, because the deployment ended.
            #expect(follow.exitCode == 0, "\(follow)")
            #expect(final.deployment.status == .succeeded)
            for node in ["n1", "n2"] {
                for tick in 1...4 { #expect(follow.stdout.contains("\(node) tick \(tick) on \(node)"), "\(follow)") }
                #expect(follow.stdout.contains("\(node) hello from \(node)"))
            }
            // Lines written after the follower started reached it.
            let lines = try await server.logs(id)
            let late = lines.filter { $0.text.hasPrefix("tick") && $0.time > followStarted + 0.5 }
            #expect(!late.isEmpty)
            for line in late { #expect(follow.stdout.contains(line.text)) }
            // Every stored line, each once.
            #expect(follow.stdout.split(separator: "\n").count == lines.count, "\(follow)")

            let one = try await server.cli(["logs", String(id), "--node", "n1"])
            #expect(one.exitCode == 0, "\(one)")
            #expect(one.stdout.contains("hello from n1"))
            #expect(one.stdout.contains("tick 4 on n1"))
            #expect(!one.stdout.contains("n2"), "another node's lines: \(one)")
            #expect(one.stdout.split(separator: "\n").count == lines.filter { $0.node == "n1" }.count)

            let json = try await server.cli(["logs", String(id), "--node", "n2", "--json"])
            let decoded = try json.stdout.split(separator: "\n").map { try JSONDecoder().decode(LogLineView.self, from: Data($0.utf8)) }
            #expect(decoded == lines.filter { $0.node == "n2" })

            let stranger = try await server.cli(["logs", String(id), "--node", "n9"])
            #expect(stranger.exitCode == 1)
            #expect(stranger.stderr.contains("n9"), "\(stranger)")
        }
    }

    @Test
    func logsOfOneNodeAfterARollbackShowEveryLineOfThatNode() async throws {
        let operation = """
            name: chatty
            steps:
              - {name: install, shell: 'if [ "$WAVELINE_NODE" = n1 ]; then seq 1 6000; fi; echo "installed on $WAVELINE_NODE"'}
            rollback:
              - {name: restore, shell: 'echo "restored on $WAVELINE_NODE"'}
            """
        let bench = try Workbench(inventory: oneZoneInventory(nodes: 2), operations: ["chatty": operation],
                                  strategies: ["serial": singlePhaseStrategy("serial", parallelism: 1)])
        defer { bench.remove() }
        try await bench.withServer { server in
            let id = try await server.deploy("chatty", selection: Selection(nodes: ["n1", "n2"]), strategy: "serial").deployment.id
            #expect(try await server.waitUntilFinal(id).deployment.status == .succeeded)
            _ = try await server.act("rollback", id)
            #expect(try await server.waitUntilFinal(id).deployment.status == .rolledBack)
            let all = try await server.logs(id)
            let n2Lines = all.filter { $0.node == "n2" }
            #expect(n2Lines.contains { $0.text == "installed on n2" } && n2Lines.contains { $0.text == "restored on n2" })

            // Paging through one node's log by cursor reaches all of its lines.
            let (status, data) = try await server.request("GET", "/api/v1/deployments/\(id)/logs?node=n2&limit=100")
            #expect(status == 200)
            let page = try JSONDecoder().decode(LogPage.self, from: data)
            #expect(!page.lines.isEmpty || page.cursor > 0, "an empty first page with cursor 0 reads as the end of the log")

            let cli = try await server.cli(["logs", String(id), "--node", "n2"])
            #expect(cli.exitCode == 0, "\(cli)")
            #expect(cli.stdout.contains("installed on n2"), "\(cli)")
            #expect(cli.stdout.contains("restored on n2"), "\(cli)")
            #expect(cli.stdout.split(separator: "\n").count == n2Lines.count)
        }
    }

    @Test func deployMistakesAreOneLineNamingTheBadThing() async throws {
        let operation = """
            name: tune
            parameters:
              - {name: level, type: int, required: true}
            steps:
              - {name: apply, shell: 'echo "$WAVELINE_PARAM_LEVEL" > level'}
            """
        let bench = try Workbench(inventory: oneZoneInventory(nodes: 1), operations: ["tune": operation])
        defer { bench.remove() }
        try await bench.withServer { server in
            let cases: [(arguments: [String], names: [String])] = [
                (["deploy", "tnue", "--node", "n1", "-p", "level=3"], ["tnue"]),
                (["deploy", "tune", "--node", "n1"], ["level", "required"]),
                (["deploy", "tune", "--node", "n7", "-p", "level=3"], ["n7"]),
                (["deploy", "tune", "--node", "n1", "-p", "level=high"], ["high", "level"]),
                (["deploy", "tune", "--cluster", "nowhere", "-p", "level=3"], ["nowhere"]),
                (["deploy", "tune", "--node", "n1", "-p", "level=3", "--strategy", "yolo"], ["yolo"]),
            ]
            for (arguments, names) in cases {
                let run = try await server.cli(arguments + ["--reason", "r"])
                #expect(run.exitCode != nil && run.exitCode != 0, "\(arguments): \(run)")
                let lines = run.output.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
                #expect(lines.count == 1, "\(arguments) should print one line: \(run)")
                for name in names { #expect(run.stderr.contains(name), "\(arguments) should name '\(name)': \(run)") }
                #expect(!looksLikeACrash(run.output))
            }
            let list: DeploymentList = try await server.get("/api/v1/deployments")
            #expect(list.deployments.isEmpty, "a refused deployment was created")
            #expect(bench.read("n1", "level") == nil)
        }
    }

    /// Port 1 on the loopback: nothing listens there, a connection is refused at once.
    static let noServer = "http://127.0.0.1:1"

    @Test
    func withoutAServerTheCLISaysQuicklyThatItCannotReachIt() async throws {
        let commands = [["status"], ["status", "1", "--json"], ["pause", "1"], ["deploy", "x", "--node", "n1", "--reason", "r"]]
        let clock = ContinuousClock()
        let start = clock.now
        let runs = try await withThrowingTaskGroup(of: ([String], CLIRun).self) { group in
            for arguments in commands {
                group.addTask { (arguments, try await runWaveline(arguments + ["--server", Self.noServer], timeout: .seconds(15))) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(clock.now - start < .seconds(10), "took \(clock.now - start) to give up")
        for (arguments, run) in runs {
            #expect(run.exitCode == 1, "\(arguments): \(run)")
            #expect(run.stderr.contains("cannot reach the Waveline server at \(Self.noServer)"), "\(arguments): \(run)")
            #expect(!looksLikeACrash(run.output), "\(arguments): \(run)")
        }
    }

    @Test
    func followingWithoutAServerSaysItCannotReachIt() async throws {
        let run = try await runWaveline(["logs", "1", "--follow", "--server", Self.noServer], timeout: .seconds(15))
        #expect(run.exitCode == 1, "\(run)")
        #expect(run.stderr.contains("cannot reach the Waveline server at \(Self.noServer)"), "\(run)")
    }
}
