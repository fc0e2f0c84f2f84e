import Crypto
import WavelineCore

/// The audit trail's hash chain. Every event's `hash` is SHA-256 over its canonical encoding, which includes
/// the previous event's hash, so editing, removing or reordering any stored entry breaks the chain at that
/// entry. The store's writer computes it when it assigns the event's id, inside the transaction that inserts it.
///
/// Canonical encoding (version 1), so an auditor can recompute a hash with any tool: the fields below, in this
/// order, each as an 8-byte big-endian byte count followed by its UTF-8 bytes; an absent value is the count
/// `0xFFFFFFFFFFFFFFFF` and no bytes.
///
/// 1. the text `waveline.event.v1`
/// 2. `id` in decimal
/// 3. `deployment_id` in decimal, or absent
/// 4. `time`: the IEEE 754 bit pattern of the stored double, 16 lowercase hex digits (exact, unlike decimal)
/// 5. `actor`, 6. `kind`, 7. `message`, 8. `origin`, 9. `reason`, 10. `ticket` (each possibly absent)
/// 11. `prev_hash` (64 hex digits; `genesis` for the first event)
public enum AuditChain {
    /// The previous hash of the first event.
    public static let genesis = String(repeating: "0", count: 64)
    /// The origin of the server's own transitions.
    public static let engineOrigin = "engine"

    /// The hash an event must carry, given the hash of the event before it.
    public static func hash(of event: EventRecord, prevHash: String) -> String {
        hash(of: event, id: event.id, prevHash: prevHash)
    }

    static func hash(of event: EventRecord, id: Int64, prevHash: String) -> String {
        let bytes = canonicalEncoding(of: event, id: id, prevHash: prevHash)
        return SHA256.hash(data: bytes).map { byte in
            let digits = String(byte, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }.joined()
    }

    /// The bytes hashed for an event (see the type's documentation).
    public static func canonicalEncoding(of event: EventRecord, id: Int64, prevHash: String) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(256 + event.message.utf8.count)
        func field(_ value: String?) {
            guard let value else {
                bytes.append(contentsOf: [UInt8](repeating: 0xFF, count: 8))
                return
            }
            let utf8 = Array(value.utf8)
            let count = UInt64(utf8.count)
            for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: count >> UInt64(shift))) }
            bytes.append(contentsOf: utf8)
        }
        let timeBits = String(event.time.bitPattern, radix: 16)
        field("waveline.event.v1")
        field(String(id))
        field(event.deploymentId.map { String($0) })
        field(String(repeating: "0", count: max(0, 16 - timeBits.count)) + timeBits)
        field(event.actor)
        field(event.kind)
        field(event.message)
        field(event.origin)
        field(event.reason)
        field(event.ticket)
        field(prevHash)
        return bytes
    }

    /// Gives each event its chain fields, continuing from `previous`; returns the last hash.
    static func seal(_ events: inout [EventRecord], after previous: String) -> String {
        var last = previous
        for index in events.indices {
            events[index].prevHash = last
            let hash = hash(of: events[index], prevHash: last)
            events[index].hash = hash
            last = hash
        }
        return last
    }
}

/// The newest event as the store's writer last recorded it (table `audit_head`), so that removing the newest
/// entries, which no later entry points back to, shows too.
public struct AuditHead: Sendable, Hashable, Codable {
    public var lastId: Int64
    public var lastHash: String

    public init(lastId: Int64, lastHash: String) {
        self.lastId = lastId
        self.lastHash = lastHash
    }

    enum CodingKeys: String, CodingKey {
        case lastId = "last_id", lastHash = "last_hash"
    }
}

/// Checks a hash chain: every entry's hash matches its contents, every entry links to the one before it, and
/// the newest entry is the one the writer recorded.
public enum AuditVerifier {
    public static let problemLimit = 100

    /// `events` in id order (every one the store holds); `head` as the store recorded it.
    public static func verify(_ events: [EventRecord], head: AuditHead?) -> AuditReport {
        var problems: [AuditProblem] = []
        var more = 0
        func report(_ kind: AuditProblem.Kind, _ id: Int64, _ message: String) {
            if problems.count < problemLimit {
                problems.append(AuditProblem(kind: kind, eventId: id, message: message))
            } else {
                more += 1
            }
        }
        var previous: EventRecord?
        var previousFlagged = false
        for event in events {
            var flagged = false
            defer {
                previous = event
                previousFlagged = flagged
            }
            guard let stored = event.hash, let prevHash = event.prevHash else {
                report(.inserted, event.id, "event #\(event.id) has no hash: it was added outside Waveline")
                flagged = true
                continue
            }
            if AuditChain.hash(of: event, prevHash: prevHash) != stored {
                flagged = true
                // Intact contents under another id: the entry was moved.
                if problems.count < problemLimit, let written = originalID(of: event, stored: stored, prevHash: prevHash) {
                    report(.reordered, event.id, "event #\(event.id) is out of order: it was written as event #\(written)")
                } else {
                    report(.edited, event.id, "event #\(event.id) was edited: its contents no longer match its hash")
                }
                continue
            }
            let expected = previous?.hash ?? AuditChain.genesis
            guard prevHash != expected else { continue }
            flagged = true
            // The entry before was already reported: the break is its consequence.
            if previousFlagged { continue }
            let before = previous.map { $0.id + 1 } ?? 1
            if event.id > before {
                let range = before == event.id - 1 ? "#\(before)" : "#\(before)–#\(event.id - 1)"
                report(.removed, event.id, "\(before == event.id - 1 ? "event" : "events") \(range) \(before == event.id - 1 ? "was" : "were") removed: event #\(event.id) follows a missing entry")
            } else if prevHash == AuditChain.genesis || previous == nil {
                report(.inserted, event.id, "event #\(event.id) does not link to the entry before it: the chain was cut or an entry inserted here")
            } else {
                report(.removed, event.id, "the entry before event #\(event.id) was replaced: #\(event.id) links to an entry that is no longer there")
            }
        }
        if let head {
            let last = events.last
            if (last?.id ?? 0) < head.lastId {
                let from = (last?.id ?? 0) + 1
                let range = from == head.lastId ? "#\(from)" : "#\(from)–#\(head.lastId)"
                report(.removed, from, "\(from == head.lastId ? "event" : "events") \(range) \(from == head.lastId ? "was" : "were") removed from the end: the trail's head records #\(head.lastId)")
            } else if let last, last.id > head.lastId, !problems.contains(where: { $0.eventId > head.lastId }) {
                report(.inserted, head.lastId + 1, "events after #\(head.lastId) were added outside Waveline: the trail's head records #\(head.lastId)")
            } else if let last, last.id == head.lastId, last.hash != head.lastHash, !(problems.last.map { $0.eventId == last.id } ?? false) {
                report(.edited, last.id, "event #\(last.id) was replaced: its hash differs from the one the trail's head records")
            }
        } else if let first = events.first {
            report(.inserted, first.id, "the trail's head is missing: it was removed outside Waveline")
        }
        return AuditReport(
            count: events.count, firstId: events.first?.id, lastId: events.last?.id, lastHash: events.last?.hash,
            problems: problems, moreProblems: more
        )
    }

    /// The id an intact entry was written under, when it is now stored under another (rows moved).
    private static func originalID(of event: EventRecord, stored: String, prevHash: String) -> Int64? {
        for distance in 1...64 {
            for candidate in [event.id - Int64(distance), event.id + Int64(distance)] where candidate > 0 {
                if AuditChain.hash(of: event, id: candidate, prevHash: prevHash) == stored { return candidate }
            }
        }
        return nil
    }
}
