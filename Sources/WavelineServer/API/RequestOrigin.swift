import Foundation
import Hummingbird

extension Request {
    /// Where a request came from, for the audit trail and the sign-in slowdown: the client's address (the
    /// peer's, or the one a trusted proxy forwarded, see `TrustedProxies`), else `api`. `X-Forwarded-For` from
    /// anyone else is never believed.
    func origin(context: some RequestContext) -> String {
        if let context = context as? WavelineRequestContext, let address = context.clientAddress { return address }
        if let address = (context as? any RemoteAddressRequestContext)?.remoteAddress {
            return address.ipAddress ?? address.pathname ?? "\(address)"
        }
        return "api"
    }
}
