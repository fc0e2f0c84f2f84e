import Foundation
import Hummingbird

extension Request {
    /// Where a request came from, for the audit trail: the peer's address when the request context knows it
    /// (a context conforming to `RemoteAddressRequestContext`), else the first `X-Forwarded-For` hop when a
    /// proxy set one, else `api`.
    func origin(context: some RequestContext) -> String {
        if let address = (context as? any RemoteAddressRequestContext)?.remoteAddress {
            return address.ipAddress ?? address.pathname ?? "\(address)"
        }
        if let forwarded = headers[.init("X-Forwarded-For")!]?.split(separator: ",").first {
            let hop = forwarded.trimmingCharacters(in: .whitespaces)
            if !hop.isEmpty { return hop }
        }
        return "api"
    }
}
