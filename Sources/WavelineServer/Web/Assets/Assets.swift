import Foundation
/// The UI's two static files, compiled in: nothing is fetched from elsewhere, and no build step or resource
/// bundle is needed. Edit `StyleSheet.swift` and `Script.swift`.
enum Assets {
    struct File: Sendable {
        var contentType: String
        var text: String
    }

    static func named(_ name: String) -> File? {
        switch name {
        case "waveline.css": return File(contentType: "text/css; charset=utf-8", text: styleSheet + widthClasses)
        case "waveline.js": return File(contentType: "text/javascript; charset=utf-8", text: script)
        default: return nil
        }
    }

    /// `.w0` … `.w100`: a width in whole percent, so that bars need no `style` attribute (the Content-Security-
    /// Policy allows style from the style sheet only).
    static let widthClasses = (0...100).map { ".w\($0) { width: \($0)%; }" }.joined(separator: "\n") + "\n"
}
