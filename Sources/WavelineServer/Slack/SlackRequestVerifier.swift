import Crypto
import Foundation
import Synchronization
import WavelineCore

/// Checks that a request comes from Slack, as Slack signs them: `X-Slack-Signature` is `v0=` and the hex
/// HMAC-SHA256, keyed with the signing secret, of `v0:{X-Slack-Request-Timestamp}:{raw body}`; the timestamp is
/// at most `maximumAge` from now, either way; and the same signature was not accepted before within that time.
/// The comparison is constant-time (swift-crypto's). Pure but for the replay memory: no I/O.
public final class SlackRequestVerifier: Sendable {
    /// Why a request was refused: for the server's log and the tests, never for the caller.
    public enum Refusal: Error, Sendable, Hashable {
        case missingHeaders
        case malformedTimestamp
        case stale
        case malformedSignature
        case wrongSignature
        case replayed
        /// More signatures within the window than the replay memory holds.
        case overloaded
    }

    private let key: SymmetricKey
    private let time: any TimeSource
    private let maximumAge: Double
    private let seen: ReplayMemory

    public init(signingSecret: String, time: any TimeSource, maximumAge: Double = 300, replayCapacity: Int = 10_000) {
        key = SymmetricKey(data: Data(signingSecret.utf8))
        self.time = time
        self.maximumAge = maximumAge
        seen = ReplayMemory(capacity: replayCapacity)
    }

    public convenience init(_ settings: SlackInteractions) {
        self.init(signingSecret: settings.signingSecret, time: settings.time, maximumAge: settings.maximumAge, replayCapacity: settings.replayCapacity)
    }

    /// Accepts the request (nil; its signature is remembered) or says why not. Only a request whose signature is
    /// right takes a place in the replay memory, so a flood of bad ones costs no memory.
    public func verify(timestamp: String?, signature: String?, body: some Collection<UInt8>) -> Refusal? {
        guard let timestamp, let signature else { return .missingHeaders }
        // Unix seconds: digits only (no sign, no spaces), few enough to be a time.
        guard (1...12).contains(timestamp.utf8.count), timestamp.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
              let seconds = Double(timestamp) else { return .malformedTimestamp }
        let now = time.now()
        guard abs(now - seconds) <= maximumAge else { return .stale }
        guard signature.hasPrefix("v0="), let sent = Self.bytes(hex: signature.dropFirst(3)), sent.count == SHA256.byteCount else {
            return .malformedSignature
        }
        var signed = Data("v0:\(timestamp):".utf8)
        signed.append(contentsOf: body)
        guard HMAC<SHA256>.isValidAuthenticationCode(sent, authenticating: signed, using: key) else { return .wrongSignature }
        // Remembered until it could no longer pass the window check.
        return seen.insert(Data(sent), until: seconds + maximumAge, now: now)
    }

    /// The signature Slack would send for `body` at `timestamp`: what the tests and a local stand-in sign with.
    public static func signature(secret: String, timestamp: String, body: some Collection<UInt8>) -> String {
        var signed = Data("v0:\(timestamp):".utf8)
        signed.append(contentsOf: body)
        let code = HMAC<SHA256>.authenticationCode(for: signed, using: SymmetricKey(data: Data(secret.utf8)))
        return "v0=" + code.map { String(format: "%02x", $0) }.joined()
    }

    /// Signatures currently remembered (for the flood test: it stays bounded).
    public var rememberedCount: Int { seen.count }

    private static func bytes(hex: Substring) -> Data? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var data = Data(capacity: digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = nibble(digits[index]), let low = nibble(digits[index + 1]) else { return nil }
            data.append(high << 4 | low)
            index += 2
        }
        return data
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case 0x30...0x39: digit - 0x30
        case 0x61...0x66: digit - 0x61 + 10
        case 0x41...0x46: digit - 0x41 + 10
        default: nil
        }
    }
}

/// Signatures accepted within the window, each kept until its timestamp leaves it; at most `capacity` at once.
/// Expired ones are dropped when the memory fills (each time it does, so the cost is spread over the inserts
/// that filled it); when it is still full, the request is refused rather than an unexpired signature forgotten.
final class ReplayMemory: Sendable {
    private let capacity: Int
    private let entries = Mutex<[Data: Double]>([:])

    init(capacity: Int) { self.capacity = max(1, capacity) }

    var count: Int { entries.withLock { $0.count } }

    func insert(_ signature: Data, until expiry: Double, now: Double) -> SlackRequestVerifier.Refusal? {
        entries.withLock { entries in
            if let known = entries[signature], known >= now { return .replayed }
            if entries.count >= capacity {
                entries = entries.filter { $0.value >= now }
                if entries.count >= capacity { return .overloaded }
            }
            entries[signature] = expiry
            return nil
        }
    }
}
