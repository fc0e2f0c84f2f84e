/// Where the server reads a secret's value: one of its own environment variables, or a file on its machine.
/// The inventory names only the source, never the value, so neither the inventory nor the database holds it.
///
/// Written in the inventory as `env:NAME` or `file:/path`, under `secrets:` of an environment, a cluster or a
/// node (the node's win, then the cluster's): `secrets: {DB_PASSWORD: env:KAFKA_PROD_DB_PASSWORD}`. A step
/// gets each secret as an environment variable of that name; its value is masked (`********`) in every
/// stored log line, event and message.
public struct SecretReference: Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Source: String, Sendable, Hashable, Codable {
        /// An environment variable of the server process.
        case env
        /// A file on the server's machine; one trailing newline is dropped.
        case file
    }

    public var source: Source
    /// The variable's name, or the file's path.
    public var name: String

    public init(source: Source, name: String) {
        self.source = source
        self.name = name
    }

    /// `env:NAME` or `file:/path`; nil otherwise.
    public init?(parsing text: String) {
        guard let colon = text.firstIndex(of: ":"), let source = Source(rawValue: String(text[..<colon])) else { return nil }
        let name = String(text[text.index(after: colon)...])
        guard !name.isEmpty else { return nil }
        self.init(source: source, name: name)
    }

    public var description: String { "\(source.rawValue):\(name)" }

    /// The shortest value Waveline accepts: a shorter one could not be masked without masking ordinary text.
    public static let minimumLength = 4
    /// What a secret's value becomes in logs, events and messages.
    public static let mask = "********"
}
