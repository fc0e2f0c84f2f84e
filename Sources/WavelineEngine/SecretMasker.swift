import Foundation
import Synchronization
import WavelineCore

/// Replaces every secret value the server has read with `********`. Values are learnt when read (at start for
/// the whole inventory, and whenever a step's secrets are read), and never forgotten while the server runs.
///
/// A value is learnt in every form it can appear in a line of text: whole, without its trailing line breaks
/// (a file read with or without its last newline), and, for a value of several lines (a PEM key, a file with
/// CRLF endings), each of its lines of at least `SecretReference.minimumLength` characters, since logs are
/// stored line by line. Values of one deployment (its sensitive parameters) are masked in that deployment's
/// text only, so that what one caller sends never hides text elsewhere.
public final class SecretMasker: Sendable {
    private struct Known {
        /// Longest first, so a value containing another is masked whole.
        var global: [String] = []
        var byDeployment: [Int64: [String]] = [:]
        var longest = 0
    }
    private let known = Mutex(Known())

    public init() {}

    /// The forms of `value` that are masked: whole, trimmed of trailing line breaks, and each long enough line.
    static func forms(of value: String) -> [String] {
        var forms = [value]
        var trimmed = Substring(value)
        while let last = trimmed.last, last.isNewline { trimmed.removeLast() }
        forms.append(String(trimmed))
        if trimmed.contains(where: \.isNewline) {
            forms += trimmed.split(whereSeparator: \.isNewline).map(String.init)
        }
        var seen = Set<String>()
        return forms.filter { $0.count >= SecretReference.minimumLength && seen.insert($0).inserted }
    }

    /// Learns a secret value: masked in all text from now on.
    public func learn(_ value: String) {
        let forms = Self.forms(of: value)
        guard !forms.isEmpty else { return }
        known.withLock { known in
            known.global = Self.merged(known.global, forms)
            known.longest = max(known.longest, forms.map(\.utf8.count).max() ?? 0)
        }
    }

    /// Learns a value masked only in the text of one deployment (a sensitive parameter's value).
    func learn(_ value: String, deployment: Int64) {
        let forms = Self.forms(of: value)
        guard !forms.isEmpty else { return }
        known.withLock { known in
            known.byDeployment[deployment] = Self.merged(known.byDeployment[deployment] ?? [], forms)
            known.longest = max(known.longest, forms.map(\.utf8.count).max() ?? 0)
        }
    }

    /// The deployment is over: its own values are no longer masked (its stored text already is).
    func forget(deployment: Int64) {
        known.withLock { _ = $0.byDeployment.removeValue(forKey: deployment) }
    }

    private static func merged(_ values: [String], _ forms: [String]) -> [String] {
        var values = values
        for form in forms where !values.contains(form) { values.append(form) }
        values.sort { $0.count > $1.count }
        return values
    }

    /// Whether `text` is, in one of its forms, a value that is masked (so it would be shown as `********`).
    public func isSecret(_ text: String) -> Bool {
        let known = known.withLock { $0.global }
        return known.contains(text) || Self.forms(of: text).contains { known.contains($0) }
    }

    /// The length in UTF-8 bytes of the longest form known: how much of a line cut in pieces must be carried
    /// over to the next piece so that a value straddling the cut is still found.
    var longestForm: Int { known.withLock { $0.longest } }

    public func mask(_ text: String) -> String { mask(text, deployment: nil) }

    /// Masks the server's values, and those of `deployment` when given.
    public func mask(_ text: String, deployment: Int64?) -> String {
        let values = known.withLock { known -> [String] in
            guard let deployment, let own = known.byDeployment[deployment] else { return known.global }
            return Self.merged(known.global, own)
        }
        guard !values.isEmpty else { return text }
        var text = text
        for value in values where text.contains(value) {
            text = text.replacingOccurrences(of: value, with: SecretReference.mask)
        }
        return text
    }

    /// Masks a piece of a line cut in pieces, of which more follows: returns the masked text to store now and
    /// the raw end to put in front of the next piece, so that a value straddling the cut is masked whole. The
    /// end kept back is shorter than the longest value, and never starts inside a value found in the text.
    func maskKeepingTail(_ text: String, deployment: Int64?) -> (masked: String, tail: String) {
        let values = known.withLock { known -> [String] in
            guard let deployment, let own = known.byDeployment[deployment] else { return known.global }
            return Self.merged(known.global, own)
        }
        guard let longest = values.first?.count, longest > 1 else { return (text, "") }
        var split = text.index(text.endIndex, offsetBy: -min(longest - 1, text.count))
        var moved = true
        while moved {
            moved = false
            for value in values {
                for range in text.ranges(of: value) where range.lowerBound < split && split < range.upperBound {
                    split = range.lowerBound
                    moved = true
                }
            }
        }
        return (mask(String(text[..<split]), deployment: deployment), String(text[split...]))
    }

    /// Masks a text that ends with what a caller typed (an event's message ending with its reason): the
    /// server's part is masked, the caller's part is kept as typed. Masking it would tell the caller which of
    /// the strings they sent is a secret.
    func mask(_ text: String, deployment: Int64?, keepingSuffix callerText: String?) -> String {
        guard let callerText, !callerText.isEmpty, text.hasSuffix(callerText) else { return mask(text, deployment: deployment) }
        return mask(String(text.dropLast(callerText.count)), deployment: deployment) + callerText
    }

    public var isEmpty: Bool { known.withLock { $0.global.isEmpty && $0.byDeployment.isEmpty } }
}
