#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Whether the server could listen where it is asked to, tried before anything starts: a start on a taken port
/// stops in one sentence, before it opens the store, prints a first password, or (the demo) resets its folder
/// and starts node processes. The server's own bind still says the same if the port is taken in between.
public enum ListenAddressCheck {
    /// The sentence for a port another program holds: which address, and how to choose another.
    public static func portInUse(_ address: String) -> String {
        "cannot listen on \(address): the port is in use by another program; stop it, or choose another with --port (--port 0 picks a free one)"
    }

    /// Throws the reason `host:port` cannot be listened on now; port 0 (any free port) always can.
    public static func ensureAvailable(host: String, port: Int) throws(StartupError) {
        guard port != 0 else { return }
        let address = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        guard (1...65535).contains(port) else { throw StartupError("cannot listen on \(address): a port is 1 to 65535 (or 0 for a free one)") }
        var hints = addrinfo()
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        hints.ai_family = AF_UNSPEC
        #if canImport(Darwin)
        hints.ai_socktype = SOCK_STREAM
        #else
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #endif
        var found: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &found) == 0, let first = found else {
            throw StartupError("cannot listen on \(address): '\(host)' is not an address of this machine or a name that resolves; choose another --host")
        }
        defer { freeaddrinfo(found) }
        let descriptor = socket(first.pointee.ai_family, first.pointee.ai_socktype, first.pointee.ai_protocol)
        guard descriptor >= 0 else { return }  // Cannot try: the server's own bind will say what is wrong.
        defer { close(descriptor) }
        // As the server binds: with SO_REUSEADDR, so a port in TIME_WAIT is free and only a listener counts.
        var one: Int32 = 1
        _ = setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        guard bind(descriptor, first.pointee.ai_addr, first.pointee.ai_addrlen) != 0 else { return }
        switch errno {
        case EADDRINUSE: throw StartupError(portInUse(address))
        case EADDRNOTAVAIL: throw StartupError("cannot listen on \(address): the address is not one of this machine's; choose another --host")
        case EACCES: throw StartupError("cannot listen on \(address): not allowed (ports below 1024 need privileges); choose another --port")
        default: return  // Anything else: the server's own bind reports it.
        }
    }
}
