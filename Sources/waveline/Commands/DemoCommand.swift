import ArgumentParser
import Foundation
import Hummingbird
import Logging
import Subprocess
import WavelineCore
import WavelineEngine
import WavelineServer

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Start Waveline on a sample platform of local nodes, with a deployment running to watch.",
        discussion: "Creates a fresh data folder (embedded SQLite, ~30 sandboxed nodes), serves the API, and starts a lightning → thunder deployment in which one node fails its health check. Ctrl-C stops it."
    )

    @Option(name: .long, help: "The demo's data folder: reset on every start if the demo made it; a folder with other files is refused.") var data: String = "./waveline-demo"
    @Option(name: .long, help: "Port to listen on (0 picks a free one).") var port: Int = 8080
    @Option(name: .long, help: "Seconds each simulated service action takes.") var pace: Double = 1.0
    @Flag(name: .long, help: "Prepare the data folder and exit without serving.") var prepareOnly = false

    func run() async throws {
        guard let catalog = ResourceLocator.find("catalog"), let assets = ResourceLocator.find("demo") else {
            throw CLIError("cannot find the shipped catalog/ and demo/ folders; run from the Waveline checkout or set WAVELINE_HOME to it")
        }
        let dataDirectory = absolute(data)
        let lock = try DemoFolder.claim(dataDirectory)
        try await prepare(dataDirectory, assets: assets)
        if prepareOnly {
            print("Prepared \(dataDirectory)")
            return
        }
        setenv("WAVELINE_DEMO_PACE", String(pace), 1)

        var options = ServerOptions(
            port: port, dataDirectory: dataDirectory, inventoryPaths: [dataDirectory + "/inventory.yaml"],
            catalogDirectory: catalog, logLevel: .warning
        )
        options.initialAdminPassword = ProcessInfo.processInfo.environment["WAVELINE_INITIAL_ADMIN_PASSWORD"]
        // The server calls back once it listens; the deployments are created from a sibling task because the
        // callback runs before the server answers requests.
        let (listening, announce) = AsyncStream<Int>.makeStream()
        let server = try await WavelineServerBuilder.build(options, lock: lock) { port in
            announce.yield(port)
            announce.finish()
        }
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await server.run() }
                group.addTask {
                    for await port in listening { await Self.startDeployments(port: port, server: server) }
                }
                try await group.waitForAll()
            }
        } catch let error as StartupError {
            await stopServices(dataDirectory)
            throw CLIError(error.description)
        } catch {
            await stopServices(dataDirectory)
            throw error
        }
        await stopServices(dataDirectory)
    }

    /// Starts the demo's deployments through the API, exactly as a person would with `waveline deploy`: as
    /// the user `demo` (a deployer), approved by `demo-approver` (an approver), each with an API token.
    static func startDeployments(port: Int, server: WavelineServer) async {
        let url = "http://127.0.0.1:\(port)"
        do {
            let accounts = server.identities
            _ = try await accounts.createUser(name: "demo", password: nil, grants: [Grant(role: .deployer)], by: "admin", origin: "demo")
            _ = try await accounts.createUser(name: DemoInventory.approver, password: nil, grants: [Grant(role: .approver)], by: "admin", origin: "demo")
            let api = APIClient(baseURL: url, token: try await accounts.createToken(for: "demo", name: "demo", lifetimeDays: 1, by: "admin", origin: "demo").token)
            let approver = APIClient(baseURL: url, token: try await accounts.createToken(for: DemoInventory.approver, name: "demo", lifetimeDays: 1, by: "admin", origin: "demo").token)
            let first = try await api.post("/api/v1/deployments", body: CreateDeploymentBody(
                operation: "deploy-version", selection: Selection(products: ["kafka"]), parameters: ["version": "3.8.0"],
                strategy: "lightning-thunder", reason: "Roll Kafka 3.8.0 out to every environment", ticket: "CHG-2041",
                queue: false
            ), as: DeploymentDetail.self)
            // prod is protected: the deployment waits for a second person. The demo approves it as another
            // identity, so it runs at once and the approval shows in its events.
            let approval = first.deployment.status == .pendingApproval
            if approval {
                _ = try await approver.post("/api/v1/deployments/\(first.deployment.id)/actions/approve", body: ActionBody(
                    nodes: [], reason: "reviewed CHG-2041 (demo: approved automatically)"
                ), as: DeploymentDetail.self)
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
        try DemoInventory.yaml.write(toFile: directory + "/inventory.yaml", atomically: true, encoding: .utf8)
        for name in DemoInventory.nodeNames {
            let node = directory + "/nodes/" + name
            try files.createDirectory(atPath: node + "/bin", withIntermediateDirectories: true)
            try files.copyItem(atPath: assets + "/bin/service", toPath: node + "/bin/service")
            if name == DemoInventory.faultyNode {
                try DemoInventory.fault.write(toFile: node + "/fault", atomically: true, encoding: .utf8)
            }
        }
        // Start every simulated service so pre-checks find them healthy.
        try await shell(["sh", "-c", "for d in \"$1\"/nodes/*; do (cd \"$d\" && WAVELINE_DEMO_PACE=0 ./bin/service start >/dev/null); done", "prepare", directory])
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
