import ArgumentParser
import Foundation
import Synchronization
import Hummingbird
import Logging
import Subprocess
import WavelineAPI
import WavelineCore
import WavelineServer

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Start Waveline on a sample platform of local nodes, with a deployment running to watch.",
        discussion: "Creates a fresh data folder (embedded SQLite, ~30 sandboxed nodes), serves the API, and starts a lightning → thunder deployment in which one node fails its health check. Ctrl-C stops it."
    )

    @Option(name: .long, help: "The demo's data folder: reset on every start if the demo made it; a folder with other files is refused.") var data: String = "./waveline-demo"
    @Option(name: .long, help: "Port to listen on (0 picks a free one).") var port: Int = 8080
    @Option(name: .long, help: "Seconds each simulated service action takes (the Kafka deployment runs about 20 times that).") var pace: Double = DemoInventory.defaultPace
    @Flag(name: .long, help: "Prepare the data folder and exit without serving.") var prepareOnly = false

    func validate() throws {
        guard pace.isFinite, (0...600).contains(pace) else { throw ValidationError("--pace must be 0 to 600 seconds") }
    }

    func run() async throws {
        guard let catalog = ResourceLocator.find("catalog"), let assets = ResourceLocator.find("demo") else {
            throw CLIError("cannot find the shipped catalog/ and demo/ folders; run from the Waveline checkout or set WAVELINE_HOME to it")
        }
        let dataDirectory = absolute(data)
        let lock = try DemoFolder.claim(dataDirectory)
        if !prepareOnly {
            // Before the folder is reset or a node process started: a taken port leaves everything as it was.
            do {
                try ListenAddressCheck.ensureAvailable(host: "127.0.0.1", port: port)
            } catch {
                throw CLIError(error.description)
            }
        }
        // SIGTERM or SIGINT before the server listens (preparing the folder, starting node services, opening the
        // store) stops the demo there and ends what it started; once it listens, the server's own graceful
        // shutdown takes them.
        let signals = await StopSignals()
        let serving = ServingFlag()
        let finished = try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                try await self.prepareAndServe(dataDirectory, assets: assets, catalog: catalog, lock: lock, serving: serving)
                return true
            }
            group.addTask {
                for await _ in signals where !serving.isSet { return false }
                return false
            }
            defer { group.cancelAll() }
            return try await group.next() ?? true
        }
        // A prepared folder keeps its services running (for a demo started later); a demo that ran stops them.
        if !prepareOnly || !finished { await stopServices(dataDirectory) }
        if !finished { print("Stopped before the demo was serving; its node services are stopped.") }
    }

    /// Prepares the folder, then serves until stopped; ends the node services it started if anything fails.
    func prepareAndServe(_ dataDirectory: String, assets: String, catalog: String, lock: DataFolderLock, serving: ServingFlag) async throws {
        do {
            if !prepareOnly {
                print("Preparing the demo in \(dataDirectory) (pace \(pace) s per service action)…")
                fflush(nil)
            }
            try await prepare(dataDirectory, assets: assets)
            if prepareOnly {
                print("Prepared \(dataDirectory)")
                return
            }
            // Slack and Jira are local stand-ins, so the deployment page's Notifications panel shows the thread and
            // the ticket comments the deployments produce. The links in them need the server's address first.
            let port = self.port == 0 ? try DemoIntegrations.freePort() : self.port
            let credentials = DemoIntegrations.makeCredentials()
            try await DemoStandIns.withRunning(credentials: credentials, tickets: [DemoIntegrations.ticket]) { standIns in
                var options = ServerOptions(
                    port: port, dataDirectory: dataDirectory, inventoryPaths: [dataDirectory + "/inventory.yaml"],
                    catalogDirectory: catalog, logLevel: .warning
                )
                options.initialAdminPassword = ProcessInfo.processInfo.environment["WAVELINE_INITIAL_ADMIN_PASSWORD"]
                let integrationsFile = try DemoIntegrations.write(
                    into: dataDirectory, credentials: credentials, signingSecret: DemoIntegrations.randomHex(), standIns: standIns,
                    publicURL: "http://127.0.0.1:\(port)"
                )
                let integrations = try ServeCommand.checkIntegrations(path: integrationsFile, inventoryPaths: options.inventoryPaths)
                options.integrations = integrations
                options.tickets = ServeCommand.ticketGate(integrations.settings, integrations.secrets, time: options.time)
                // The server calls back once it listens; the deployments are created from a sibling task because the
                // callback runs before the server answers requests.
                let (listening, announce) = AsyncStream<Int>.makeStream()
                let server = try await WavelineServerBuilder.build(options, lock: lock) { port in
                    serving.set()
                    announce.yield(port)
                    announce.finish()
                }
                try Task.checkCancellation()
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        // However the server ends (a stop, a port taken meanwhile), the task announcing it ends too.
                        defer { announce.finish() }
                        try await server.run()
                    }
                    group.addTask {
                        for await port in listening { await Self.startDeployments(port: port, server: server, standIns: standIns) }
                    }
                    try await group.waitForAll()
                }
            }
        } catch let error as StartupError {
            await stopServices(dataDirectory)
            throw CLIError(error.description)
        } catch let error as DiagnosticsError {
            await stopServices(dataDirectory)
            throw CLIError("the demo's files have errors:\n" + error.description)
        } catch {
            await stopServices(dataDirectory)
            throw error
        }
    }

    /// Starts the demo's deployments through the API, exactly as a person would with `waveline deploy`: as
    /// the user `demo` (a deployer), approved by `demo-approver` (an approver), each with an API token.
    static func startDeployments(port: Int, server: WavelineServer, standIns: DemoStandIns.Addresses? = nil) async {
        let url = "http://127.0.0.1:\(port)"
        do {
            let api = APIClient(baseURL: url, token: try await server.makeDemoUser("demo", role: .deployer))
            let approver = APIClient(baseURL: url, token: try await server.makeDemoUser(DemoInventory.approver, role: .approver))
            let first = try await api.post("/api/v1/deployments", body: CreateDeploymentBody(
                operation: "deploy-version", selection: Selection(products: ["kafka"]), parameters: ["version": "3.8.0"],
                strategy: "lightning-thunder", reason: "Roll Kafka 3.8.0 out to every environment", ticket: "CHG-2041",
                queue: false
            ), as: DeploymentDetail.self)
            // prod is protected: the deployment waits for a second person. The demo approves it as another
            // identity, so it runs at once and the approval shows in its events.
            let approval = first.deployment.status == .pendingApproval
            if approval {
                _ = try await approver.act(OperatorActionRequest(
                    deployment: first.deployment.id, action: .approve, nodes: [], reason: "reviewed CHG-2041 (demo: approved automatically)"
                ))
            }
            let second = try await api.post("/api/v1/deployments", body: CreateDeploymentBody(
                operation: "cache-rebuild", selection: Selection(environments: ["dev"], products: ["valkey"]),
                parameters: ["mode": "full"], strategy: "one-by-one", reason: "Stale keys after the dev data refresh",
                ticket: nil, queue: false
            ), as: DeploymentDetail.self)
            let prefix = port == 8080 ? "" : " --server \(url)"
            let signIn = server.bootstrap?.generatedPassword.map { "Sign in at \(url)/login as admin with password \($0) (shown once)." }
                ?? "Sign in at \(url)/login as admin with the password in WAVELINE_INITIAL_ADMIN_PASSWORD."
            print("""
                Waveline demo is running at \(url) (data in the demo folder, Ctrl-C to stop).
                \(signIn)
                For the command line: waveline login --user admin\(prefix)

                Deployment #\(first.deployment.id): deploy-version 3.8.0 on \(first.deployment.targetCount) Kafka nodes, lightning → thunder.
                  One node (\(DemoInventory.faultyNode)) fails its health check, so the failure point shows.
                  It touches prod, which is protected: requested by demo with ticket CHG-2041, it waited for a second
                  person\(approval ? "; the demo approved it as \(DemoInventory.approver) (four-eyes; see its events)" : "").
                Deployment #\(second.deployment.id): cache-rebuild on the dev Valkey nodes, one by one.
                \(standIns.map { "Slack and Jira are local stand-ins: each deployment page's Notifications panel shows what was sent;\n  the thread as posted: \($0.slackPage), the ticket: \($0.jiraBaseURL)/browse/\(DemoIntegrations.ticket.key)" } ?? "")

                In another terminal:
                  waveline status\(prefix)                       # recent deployments
                  waveline status \(first.deployment.id) --watch\(prefix)              # live progress, phases, nodes, failure point
                  waveline logs \(first.deployment.id) --node \(DemoInventory.faultyNode)\(prefix)   # that node's log
                  waveline logs \(first.deployment.id) --follow\(prefix)              # every log line as it is written
                """)
            fflush(nil)
        } catch {
            print("could not start the demo deployments: \(error)")
        }
    }

    /// A fresh folder: the inventory file and one sandbox per node with its simulated service running. What an
    /// earlier demo left in it is removed (its services stopped), all but the lock this process holds.
    func prepare(_ directory: String, assets: String) async throws {
        let files = FileManager.default
        await stopServices(directory)
        for entry in try files.contentsOfDirectory(atPath: directory) where entry != DataFolderLock.fileName {
            try files.removeItem(atPath: directory + "/" + entry)
        }
        try DemoFolder.marker.write(toFile: directory + "/" + DemoFolder.markerName, atomically: true, encoding: .utf8)
        try files.createDirectory(atPath: directory + "/nodes", withIntermediateDirectories: true)
        try DemoInventory.yaml(pace: pace).write(toFile: directory + "/inventory.yaml", atomically: true, encoding: .utf8)
        for name in DemoInventory.nodeNames {
            let node = directory + "/nodes/" + name
            try files.createDirectory(atPath: node + "/bin", withIntermediateDirectories: true)
            try files.copyItem(atPath: assets + "/bin/service", toPath: node + "/bin/service")
            if name == DemoInventory.faultyNode {
                try DemoInventory.fault.write(toFile: node + "/fault", atomically: true, encoding: .utf8)
            }
        }
        // Start every simulated service so pre-checks find them healthy.
        try Task.checkCancellation()
        try await shell(["sh", "-c", "for d in \"$1\"/nodes/*; do (cd \"$d\" && DEMO_PACE=0 ./bin/service start >/dev/null); done", "prepare", directory])
    }

    /// Ends the simulated services' processes: only those the demo started, which run in one of its nodes'
    /// folders; a pid file naming any other process (reused pid, edited file) is left alone.
    func stopServices(_ directory: String) async {
        for pid in DemoFolder.servicesStarted(in: directory) { kill(pid, SIGTERM) }
    }

    func shell(_ argv: [String]) async throws {
        _ = try await Subprocess.run(.name(argv[0]), arguments: Arguments(Array(argv.dropFirst())), output: .discarded, error: .discarded)
    }
}

/// Whether the demo's server listens yet: from then on a stop signal is the server's to handle.
final class ServingFlag: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}
