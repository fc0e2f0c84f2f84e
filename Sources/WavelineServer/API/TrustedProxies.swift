import Foundation
import Hummingbird
import NIOCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The proxies whose `X-Forwarded-For` is believed (`serve --trusted-proxy CIDR`): nobody else's. A request
/// from one of them is taken to come from the last address in `X-Forwarded-For` that is not itself a trusted
/// proxy (the one the trusted chain saw); from anyone else, the header is ignored and the peer's address
/// counts (for the audit trail and the sign-in slowdown).
public struct TrustedProxies: Sendable {
    struct Range: Sendable {
        var bytes: [UInt8]
        var prefix: Int
    }

    let ranges: [Range]

    public static let none = TrustedProxies(ranges: [])

    init(ranges: [Range]) { self.ranges = ranges }

    /// Parses `10.0.0.0/8`, `192.0.2.7`, `fd00::/8`; nil when a value is not an address or a CIDR.
    public static func parse(_ values: [String]) -> (proxies: TrustedProxies, invalid: String?) {
        var ranges: [Range] = []
        for value in values {
            let parts = value.split(separator: "/", maxSplits: 1).map(String.init)
            guard let bytes = parts.first.flatMap(Self.bytes) else { return (.none, value) }
            let prefix = parts.count == 2 ? Int(parts[1]) : bytes.count * 8
            guard let prefix, (0...bytes.count * 8).contains(prefix) else { return (.none, value) }
            ranges.append(Range(bytes: bytes, prefix: prefix))
        }
        return (TrustedProxies(ranges: ranges), nil)
    }

    static func bytes(_ address: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, address, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, address, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }

    func contains(_ address: String) -> Bool {
        guard !ranges.isEmpty, let bytes = Self.bytes(address) else { return false }
        return ranges.contains { range in
            guard range.bytes.count == bytes.count else { return false }
            var left = range.prefix
            for index in bytes.indices where left > 0 {
                let bits = min(8, left)
                let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
                if bytes[index] & mask != range.bytes[index] & mask { return false }
                left -= bits
            }
            return true
        }
    }

    /// Where a request from `peer` comes from.
    func client(peer: String, forwardedFor: String?) -> String {
        guard contains(peer), let forwardedFor else { return peer }
        let hops = forwardedFor.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        for hop in hops.reversed() {
            guard Self.bytes(hop) != nil else { return peer }
            if !contains(hop) { return hop }
        }
        return peer
    }
}

/// Sets the request's client address: the peer's, or, from a trusted proxy, the one it forwarded.
struct TrustedProxyMiddleware: RouterMiddleware {
    typealias Context = WavelineRequestContext
    let proxies: TrustedProxies

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if let peer = context.remoteAddress?.ipAddress {
            context.clientAddress = proxies.client(peer: peer, forwardedFor: request.headers[.init("X-Forwarded-For")!])
        }
        return try await next(request, context)
    }
}
