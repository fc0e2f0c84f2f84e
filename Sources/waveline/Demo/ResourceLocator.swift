import Foundation

/// Finds the folders shipped with Waveline (`catalog/`, `demo/`): beside the working directory, under
/// WAVELINE_HOME, or above the executable (a `swift build` puts it in `.build/<config>/`).
enum ResourceLocator {
    static func find(_ name: String) -> String? {
        var candidates: [String] = []
        if let home = ProcessInfo.processInfo.environment["WAVELINE_HOME"] { candidates.append(home + "/" + name) }
        candidates.append(FileManager.default.currentDirectoryPath + "/" + name)
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<5 {
            candidates.append(directory.appendingPathComponent(name).path)
            directory.deleteLastPathComponent()
        }
        var isDirectory: ObjCBool = false
        return candidates.first { FileManager.default.fileExists(atPath: $0, isDirectory: &isDirectory) && isDirectory.boolValue }
    }
}
