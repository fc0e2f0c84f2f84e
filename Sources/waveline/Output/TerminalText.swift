/// Text from the server (a node's output, failure reasons, names) made harmless for a terminal: control
/// characters that could move the cursor, clear the screen, set the window title or hide text (ESC sequences,
/// carriage returns, backspaces, C1 controls such as CSI) are shown as visible notation instead of being obeyed.
/// Tabs and line breaks stay.
enum TerminalText {
    static func neutralized(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: needsNotation) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            guard needsNotation(scalar) else {
                out.append(scalar)
                continue
            }
            switch scalar.value {
            case 0x7F:
                out.append(contentsOf: "^?".unicodeScalars)
            case ..<0x20:
                // Caret notation, as `cat -v` shows them: ESC is ^[, CR is ^M.
                out.append("^")
                out.append(Unicode.Scalar(UInt8(scalar.value + 0x40)))
            default:
                let hex = String(scalar.value, radix: 16, uppercase: true)
                out.append(contentsOf: "<U+\(String(repeating: "0", count: max(0, 4 - hex.count)) + hex)>".unicodeScalars)
            }
        }
        return String(out)
    }

    /// C0 controls but tab and line feed, DEL, C1 controls.
    static func needsNotation(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09, 0x0A: return false
        case ..<0x20, 0x7F...0x9F: return true
        default: return false
        }
    }
}
