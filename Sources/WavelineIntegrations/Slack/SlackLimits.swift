/// Slack's size limits, applied to every message before it is sent: over-long parts are cut with a visible note,
/// never refused, so a huge log line cannot stop a deployment's thread.
///
/// Sources (collected in `shared/reference/integrations.md`, "Message size limits"):
/// - `text` is truncated by Slack above 40,000 characters (api.slack.com changelog 2018-04); Waveline cuts at
///   `maximumText` itself so the note says so.
/// - at most 50 blocks per message (docs.slack.dev, Block Kit blocks reference).
/// - per element, as Slack's Python SDK validates them (python-slack-sdk `slack_sdk/models/blocks`): section text
///   3,000; section fields 10 items; header text 150; markdown block 12,000; actions block 25 elements; context
///   block 10 elements; `action_id`/`block_id` 255; button text 75, value 2,000, url 3,000.
/// - an unexplained aggregate: `msg_blocks_too_long` near 13,200 characters across all blocks while under every
///   per-block limit (slackapi/bolt-js#2509); Waveline keeps the blocks' text under `maximumBlocksText`.
/// Lengths are counted in UTF-16 code units, as Slack's JavaScript-based front end counts; cuts fall between
/// characters.
public enum SlackLimits {
    public static let maximumText = 40_000
    public static let maximumBlocks = 50
    public static let maximumSectionText = 3_000
    public static let maximumSectionFields = 10
    /// A field's text (python-slack-sdk `SectionBlock.fields` items, 2,000).
    public static let maximumFieldText = 2_000
    public static let maximumHeaderText = 150
    public static let maximumMarkdownBlockText = 12_000
    public static let maximumActionsElements = 25
    public static let maximumContextElements = 10
    public static let maximumContextText = 2_000
    public static let maximumButtonText = 75
    public static let maximumButtonValue = 2_000
    public static let maximumURL = 3_000
    public static let maximumIdentifier = 255
    /// Below the ~13,200 characters at which Slack answered `msg_blocks_too_long` (bolt-js#2509), with a margin.
    public static let maximumBlocksText = 12_000

    /// The note at the end of a cut text.
    static func note(_ cut: Int) -> String { "… [\(cut) more characters not shown]" }

    /// `text` cut to at most `limit` UTF-16 units, the end replaced with a note that says how much is missing.
    public static func truncate(_ text: String, to limit: Int) -> String {
        guard text.utf16.count > limit else { return text }
        var kept = Substring(text)
        // The note's length depends on the number cut; two passes settle it.
        var noteText = note(text.utf16.count - limit)
        for _ in 0..<2 {
            let room = max(0, limit - noteText.utf16.count)
            kept = prefix(of: text, utf16Units: room)
            noteText = note(text.utf16.count - kept.utf16.count)
        }
        let result = String(kept) + noteText
        return result.utf16.count <= limit ? result : String(prefix(of: result, utf16Units: limit))
    }

    /// The longest prefix of whole characters within `units` UTF-16 units.
    static func prefix(of text: String, utf16Units units: Int) -> Substring {
        var count = 0
        var end = text.startIndex
        for index in text.indices {
            let next = text.index(after: index)
            count += text[index..<next].utf16.count
            if count > units { break }
            end = next
        }
        return text[..<end]
    }

    /// The content made to fit every limit above.
    public static func fit(_ content: SlackMessageContent) -> SlackMessageContent {
        var blocks = content.blocks.map(fitBlock)
        if blocks.count > maximumBlocks {
            let hidden = blocks.count - (maximumBlocks - 1)
            // Keep the actions (buttons) if the last block holds them: they matter more than a middle line.
            let last = blocks.last
            blocks = Array(blocks.prefix(maximumBlocks - 2))
            blocks.append(context("… \(hidden) more parts of this message are not shown; the deployment page has all of it."))
            if let last { blocks.append(last) }
        }
        blocks = fitAggregate(blocks)
        return SlackMessageContent(text: truncate(content.text, to: maximumText), blocks: blocks)
    }

    static func context(_ text: String) -> JSONValue {
        ["type": "context", "elements": [["type": "mrkdwn", "text": .string(text)]]]
    }

