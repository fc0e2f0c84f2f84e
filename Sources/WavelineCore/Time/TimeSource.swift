import Foundation

/// Where "now" comes from, as seconds since 1970 (what is stored). Passed in, so that whatever decides on
/// time (approval expiry, gates, throttles) can be run on a manual time in tests.
public protocol TimeSource: Sendable {
    func now() -> Double
}

/// The machine's wall-clock time.
public struct SystemTime: TimeSource {
    public init() {}
    public func now() -> Double { Date().timeIntervalSince1970 }
}

extension TimeSource where Self == SystemTime {
    public static var system: SystemTime { SystemTime() }
}
