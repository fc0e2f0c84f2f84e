/// Why something a person asked cannot happen now: the kind (for the answer's status) and the sentence they
/// are told. Decisions return it; the engine passes it on as it is.
public struct Refusal: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// The request itself is wrong (a missing reason, no nodes named where some are needed).
        case invalid
        /// Something it names does not exist.
        case notFound
        /// The request is valid but the current state forbids it (a busy node, the wrong status).
        case conflict
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
