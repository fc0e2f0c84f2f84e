/// A comment or description as Waveline writes it, rendered for either Jira: Atlassian Document Format for Cloud
/// (REST v3) or plain text for Data Center (REST v2). Only what Waveline's comments need: paragraphs of text,
/// bold and links, bullet lists, and preformatted blocks (log lines).
public struct JiraDocument: Sendable, Hashable {
    public enum Inline: Sendable, Hashable {
        case text(String)
        case bold(String)
        case link(String, url: String)
        case code(String)
    }

    public enum Block: Sendable, Hashable {
        case paragraph([Inline])
        case bulletList([[Inline]])
        case codeBlock(String)
    }

    public var blocks: [Block]

    public init(_ blocks: [Block]) { self.blocks = blocks }

    /// Jira's default limit on a text field, comments included: 32,767 characters (the
    /// `jira.text.field.character.limit` setting's default on Cloud and Data Center; not in the reference file,
    /// from Atlassian's "Configuring advanced settings" page; the spec's 413 answer on addComment is the per-issue
    /// count, not this). Waveline keeps below it with a margin for the ADF or wiki overhead.
    public static let maximumCharacters = 30_000

    /// All the text, as the plain-text body (Data Center) shows it.
    public var plainText: String {
        blocks.map { block -> String in
            switch block {
            case .paragraph(let inlines): return Self.plain(inlines)
            case .bulletList(let items): return items.map { "- " + Self.plain($0) }.joined(separator: "\n")
            // As is: an indentation per line would make a cut log longer than the cut allows for.
            case .codeBlock(let text): return text
            }
        }.joined(separator: "\n\n")
    }

    static func plain(_ inlines: [Inline]) -> String {
        inlines.map { inline -> String in
            switch inline {
            case .text(let text), .bold(let text), .code(let text): return text
            case .link(let title, let url): return title == url ? url : "\(title) (\(url))"
            }
        }.joined()
    }

    /// The ADF document: `{"type":"doc","version":1,"content":[…]}`.
    public var adf: JSONValue {
        ["type": "doc", "version": 1, "content": .array(blocks.map(Self.adfBlock))]
    }

    static func adfBlock(_ block: Block) -> JSONValue {
        switch block {
        case .paragraph(let inlines):
            return ["type": "paragraph", "content": .array(inlines.compactMap(adfInline))]
        case .bulletList(let items):
            return ["type": "bulletList", "content": .array(items.map { item in
                ["type": "listItem", "content": [["type": "paragraph", "content": .array(item.compactMap(adfInline))]]]
            })]
        case .codeBlock(let text):
            // ADF refuses an empty text node.
            return ["type": "codeBlock", "content": text.isEmpty ? [] : [["type": "text", "text": .string(text)]]]
        }
    }

    static func adfInline(_ inline: Inline) -> JSONValue? {
        switch inline {
        case .text(let text):
            return text.isEmpty ? nil : ["type": "text", "text": .string(text)]
        case .bold(let text):
            return text.isEmpty ? nil : ["type": "text", "text": .string(text), "marks": [["type": "strong"]]]
        case .code(let text):
            return text.isEmpty ? nil : ["type": "text", "text": .string(text), "marks": [["type": "code"]]]
        case .link(let title, let url):
            return ["type": "text", "text": .string(title.isEmpty ? url : title),
                    "marks": [["type": "link", "attrs": ["href": .string(url)]]]]
        }
    }

    /// Counted in UTF-16 units, as Jira (Java strings) counts.
    public var characterCount: Int { plainText.utf16.count }

    /// The document within `limit` characters: code blocks (log lines) are cut first, from their start (the last
    /// lines matter most), then the longest remaining texts; a note says what was cut. The last block (Waveline's
    /// marker) is kept whole.
    public func fitted(to limit: Int = JiraDocument.maximumCharacters) -> JiraDocument {
        var document = self
        var excess = document.characterCount - limit
        guard excess > 0 else { return self }
        var order = document.blocks.indices.dropLast().sorted { lhs, rhs in
            let l = Self.length(document.blocks[lhs]), r = Self.length(document.blocks[rhs])
            if Self.isCode(document.blocks[lhs]) != Self.isCode(document.blocks[rhs]) { return Self.isCode(document.blocks[lhs]) }
            return l > r
        }
        while excess > 0, !order.isEmpty {
            let index = order.removeFirst()
            let length = Self.length(document.blocks[index])
            let keep = max(0, length - excess - 60)
            document.blocks[index] = Self.cut(document.blocks[index], keeping: keep)
            excess = document.characterCount - limit
        }
        if excess > 0 {
            // Still too long (a huge marker?): keep the text's start, plainly.
            let text = SlackLimits.truncate(document.plainText, to: limit)
            return JiraDocument([.paragraph([.text(text)])])
        }
        return document
    }

    /// The longest suffix of whole characters within `units` UTF-16 units.
    static func suffix(of text: String, utf16Units units: Int) -> Substring {
        var count = 0
        var start = text.endIndex
        while start > text.startIndex {
            let previous = text.index(before: start)
            count += text[previous..<start].utf16.count
            if count > units { break }
            start = previous
        }
        return text[start...]
    }

    static func isCode(_ block: Block) -> Bool { if case .codeBlock = block { return true } else { return false } }

    static func length(_ block: Block) -> Int { JiraDocument([block]).characterCount }

    static func cut(_ block: Block, keeping keep: Int) -> Block {
        switch block {
        case .codeBlock(let text):
            let units = text.utf16.count
            guard units > keep else { return block }
            let tail = String(suffix(of: text, utf16Units: keep))
            return .codeBlock("[\(units - tail.utf16.count) earlier characters not shown]\n" + tail)
        case .paragraph(let inlines):
            return .paragraph([.text(SlackLimits.truncate(plain(inlines), to: max(keep, 40)))])
        case .bulletList(let items):
            return .paragraph([.text(SlackLimits.truncate(items.map { "- " + plain($0) }.joined(separator: "\n"), to: max(keep, 40)))])
        }
    }
}
