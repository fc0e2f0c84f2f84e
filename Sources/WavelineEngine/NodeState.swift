import Foundation
import Crypto
import WavelineCore
import WavelineStore

/// A digest of the configuration a run applied to a node: its parameters and the node's variables
/// (environment, then cluster, then node, as the steps saw them). Two runs with equal digests applied the same
/// configuration; the inventory page shows it to tell nodes that drifted apart.
///
/// SHA-256, in lowercase hex, of one line per value, `parameter.<name>=<value>` or `variable.<name>=<value>`,
/// sorted by their UTF-8 bytes and joined by newlines. Backslashes, newlines and (in names) `=` are escaped, so
/// no two different configurations give the same text.
public enum ConfigDigest {
    public static func of(parameters: [String: String], variables: [String: String]) -> String {
        func escape(_ text: String, isName: Bool) -> String {
            var escaped = text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
                .replacingOccurrences(of: "\r", with: "\\r")
            if isName { escaped = escaped.replacingOccurrences(of: "=", with: "\\=") }
            return escaped
        }
        var lines = parameters.map { "parameter.\(escape($0.key, isName: true))=\(escape($0.value, isName: false))" }
        lines += variables.map { "variable.\(escape($0.key, isName: true))=\(escape($0.value, isName: false))" }
        lines.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        let digest = SHA256.hash(data: Array(lines.joined(separator: "\n").utf8))
        return digest.map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}

extension NodeStateRecord {
    /// What a finished run leaves on its node, or nil when it leaves nothing to record: only deploy runs that
    /// succeeded or failed change what Waveline last put there (a cancelled run never reached its end, a
    /// rollback run is recorded in the node's history).
    init?(job: TargetJob, finished target: TargetRecord) {
        guard target.kind == .deploy, target.status == .succeeded || target.status == .failed else { return nil }
        self.init(
            node: target.node, cluster: target.cluster, environment: target.environment, product: target.product,
            deploymentId: job.deploymentID, operation: job.operation.name, outcome: target.status,
            // The parameters as shown: a hidden value is neither stored nor digested (a digest of a short
            // password can be guessed offline).
            finishedAt: target.finishedAt ?? Clock.now(), version: job.shownParameters["version"],
            configDigest: ConfigDigest.of(parameters: job.shownParameters, variables: job.node.variables)
        )
    }
}
