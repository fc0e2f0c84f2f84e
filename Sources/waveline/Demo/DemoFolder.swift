import Foundation
import WavelineServer

/// The demo's data folder: the demo resets only a folder it made (it holds `.waveline-demo`) or an empty one,
/// and only while no other process holds it.
enum DemoFolder {
    static let markerName = ".waveline-demo"
    static let marker = "Made by `waveline demo`: the demo deletes and recreates this folder on every start.\n"

    /// Takes the folder for this demo, or refuses with the reason, touching nothing in a folder it did not make.
    static func claim(_ directory: String) throws -> DataFolderLock {
        let files = FileManager.default
        var isDirectory: ObjCBool = false
        if files.fileExists(atPath: directory, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw CLIError("\(directory) is a file, not a demo folder; choose another --data folder")
            }
            let entries = (try? files.contentsOfDirectory(atPath: directory)) ?? []
            guard entries.isEmpty || entries.contains(markerName) else {
                throw CLIError("\(directory) was not made by `waveline demo` (it has files and no \(markerName)), so the demo will not delete it; choose another --data folder, or empty it yourself")
            }
        }
        do {
            return try DataFolderLock.acquire(directory)
        } catch {
            throw CLIError(error.description)
        }
    }

    /// Process ids of the demo services still running from `directory`'s nodes: a pid file's process counts only
    /// when it runs as this user in that node's folder (its working directory), where the demo started it.
    static func servicesStarted(in directory: String) -> [pid_t] {
        let files = FileManager.default
        let nodes = directory + "/nodes"
        guard files.fileExists(atPath: directory + "/" + markerName),
              let names = try? files.contentsOfDirectory(atPath: nodes) else { return [] }
        return names.sorted().compactMap { name -> pid_t? in
            let node = nodes + "/" + name
            guard let text = try? String(contentsOfFile: node + "/run/service.pid", encoding: .utf8),
                  let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 1 else { return nil }
            guard let cwd = try? files.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd"),
                  let attributes = try? files.attributesOfItem(atPath: "/proc/\(pid)"),
                  (attributes[.ownerAccountID] as? NSNumber)?.uint32Value == geteuid() else { return nil }
            let real = URL(fileURLWithPath: node).resolvingSymlinksInPath().path
            return cwd == real ? pid : nil
        }
    }
}
