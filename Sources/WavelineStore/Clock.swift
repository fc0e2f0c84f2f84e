import Foundation

/// Wall-clock time as stored: seconds since 1970.
public enum Clock {
    public static func now() -> Double { Date().timeIntervalSince1970 }
}
