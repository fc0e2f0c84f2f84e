/// A store that counts its writes, so that a cache of what was read from it can tell it is still current: a
/// value read while the count stayed the same reflects every write that had returned when the count was read.
///
/// A write of log lines only is not counted: running steps write them many times a second, and a cache keyed
/// on them would never hit. A cached view that shows log lines must also bound its age (the summary's shows a
/// failed node's last line and is at most a second old).
public protocol WriteCounting: Sendable {
    /// Grows with every `write` of anything but log lines alone, before that write returns (so before the change
    /// is announced); nil when this store cannot tell (a wrapper around a store that does not count).
    var writeCount: UInt64? { get }
}
