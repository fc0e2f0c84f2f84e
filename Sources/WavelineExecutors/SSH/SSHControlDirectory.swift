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
/// short symbolic link `/tmp/waveline-ssh-<hash>` to it (the sockets still live under the data directory).
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

        let link = "/tmp/waveline-ssh-" + hexHash(real)
        if lstat(link, &info) != 0 {
            guard symlink(real, link) == 0 else {
                throw Problem(description: "cannot create the short link \(link) to the SSH socket directory \(real): \(POSIX.message(forErrno: errno))")
            }
        }
        guard lstat(link, &info) == 0, info.st_mode & S_IFMT == S_IFLNK, info.st_uid == geteuid(), readLink(link) == real else {
            throw Problem(description: "\(link) exists but is not this server's link to \(real); remove it, or use a shorter data directory")
        }
        return link
    }

    /// FNV-1a, 64 bits, as 16 hex digits: a stable short name for one data directory.
    static func hexHash(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        let digits = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
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
