import Foundation
import WavelineCore

/// Where the values of the inventory's secret references come from. Passed to the engine, so that tests can
/// give values without setting the process's environment.
public protocol SecretSource: Sendable {
    /// The value `reference` names, or nil when there is none (an unset variable, an unreadable file).
    func value(of reference: SecretReference) -> String?
}

/// The server's own environment variables (`env:`) and files on its machine (`file:`, one trailing newline
/// dropped).
public struct ProcessSecretSource: SecretSource {
    public init() {}

    public func value(of reference: SecretReference) -> String? {
        switch reference.source {
        case .env:
            return ProcessInfo.processInfo.environment[reference.name]
        case .file:
            guard let data = FileManager.default.contents(atPath: reference.name) else { return nil }
            var text = String(decoding: data, as: UTF8.self)
            if text.hasSuffix("\n") { text.removeLast() }
            return text
        }
    }
}

/// Reads secret values through its source (the server's environment variables or files). A failure
/// names the secret and its source, never a value.
struct SecretVault: Sendable {
    let source: any SecretSource
    let masker: SecretMasker

    func value(of reference: SecretReference, named name: String) throws(EngineError) -> String {
        guard let value = source.value(of: reference) else {
            switch reference.source {
            case .env:
                throw EngineError(.invalidRequest, "secret \(name): the server's environment variable \(reference.name) is not set")
            case .file:
                throw EngineError(.invalidRequest, "secret \(name): cannot read the file \(reference.name) on the server")
            }
        }
        guard value.count >= SecretReference.minimumLength else {
            throw EngineError(.invalidRequest, "secret \(name) (\(reference)) is shorter than \(SecretReference.minimumLength) characters: too short to mask in logs")
        }
        masker.learn(value)
        return value
    }

    /// Every secret of a node, by variable name.
    func values(for node: Node) throws(EngineError) -> [String: String] {
        var values: [String: String] = [:]
        for (name, reference) in (node.secrets ?? [:]).sorted(by: { $0.key < $1.key }) {
            values[name] = try value(of: reference, named: name)
        }
        return values
    }

    /// Learns every value the inventory refers to, so they are masked before any step uses them; unreadable
    /// ones are skipped here (the node that needs one fails, saying which).
    func learn(_ workspace: Workspace) {
        for reference in workspace.allSecretReferences {
            _ = try? value(of: reference, named: reference.name)
        }
    }
}
