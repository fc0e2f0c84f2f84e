// swift-tools-version: 6.2
import PackageDescription

/// Same settings on every target, as Hummingbird does: explicit existentials and explicit imports.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "waveline",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "waveline", targets: ["waveline"]),
        .library(name: "WavelineCore", targets: ["WavelineCore"]),
        .library(name: "WavelineEngine", targets: ["WavelineEngine"]),
        .library(name: "WavelineServer", targets: ["WavelineServer"]),
        .library(name: "WavelineAPI", targets: ["WavelineAPI"]),
        .library(name: "WavelineIntegrations", targets: ["WavelineIntegrations"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/vapor/sql-kit", from: "3.36.0"),
        .package(url: "https://github.com/vapor/sqlite-kit", from: "4.5.2"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.5.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        // Authenticator middleware protocols, Bearer/Basic header parsing, and bcrypt for passwords.
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        // TLS for `serve --tls-cert --tls-key`; already resolved through async-http-client.
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        // SHA-256 for node config digests; already resolved through async-http-client's TLS stack.
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
    ],
    targets: [
        // Pure domain: inventory, operations, strategies, their located errors, and the planner. No I/O but file reading.
        .target(
            name: "WavelineCore",
            dependencies: [.product(name: "Yams", package: "Yams")],
            swiftSettings: swiftSettings
        ),
        // Durable state: store protocol, numbered plain-SQL migrations, the sql-kit implementation.
        .target(
            name: "WavelineStore",
            dependencies: [
                "WavelineCore",
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "SQLiteKit", package: "sqlite-kit"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                // SHA-256 for the audit trail's hash chain, computed where event ids are assigned.
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // Doing the work on nodes: one executor protocol, the local-process implementation.
        .target(
            name: "WavelineExecutors",
            dependencies: [
                "WavelineCore",
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
                // SHA-256 names an ssh master by everything that decides how it authenticates.
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // The durable runner: drives the planner's actions through executors, writes state and logs first.
        .target(
            name: "WavelineEngine",
            dependencies: [
                "WavelineCore", "WavelineStore", "WavelineExecutors",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // The API contract: wire types, operator action requests, server-sent events, the OpenAPI document and
        // the HTTP client. Core types only: no store, engine or server, so a client links this alone.
        .target(
            name: "WavelineAPI",
            dependencies: [
                "WavelineCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // Users, API tokens and browser sessions as the server's access layer keeps them: plain values and the
        // ledger that maps them to the store's records, so the server's access code never sees a store type.
        .target(
            name: "WavelineIdentity",
            dependencies: ["WavelineCore", "WavelineStore"],
            swiftSettings: swiftSettings
        ),
        // HTTP JSON API over the engine.
        .target(
            name: "WavelineServer",
            dependencies: [
                "WavelineEngine",
                "WavelineAPI",
                "WavelineIdentity",
                // Slack and Jira delivery: the dispatcher runs as one of the server's services.
                "WavelineIntegrations",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                // SHA-256 of API tokens and session ids: only hashes are stored.
                .product(name: "Crypto", package: "swift-crypto"),
                // bcrypt runs on NIO's thread pool, off the request threads.
                .product(name: "NIOPosix", package: "swift-nio"),
                // Answers to Slack button presses (their response_url).
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // Slack and Jira: their HTTP clients, the messages Waveline sends them (rendered from the API's wire
        // types), and the secrets their credentials are read from. No store, engine or server.
        .target(
            name: "WavelineIntegrations",
            dependencies: [
                "WavelineCore",
                "WavelineAPI",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Thin executable: client commands over WavelineAPI; `serve` and `demo` start a WavelineServer.
        .executableTarget(
            name: "waveline",
            dependencies: [
                "WavelineAPI",
                "WavelineServer",
                // `serve --integrations` reads the credentials through the engine's secret source.
                "WavelineEngine",
                "WavelineIntegrations",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Subprocess", package: "swift-subprocess"),
            ],
            swiftSettings: swiftSettings
        ),
        // Fills a data folder for the UI/API benchmarks through the store's write path (bench/ui-api.sh).
        .executableTarget(
            name: "bench-fill",
            dependencies: ["WavelineCore", "WavelineStore"],
            path: "Sources/BenchFill",
            swiftSettings: swiftSettings
        ),
        // What tests share: fixtures, a manual time, store factories, the workbench (a temporary installation and
        // the real binary or the in-process server on it).
        .target(
            name: "WavelineTesting",
            dependencies: [
                "WavelineAPI", "WavelineCore", "WavelineExecutors", "WavelineStore", "WavelineServer",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "WavelineCoreTests", dependencies: ["WavelineCore", "WavelineTesting"], swiftSettings: swiftSettings),
        .testTarget(name: "WavelineStoreTests", dependencies: ["WavelineStore", "WavelineTesting"], swiftSettings: swiftSettings),
        .testTarget(name: "WavelineIdentityTests", dependencies: ["WavelineIdentity", "WavelineStore", "WavelineTesting"], swiftSettings: swiftSettings),
        .testTarget(name: "WavelineExecutorsTests", dependencies: ["WavelineExecutors"], swiftSettings: swiftSettings),
        .testTarget(name: "WavelineAPITests", dependencies: ["WavelineAPI", "WavelineCore"], swiftSettings: swiftSettings),
        .testTarget(name: "WavelineEngineTests", dependencies: ["WavelineEngine", "WavelineTesting"], swiftSettings: swiftSettings),
        // The in-process tier: API routes and pages through Hummingbird's test client, on the server's own builder.
        .testTarget(
            name: "WavelineServerTests",
            dependencies: [
                "WavelineAPI",
                "WavelineServer",
                "WavelineStore",
                "WavelineTesting",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                // SHA-256 of the seeded session id, as the server stores it.
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            exclude: ["Snapshots"],
            swiftSettings: swiftSettings
        ),
        // The clients against local fake Slack and Jira servers that check every request against the endpoints'
        // compact description (checked in turn against the published specs in ../shared/specs when present).
        .testTarget(
            name: "WavelineIntegrationsTests",
            dependencies: [
                "WavelineIntegrations",
                "WavelineAPI",
                "WavelineCore",
                // The real server (`serve --integrations`) against these fakes: the ticket check of requests.
                // and the dispatcher's tests: a real SQLite store, its ledger in the server, a manual time.
                "WavelineStore",
                "WavelineServer",
                "WavelineTesting",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WavelineEndToEndTests",
            dependencies: [
                "WavelineServer",
                "WavelineAPI",
                "WavelineTesting",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
                // Trusts the test's self-signed certificate in the HTTPS tests.
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                // Reads the OpenAPI document in the contract tests.
                .product(name: "Yams", package: "Yams"),
                // A fake Slack in the test process for the notification crash test.
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
