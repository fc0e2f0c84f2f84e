/// Which stream a line of a node's log came from. Stored as its raw value (`stdout`, `stderr`, `system`).
public enum LogStream: String, Sendable, Hashable, Codable, CaseIterable {
    case stdout
    case stderr
    /// Lines Waveline itself writes into a node's log: step boundaries, retries, reasons.
    case system
}
