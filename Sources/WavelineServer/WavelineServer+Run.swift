#if canImport(Glibc)
import Glibc
#endif
import Hummingbird
import NIOCore
import ServiceLifecycle
import UnixSignals

extension WavelineServer {
    /// Serves until SIGTERM or SIGINT, then stops within seconds whatever it is doing: requests and drivers get
    /// `gracefulStop` to end, then are cancelled, and if something still does not end (work that ignores
    /// cancellation) the process stops `cancellationGrace` later. What a hard stop cuts short is found
    /// interrupted by the next start, as after a crash. A failure to listen (the port is taken, the address is
    /// not this machine's) is said in one line.
    public func run(gracefulStop: Duration = .seconds(10), cancellationGrace: Duration = .seconds(5)) async throws {
        var configuration = ServiceGroupConfiguration(
            services: [application], gracefulShutdownSignals: [.sigterm, .sigint], logger: application.logger)
        configuration.maximumGracefulShutdownDuration = gracefulStop
        configuration.maximumCancellationDuration = cancellationGrace
        do {
            try await ServiceGroup(configuration: configuration).run()
        } catch let error as IOError where error.errnoCode == EADDRINUSE {
            throw StartupError(ListenAddressCheck.portInUse(listenAddress))
        } catch let error as IOError where error.errnoCode == EADDRNOTAVAIL {
            throw StartupError("cannot listen on \(listenAddress): the address is not one of this machine's; choose another --host")
        } catch let error as IOError where error.errnoCode == EACCES {
            throw StartupError("cannot listen on \(listenAddress): not allowed (ports below 1024 need privileges); choose another --port")
        }
    }
}