    static func fitBlock(_ block: JSONValue) -> JSONValue {
        guard case .object(var object) = block else { return block }
        object["block_id"] = object["block_id"].map { cutString($0, maximumIdentifier) }
        switch object["type"]?.stringValue {
        case "header":
            object["text"] = object["text"].map { cutText($0, maximumHeaderText) }
        case "section":
            object["text"] = object["text"].map { cutText($0, maximumSectionText) }
            if case .array(var fields)? = object["fields"] {
                if fields.count > maximumSectionFields { fields = Array(fields.prefix(maximumSectionFields)) }
                object["fields"] = .array(fields.map { cutText($0, maximumFieldText) })
            }
        case "markdown":
            object["text"] = object["text"].map { cutString($0, maximumMarkdownBlockText) }
        case "context":
            if case .array(var elements)? = object["elements"] {
                if elements.count > maximumContextElements { elements = Array(elements.prefix(maximumContextElements)) }
                object["elements"] = .array(elements.map { cutText($0, maximumContextText) })
            }
        case "actions":
            if case .array(var elements)? = object["elements"] {
                if elements.count > maximumActionsElements { elements = Array(elements.prefix(maximumActionsElements)) }
                object["elements"] = .array(elements.map(fitButton))
            }
        default:
            break
        }
        return .object(object)
    }

    static func fitButton(_ element: JSONValue) -> JSONValue {
        guard case .object(var object) = element else { return element }
        object["text"] = object["text"].map { cutText($0, maximumButtonText) }
        // A value or id cut with a note would no longer be what the button means; they are cut bare (the
        // renderer keeps them far shorter).
        object["value"] = object["value"].map { cutBare($0, maximumButtonValue) }
        object["action_id"] = object["action_id"].map { cutBare($0, maximumIdentifier) }
        object["url"] = object["url"].map { cutBare($0, maximumURL) }
        return .object(object)
    }

    /// A text object (`{"type": "mrkdwn", "text": …}`) with its text cut.
    static func cutText(_ value: JSONValue, _ limit: Int) -> JSONValue {
        guard case .object(var object) = value, let text = object["text"]?.stringValue else { return value }
        object["text"] = .string(truncate(text, to: limit))
        return .object(object)
    }

    static func cutString(_ value: JSONValue, _ limit: Int) -> JSONValue {
        guard let text = value.stringValue else { return value }
        return .string(truncate(text, to: limit))
    }

    static func cutBare(_ value: JSONValue, _ limit: Int) -> JSONValue {
        guard let text = value.stringValue, text.utf16.count > limit else { return value }
        return .string(String(prefix(of: text, utf16Units: limit)))
    }

    /// Cuts the longest section texts until all text in the blocks is within `maximumBlocksText`.
    static func fitAggregate(_ blocks: [JSONValue]) -> [JSONValue] {
        var blocks = blocks
        var total = blocks.reduce(0) { $0 + textLength($1) }
        while total > maximumBlocksText {
            let longest = blocks.indices
                .compactMap { index -> (Int, Int)? in
                    guard blocks[index]["type"]?.stringValue == "section",
                          let text = blocks[index]["text"]?["text"]?.stringValue else { return nil }
                    return (index, text.utf16.count)
                }
                .max { $0.1 < $1.1 }
            guard let (index, length) = longest, length > 200 else { break }
            let target = max(200, length - (total - maximumBlocksText))
            blocks[index] = cutSectionText(blocks[index], target)
            total = blocks.reduce(0) { $0 + textLength($1) }
        }
        return blocks
    }

    static func cutSectionText(_ block: JSONValue, _ limit: Int) -> JSONValue {
        guard case .object(var object) = block, let text = object["text"] else { return block }
        object["text"] = cutText(text, limit)
        return .object(object)
    }

    /// The characters of every `text` string in a block.
    static func textLength(_ value: JSONValue) -> Int {
        switch value {
        case .object(let object):
            return object.reduce(0) { sum, entry in
                if entry.key == "text", let text = entry.value.stringValue { return sum + text.utf16.count }
                return sum + textLength(entry.value)
            }
        case .array(let items): return items.reduce(0) { $0 + textLength($1) }
        default: return 0
        }
    }
}
