import Logging

/// The server's own log masks secret values too: a message or metadata value that quotes an error from a node,
/// a store or a step goes through the masker before the real handler writes it.
public struct MaskingLogHandler: LogHandler {
    private var base: any LogHandler
    private let masker: SecretMasker

    public init(base: any LogHandler, masker: SecretMasker) {
        self.base = base
        self.masker = masker
    }

    public func log(event: LogEvent) {
        var event = event
        event.message = "\(masker.mask(event.message.description))"
        var metadata = event.metadata?.mapValues(mask)
        if let error = event.error {
            // An error object would be written as it describes itself: its text is masked like the rest.
            metadata = (metadata ?? [:]).merging(["error": .string(masker.mask(String(describing: error)))]) { _, new in new }
            event.error = nil
        }
        event.metadata = metadata
        base.log(event: event)
    }

    private func mask(_ value: Logger.MetadataValue) -> Logger.MetadataValue {
        switch value {
        case .string(let text): return .string(masker.mask(text))
        case .stringConvertible(let convertible): return .string(masker.mask(convertible.description))
        case .array(let values): return .array(values.map(mask))
        case .dictionary(let values): return .dictionary(values.mapValues(mask))
        }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { base[metadataKey: key] }
        set { base[metadataKey: key] = newValue }
    }

    public var metadata: Logger.Metadata {
        get { base.metadata }
        set { base.metadata = newValue }
    }

    public var logLevel: Logger.Level {
        get { base.logLevel }
        set { base.logLevel = newValue }
    }
}
