#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
@testable import WavelineExecutors

/// The SSH socket folder is private, and its short alias in the shared /tmp has a name nobody can guess or
/// take first.
struct SSHControlDirectoryTests {
    @Test func aLongDataFolderGetsAPrivateUnguessableShortLink() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("waveline-ssh-test-\(UUID().uuidString)").path
        let data = root + "/" + String(repeating: "long-folder-name/", count: 4) + "data"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let path = try SSHControlDirectory.prepare(dataDirectory: data)
        #expect(path.utf8.count <= SSHControlDirectory.maximumLength)
        #expect(path.hasPrefix("/tmp/waveline-") && path.hasSuffix("/s"), "\(path)")
        let folder = String(path.dropLast(2))
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var info = stat()
        #expect(lstat(folder, &info) == 0 && info.st_mode & 0o777 == 0o700 && info.st_uid == geteuid())
        #expect(lstat(data + "/ssh", &info) == 0 && info.st_mode & 0o777 == 0o700)
        #expect(SSHControlDirectory.readLink(path) == data + "/ssh")
        // The next start reuses it; another data folder gets another, random, name.
        #expect(try SSHControlDirectory.prepare(dataDirectory: data) == path)
        let other = try SSHControlDirectory.prepare(dataDirectory: data + "2")
        defer { try? FileManager.default.removeItem(atPath: String(other.dropLast(2))) }
        #expect(other != path && other.hasPrefix("/tmp/waveline-"))
    }
}
