import ArgumentParser
import Foundation
import WavelineCore
import WavelineAPI

struct InventoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inventory", abstract: "Work with inventory files.", subcommands: [Validate.self]
    )

    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check inventory files and report every error with file, line and column."
        )

        @Argument(help: "Inventory files or folders.")
        var paths: [String]

        @Flag(help: "Print the result as JSON.")
        var json = false

        func run() async throws {
            let diagnostics = InventoryLoader.validate(paths: paths)
            if json {
                try printJSON(ValidationReport(valid: diagnostics.isEmpty, errors: diagnostics))
            } else if diagnostics.isEmpty {
                let inventory = try InventoryLoader.load(paths: paths)
                print("valid: \(counted(inventory.environments.count, "environment")), \(counted(inventory.products.count, "product")), \(counted(inventory.clusters.count, "cluster")), \(counted(inventory.nodes.count, "node"))")
            } else {
                for diagnostic in diagnostics { print(diagnostic.description) }
                print(counted(diagnostics.count, "error"))
            }
            if !diagnostics.isEmpty { throw ExitCode(1) }
        }
    }
}

struct ValidationReport: Encodable {
    var valid: Bool
    var errors: [Diagnostic]
}

struct CatalogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catalog", abstract: "List the server's operations and strategies, or check catalog files.",
        subcommands: [List.self, Validate.self], defaultSubcommand: List.self
    )

    /// Offline, like `inventory validate`: what a server would refuse at start, before it is started.
    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a catalog folder (and strategies) and report every error with file, line and column."
        )

        @Argument(help: "The catalog folder: one operation per .yaml file.")
        var directory: String

        @Option(name: .long, help: "A strategies folder to check too.")
        var strategies: String?

        @Flag(help: "Print the result as JSON.")
        var json = false

        func run() async throws {
            var diagnostics: [Diagnostic] = []
            var operationCount = 0, strategyCount = 0
            do { operationCount = try CatalogLoader.load(directory: directory).count } catch let error as DiagnosticsError {
                diagnostics += error.diagnostics
            }
            if let strategies {
                do { strategyCount = try StrategyLoader.load(directory: strategies).count } catch let error as DiagnosticsError {
                    diagnostics += error.diagnostics
                }
            }
            if json {
                try printJSON(ValidationReport(valid: diagnostics.isEmpty, errors: diagnostics))
            } else if diagnostics.isEmpty {
                print("valid: \(counted(operationCount, "operation"))" + (strategies == nil ? "" : ", \(counted(strategyCount, "strategy file"))"))
            } else {
                for diagnostic in diagnostics { print(TerminalText.neutralized(diagnostic.description)) }
                print(counted(diagnostics.count, "error"))
            }
            if !diagnostics.isEmpty { throw ExitCode(1) }
        }
    }
}

extension CatalogCommand {
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the server's operations and strategies.")

        @OptionGroup var client: ClientOptions

        @Flag(help: "Print the result as JSON.")
        var json = false

        func run() async throws {
            let api = client.client
            let operations = try await reporting { try await api.get("/api/v1/operations", as: OperationList.self) }
            let strategies = try await reporting { try await api.get("/api/v1/strategies", as: StrategyList.self) }
            if json {
                try printJSON(operations)
                try printJSON(strategies)
                return
            }
            print("Operations:")
            for operation in operations.operations {
                let parameters = operation.parameters.map { $0.required ? $0.name : "[\($0.name)]" }.joined(separator: " ")
                print("  \(operation.name.padding(toLength: 18, withPad: " ", startingAt: 0)) role \(operation.role.padding(toLength: 9, withPad: " ", startingAt: 0)) \(parameters.isEmpty ? "" : "params: \(parameters)")")
                if !operation.description.isEmpty { print("      \(operation.description)") }
            }
            print("Strategies:")
            for strategy in strategies.strategies {
                let phases = strategy.phases.map { "\($0.name)(\($0.size), batch \($0.batchSize), ×\($0.parallelism), gate \($0.gate))" }.joined(separator: " → ")
                print("  \(strategy.name.padding(toLength: 18, withPad: " ", startingAt: 0)) \(phases); budget \(strategy.failureBudget)")
            }
        }
    }
}
