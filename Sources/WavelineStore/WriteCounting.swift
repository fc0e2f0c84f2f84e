/// A store that counts its writes, so that a cache of what was read from it can tell it is still current: a
/// value read while the count stayed the same reflects every write that had returned when the count was read.
public protocol WriteCounting: Sendable {
    /// Grows with every `write`, before that write returns (so before the change is announced); nil when this
    /// store cannot tell (a wrapper around a store that does not count).
    var writeCount: UInt64? { get }
}
