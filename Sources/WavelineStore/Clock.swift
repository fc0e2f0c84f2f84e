import Foundation

/// Wall-clock time as stored: seconds since 1970.
///
/// Transitional: nothing in the store or the server uses it any more (they take a `TimeSource`, from
/// WavelineCore). Kept only for the engine's calls until the engine receives its time (issue 10, item 1);
/// remove this file then. Named `Clock`, it shadows the standard library's.
public enum Clock {
    public static func now() -> Double { Date().timeIntervalSince1970 }
}
