import Foundation
import Crypto

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
