import WavelineCore

/// An error the engine returns to a person: which kind (for the HTTP status) and a sentence saying what is wrong.
public struct EngineError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable {
        case invalidRequest
        case notFound
        /// The request is valid but the current state forbids it (busy node, wrong deployment state).
        case conflict
        case internalFailure
    }

    public var kind: Kind
    public var message: String
    /// A command that reached a deployment's driver as the driver ended, so nothing handled it.
    var unhandledAtEnd = false

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}

extension EngineError {
    /// The answer to a command that reached a deployment's driver as it ended: `perform` tries it once more.
    static func unhandledAtEnd(of id: Int64) -> EngineError {
        var error = EngineError(.conflict, "deployment #\(id) has just finished")
        error.unhandledAtEnd = true
        return error
    }
}

extension EngineError {
    /// A decision's refusal, as the engine answers it.
    init(_ refusal: Refusal) {
        switch refusal.kind {
        case .invalid: self.init(.invalidRequest, refusal.message)
        case .notFound: self.init(.notFound, refusal.message)
        case .conflict: self.init(.conflict, refusal.message)
        }
    }
}
