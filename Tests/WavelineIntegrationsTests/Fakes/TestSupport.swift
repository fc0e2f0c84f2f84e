import Testing
import WavelineIntegrations

/// The `DeliveryError` `body` throws; nil, recording an issue, when it succeeds or throws something else.
func deliveryFailure<T>(_ body: () async throws -> T, sourceLocation: SourceLocation = #_sourceLocation) async -> DeliveryError? {
    do {
        _ = try await body()
        Issue.record("expected a DeliveryError", sourceLocation: sourceLocation)
        return nil
    } catch let error as DeliveryError {
        return error
    } catch {
        Issue.record("expected a DeliveryError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}
