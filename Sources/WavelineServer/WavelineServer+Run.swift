import Hummingbird
import ServiceLifecycle
import UnixSignals

extension WavelineServer {
    /// Serves until SIGTERM or SIGINT, then stops within seconds whatever it is doing: requests and drivers get
    /// `gracefulStop` to end, then are cancelled, and if something still does not end (work that ignores
    /// cancellation) the process stops `cancellationGrace` later. What a hard stop cuts short is found
    /// interrupted by the next start, as after a crash.
    public func run(gracefulStop: Duration = .seconds(10), cancellationGrace: Duration = .seconds(5)) async throws {
        var configuration = ServiceGroupConfiguration(
            services: [application], gracefulShutdownSignals: [.sigterm, .sigint], logger: application.logger)
        configuration.maximumGracefulShutdownDuration = gracefulStop
        configuration.maximumCancellationDuration = cancellationGrace
        try await ServiceGroup(configuration: configuration).run()
    }
}
