import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import NIOSSL
import Logging
import NIOCore
import ServiceLifecycle
import WavelineCore
import WavelineEngine
import WavelineExecutors
import WavelineIdentity
import WavelineIntegrations
import WavelineStore

/// How to start a server: where its data, inventory, catalog and strategies are, and where to listen.
public struct ServerOptions: Sendable {
    public var host: String
    /// 0 picks a free port; the chosen one is printed.
    public var port: Int
    /// Holds the SQLite file and the local nodes' working directories.
    public var dataDirectory: String
    public var inventoryPaths: [String]
    public var catalogDirectory: String
    public var strategiesDirectory: String?
    public var logLevel: Logger.Level
    /// 0: close a deployment's SSH masters when it ends; more: keep idle masters that many seconds.
    public var sshKeepMastersSeconds: Int = 0
    /// How long an approval of a deployment to a protected environment stays valid before it starts.
    public var approvalValiditySeconds: Double = 24 * 3600
    /// Session cookies carry `Secure` (browsers then send them over HTTPS, or HTTP to localhost only). Off
    /// only behind a trusted network path without TLS.
    public var secureCookies = true
    /// bcrypt cost for passwords; 12 unless tests lower it for speed.
    public var passwordCost: UInt8 = 12
    /// First start only (no users yet): the admin's password instead of a random one, and an API token to
    /// register for automation. From WAVELINE_INITIAL_ADMIN_PASSWORD and WAVELINE_INITIAL_ADMIN_TOKEN.
    public var initialAdminPassword: String?
    public var initialAdminToken: String?
    /// PEM files of the certificate (chain) and private key: the server then speaks HTTPS only.
    public var tlsCertificatePath: String?
    public var tlsKeyPath: String?
    /// Proxies whose `X-Forwarded-For` is believed; nobody's by default.
    public var trustedProxies: TrustedProxies = .none
    /// Where pages and the identity service get "now" (elapsed times, sessions' and tokens' expiry); tests
    /// fix it.
    public var time: any TimeSource = .system
    /// Slack's button presses at `POST /slack/interactions`; nil: that route does not exist.
    public var slackInteractions: SlackInteractions?
    /// Ticket policies and the Jira they are checked in (`serve --integrations`); nil: no ticket is checked.
    public var tickets: TicketGate?
    /// Slack and Jira (`serve --integrations`): notifications are written to the outbox and delivered.
    public var integrations: IntegrationsOptions?

    public init(
        host: String = "127.0.0.1", port: Int = 8080, dataDirectory: String, inventoryPaths: [String],
        catalogDirectory: String, strategiesDirectory: String? = nil, logLevel: Logger.Level = .info
    ) {
        self.host = host
        self.port = port
        self.dataDirectory = dataDirectory
        self.inventoryPaths = inventoryPaths
        self.catalogDirectory = catalogDirectory
        self.strategiesDirectory = strategiesDirectory
        self.logLevel = logLevel
    }
}

/// A built server: the HTTP application and the engine it fronts. What starts one (`serve`, `demo`) gets options
/// in, `run`, the bootstrap credentials and `makeDemoUser`: never the engine or the store.
public struct WavelineServer: Sendable {
    let engine: Engine
    /// Users, tokens and sessions.
    let identities: IdentityService
    public let application: Application<RouterResponder<WavelineRequestContext>>
    /// What the first start did (the admin it created), to print once; nil on later starts.
    public let bootstrap: IdentityService.Bootstrap?
    /// Held for as long as the server runs: no other process serves this data folder meanwhile.
    public let dataFolder: DataFolderLock
    let listenAddress: String
}

