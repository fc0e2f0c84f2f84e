import Foundation
import Synchronization

/// JSON as text for the store's nested columns; sorted keys so equal values give equal text.
public enum JSONText {
    public static func encode(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Encoding our own plain value types cannot fail; an empty object keeps the row writable if it ever did.
        guard let data = try? encoder.encode(value) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    public static func decode<T: Decodable>(_ type: T.Type, from text: String) throws -> T {
        try JSONDecoder().decode(type, from: Data(text.utf8))
    }

    /// `decode`, remembered per text for the small JSON columns that pages read over and over (a phase's gate,
    /// a deployment's selection and parameters, a failure point): JSONDecoder per row was a tenth of the summary
    /// page's CPU. Texts longer than `memoLimit` are decoded each time; the memo is emptied when it is full.
    public static func decodeMemoized<T: Decodable & Sendable>(_ type: T.Type, from text: String) throws -> T {
        guard text.utf8.count <= memoLimit else { return try decode(type, from: text) }
        let key = MemoKey(type: ObjectIdentifier(type), text: text)
        if let known = memo.withLock({ $0[key] }) as? T { return known }
        let value = try decode(type, from: text)
        memo.withLock { memo in
            if memo.count >= memoCapacity { memo.removeAll(keepingCapacity: true) }
            memo[key] = value
        }
        return value
    }

    private struct MemoKey: Hashable {
        var type: ObjectIdentifier
        var text: String
    }

    private static let memoLimit = 2048
    private static let memoCapacity = 8192
    private static let memo = Mutex<[MemoKey: any Sendable]>([:])
}
