import WavelineStore

/// The engine's store counts writes when the store it wraps does: the web UI's caches depend on it.
extension MaskingStore: WriteCounting {
    var writeCount: UInt64? { (base as? any WriteCounting)?.writeCount }
}
