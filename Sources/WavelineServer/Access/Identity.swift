import Hummingbird
import HummingbirdAuth
import NIOCore
import WavelineCore

/// Who is asking: a signed-in person (browser session) or the holder of an API token.
public struct Identity: Sendable, Hashable {
    public enum Credential: Sendable, Hashable {
        /// A browser session; state-changing requests must carry its CSRF token.
        case session(idHash: String, csrfToken: String)
        case token(id: String, name: String)
    }

    public var name: String
    public var grants: [Grant]
    public var credential: Credential

    public var csrfToken: String? {
        if case .session(_, let token) = credential { return token }
        return nil
    }
}

/// The request context of every route: who is asking (set by the authenticators) and from where.
public struct WavelineRequestContext: AuthRequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public var identity: Identity?
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        identity = nil
        remoteAddress = source.channel.remoteAddress
    }
}
