#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The private directory that holds the SSH master connections' sockets: `<data>/ssh`, mode 0700, owned by
/// the server's user.
///
/// A unix socket's path is limited to about 104 bytes, and ssh binds a temporary name (the 40-character `%C`
/// hash plus 17 characters) before renaming it. When `<data>/ssh` is too long for that, ssh is pointed at a
/// short symbolic link to it in a private folder of random name, `/tmp/waveline-XXXXXX/s` (the sockets still
/// live under the data directory).
enum SSHControlDirectory {
    /// Longest directory path that leaves room for `/<40 hex>.<16 random>` and the terminating NUL in 104 bytes.
    static let maximumLength = 104 - 1 - 40 - 17 - 1

    struct Problem: Error, CustomStringConvertible {
        var description: String
    }

    /// Makes the directory (and the short link when needed) and returns the path to give ssh.
    static func prepare(dataDirectory: String) throws(Problem) -> String {
        let base = POSIX.currentDirectory().map { LocalExecutor.absolute(dataDirectory, against: $0) } ?? dataDirectory
        let real = (base.hasSuffix("/") ? base : base + "/") + "ssh"
        if let failure = POSIX.makeDirectories(real) {
            throw Problem(description: "cannot create the SSH socket directory \(real): \(POSIX.message(forErrno: failure))")
        }
        var info = stat()
        guard lstat(real, &info) == 0, info.st_mode & S_IFMT == S_IFDIR, info.st_uid == geteuid() else {
            throw Problem(description: "the SSH socket directory \(real) is not a directory owned by this user")
        }
        guard chmod(real, 0o700) == 0 else {
            throw Problem(description: "cannot make the SSH socket directory \(real) private: \(POSIX.message(forErrno: errno))")
        }
        if real.utf8.count <= maximumLength { return real }
        return try shortLink(to: real)
    }

    /// A short path to `real` in the shared temporary folder that nobody can guess or take first: a folder made
    /// by `mkdtemp` (random name, mode 0700, this user's) holding the link `s`. Its path is kept in
    /// `<real>/short-link`, so later starts reuse it while it is still this server's.
    private static func shortLink(to real: String) throws(Problem) -> String {
        let record = real + "/short-link"
        var info = stat()
        if let kept = readSmallFile(record), kept.hasPrefix("/tmp/waveline-"), kept.hasSuffix("/s") {
            let folder = String(kept.dropLast(2))
            if lstat(folder, &info) == 0, info.st_mode & S_IFMT == S_IFDIR, info.st_uid == geteuid(), info.st_mode & 0o077 == 0,
               lstat(kept, &info) == 0, info.st_mode & S_IFMT == S_IFLNK, readLink(kept) == real {
                return kept
            }
        }
        var template = Array("/tmp/waveline-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw Problem(description: "cannot create a short folder in /tmp for the SSH socket directory \(real): \(POSIX.message(forErrno: errno))")
        }
        let folder = String(cString: made)
        let link = folder + "/s"
        guard symlink(real, link) == 0 else {
            throw Problem(description: "cannot create the short link \(link) to the SSH socket directory \(real): \(POSIX.message(forErrno: errno))")
        }
        writeSmallFile(record, link)
        return link
    }

    private static func readSmallFile(_ path: String) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = read(descriptor, &buffer, buffer.count)
        guard count > 0 else { return nil }
        return String(decoding: buffer[0..<count], as: UTF8.self)
    }

    private static func writeSmallFile(_ path: String, _ text: String) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        _ = Array(text.utf8).withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
    }

    static func readLink(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink(path, &buffer, buffer.count - 1)
        guard count >= 0 else { return nil }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Paths of the sockets in `directory` (masters, live or stale).
    static func sockets(in directory: String) -> [String] {
        guard let handle = opendir(directory) else { return [] }
        defer { closedir(handle) }
        var found: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            guard name != ".", name != ".." else { continue }
            let path = directory + "/" + name
            var info = stat()
            if stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFSOCK { found.append(path) }
        }
        return found.sorted()
    }
}