public enum WavelineServerBuilder {
    /// Reads the workspace files (all errors at once), takes the data folder (`lock`, when the caller took it
    /// already, as the demo does before it prepares the folder), opens the store, and wires the engine and
    /// routes. Whatever fails after the store is opened closes it again, so every start-up failure is an error
    /// to report, never a crash.
    public static func build(
        _ options: ServerOptions, lock: DataFolderLock? = nil, onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) async throws -> WavelineServer {
        var logger = Logger(label: "waveline")
        logger.logLevel = options.logLevel
        // Secret values the engine learns are masked in the server's own log too.
        let masker = SecretMasker()
        logger.handler = MaskingLogHandler(base: logger.handler, masker: masker)
        let workspace = try loadWorkspace(options)
        let lock = try lock ?? DataFolderLock.acquire(options.dataDirectory)
        let databasePath = options.dataDirectory + "/waveline.sqlite"
        try DataFolder.prepareDatabase(databasePath)
        let store = try await SQLDeploymentStore.sqlite(path: databasePath, logger: logger)
        if let integrations = options.integrations {
            // Before the engine writes anything: every notifiable event from now on has its outbox rows.
            await store.enableNotificationOutbox()
            for value in integrations.secrets.allValues { masker.learn(value) }
        }
        var executors: ExecutorRegistry?
        do {
            // SSH master connections' sockets live in <data>/ssh (0700); they are closed when a deployment ends
            // and, all of them, when the server stops.
            let registry = ExecutorRegistry(
                local: LocalExecutor(dataDirectory: options.dataDirectory),
                ssh: try SSHExecutor(dataDirectory: options.dataDirectory, keepMastersSeconds: options.sshKeepMastersSeconds)
            )
            executors = registry
            let engine = try await Engine(
                store: store, workspace: workspace, executors: registry, logger: logger,
                approvalValidity: options.approvalValiditySeconds, masker: masker,
                parameterSeal: try ParameterSeal.loadOrCreate(in: options.dataDirectory)
            )
            let identities = IdentityService(store: store, passwordCost: options.passwordCost, time: options.time)
            let bootstrap = try await identities.bootstrap(password: options.initialAdminPassword, token: options.initialAdminToken)
            // Pages and routes read the store directly, not through the engine; the engine only writes it.
            let reads = ReadSide(reader: store, integrationsConfigured: options.integrations != nil)
            let router = makeRouter(engine: engine, reads: reads, identities: identities, logger: logger, secureCookies: options.secureCookies,
                                    trustedProxies: options.trustedProxies, tickets: options.tickets)
            let actions = DeploymentActions(engine: engine, reads: reads)
            WebController(
                engine: engine, reads: reads, actions: actions, identities: identities,
                logger: logger, secureCookies: options.secureCookies, time: options.time
            ).addRoutes(to: router)
            var services: [any Service] = [EngineService(engine: engine, store: store, executors: registry, dataFolder: lock)]
            if let slack = options.slackInteractions {
                let responder = SlackResponder(prefixes: slack.responseURLPrefixes, logger: logger)
                SlackInteractionsController(
                    verifier: SlackRequestVerifier(slack), responder: responder, identities: identities, actions: actions, logger: logger
                ).addRoutes(to: router)
                services.append(responder)
            }
            if let integrations = options.integrations {
                let dispatcher = integrations.dispatcher(ledger: StoreNotificationLedger(store: store), time: options.time,
                                                         mask: { masker.mask($0) }, logger: logger)
                services.append(NotificationService(dispatcher: dispatcher))
            }
            let application = Application(
                router: router,
                server: try serverBuilder(options),
                configuration: .init(address: .hostname(options.host, port: options.port), serverName: "waveline"),
                services: services,
                onServerRunning: { channel in await onListening(channel.localAddress?.port ?? options.port) },
                logger: logger
            )
            return WavelineServer(
                engine: engine, identities: identities, application: application, bootstrap: bootstrap, dataFolder: lock,
                listenAddress: "\(options.host):\(options.port)"
            )
        } catch {
            await executors?.shutdown()
            try? await store.close()
            throw error
        }
    }

    /// Plain HTTP, or HTTPS with the given certificate and key.
    static func serverBuilder(_ options: ServerOptions) throws -> HTTPServerBuilder {
        guard options.tlsCertificatePath != nil || options.tlsKeyPath != nil else { return .http1() }
        guard let certificatePath = options.tlsCertificatePath, let keyPath = options.tlsKeyPath else {
            throw StartupError("HTTPS needs both --tls-cert and --tls-key")
        }
        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificatePath)
        } catch {
            throw StartupError("cannot read the TLS certificate \(certificatePath): \(error) (expected PEM)")
        }
        guard !chain.isEmpty else { throw StartupError("the TLS certificate file \(certificatePath) holds no certificate (expected PEM)") }
        do {
            key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
        } catch {
            throw StartupError("cannot read the TLS private key \(keyPath): \(error) (expected PEM, not encrypted)")
        }
        let configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        do {
            return try .tls(.http1(), tlsConfiguration: configuration)
        } catch {
            throw StartupError("cannot use the TLS certificate \(certificatePath) and key \(keyPath): \(error)")
        }
    }

    public static func loadWorkspace(_ options: ServerOptions) throws -> Workspace {
        var diagnostics: [Diagnostic] = []
        var inventory = Inventory()
        var operations: [WavelineCore.Operation] = []
        var strategies = Strategy.builtIn
        do { inventory = try InventoryLoader.load(paths: options.inventoryPaths) } catch let error as DiagnosticsError { diagnostics += error.diagnostics }
        do { operations = try CatalogLoader.load(directory: options.catalogDirectory) } catch let error as DiagnosticsError { diagnostics += error.diagnostics }
        if let directory = options.strategiesDirectory {
            do { strategies += try StrategyLoader.load(directory: directory) } catch let error as DiagnosticsError { diagnostics += error.diagnostics }
        }
        guard diagnostics.isEmpty else { throw DiagnosticsError(diagnostics) }
        return Workspace(inventory: inventory, operations: operations, strategies: strategies)
    }
}

/// Runs the engine for the life of the server; on shutdown running commands end and are found interrupted
/// by the next start, exactly as after a crash. Then the executors close what they hold (SSH masters).
struct EngineService: Service {
    let engine: Engine
    let store: any DeploymentStore
    let executors: ExecutorRegistry
    /// Released only once the store is closed, when the service (the last holder) ends.
    let dataFolder: DataFolderLock

    func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                try await engine.run()
            }
        } catch {
            await executors.shutdown()
            try await store.close()
            throw error
        }
        await executors.shutdown()
        try await store.close()
    }
}

extension IdentityService {
    /// The identity service on the store's identity records (the wiring joins the two; tests build it so too).
    public convenience init(
        store: any IdentityStore, passwordCost: UInt8 = 12, sessionLifetime: Double = 12 * 3600, throttle: LoginThrottle = LoginThrottle(),
        time: any TimeSource = .system
    ) {
        self.init(ledger: IdentityLedger(store: store), passwordCost: passwordCost, sessionLifetime: sessionLifetime, throttle: throttle, time: time)
    }
}
