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
        /// A button press in Slack, signed by Slack, from an account mapped to this user.
        case slack(teamId: String, userId: String)
    }

    public var name: String
    public var grants: [Grant]
    public var credential: Credential
    /// When the credential (token or session) expires; nil for one made from a password just checked.
    public var expiresAt: Double? = nil
    /// How `IdentityService` finds the credential again (the hash of the token or session id), to check that a live
    /// stream's caller may still follow it.
    var credentialKey: String? = nil

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
    /// The client's address: the peer's, or the one a trusted proxy forwarded (`TrustedProxyMiddleware`).
    var clientAddress: String?
    /// The request's connection: a live response whose client stopped reading is ended by closing it.
    let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        identity = nil
        remoteAddress = source.channel.remoteAddress
        channel = source.channel
        clientAddress = nil
    }
}
