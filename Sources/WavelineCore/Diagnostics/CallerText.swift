/// Longest part of a caller's text an error message repeats.
public let callerQuoteLimit = 80

extension StringProtocol {
    /// Text a caller sent, as an error message repeats it: in single quotes, cut after `callerQuoteLimit`
    /// characters (with `…`), control characters shown as `\u{…}` escapes so they cannot move a terminal's
    /// cursor. It is quoted as sent and never masked: a masked echo would show a caller which of the strings
    /// they sent is a secret.
    public var callerQuoted: String {
        var quoted = "'"
        for (offset, character) in enumerated() {
            if offset == callerQuoteLimit {
                quoted += "…"
                break
            }
            if character.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
                quoted += character.unicodeScalars.map { "\\u{\(String($0.value, radix: 16))}" }.joined()
            } else {
                quoted.append(character)
            }
        }
        return quoted + "'"
    }
}
