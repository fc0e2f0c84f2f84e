import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import WavelineCore

/// A start-up failure said in one line: what (the data folder, the port), what is wrong, what to do.
public struct StartupError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

/// The data folder of one server: private to the server's user (0700), and held by one process at a time.
///
/// The hold is an exclusive `flock` on `<data>/waveline.lock`, which holds the holder's process id. The kernel
/// releases it when the process ends, however it ends (`kill -9` included), so a stale file never blocks a
/// start; a second `serve` or `demo` on a folder in use stops at once, naming the running process, instead of
/// resuming the same deployments and running their steps twice.
public final class DataFolderLock: Sendable {
    public static let fileName = "waveline.lock"

    public let directory: String
    private let descriptor: Int32

    private init(directory: String, descriptor: Int32) {
        self.directory = directory
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    /// Makes the folder if needed (0700), makes it private, and takes the lock, or says who holds it.
    public static func acquire(_ directory: String) throws(StartupError) -> DataFolderLock {
        try DataFolder.prepare(directory)
        let path = directory + "/" + fileName
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else {
            throw StartupError("cannot open the lock file \(path): \(DataFolder.reason(errno))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let failure = errno
            let holder = readAll(descriptor).trimmingCharacters(in: .whitespacesAndNewlines)
            close(descriptor)
            guard failure == EWOULDBLOCK else {
                throw StartupError("cannot lock the data folder \(directory) (\(path)): \(DataFolder.reason(failure))")
            }
            let who = Int32(holder).map { "Waveline process \($0)" } ?? "another Waveline process"
            throw StartupError("the data folder \(directory) is in use by \(who) (it holds \(path)); stop that server first, or choose another --data folder")
        }
        let text = "\(getpid())\n"
        guard ftruncate(descriptor, 0) == 0, pwrite(descriptor, text, text.utf8.count, 0) == text.utf8.count else {
            let failure = errno
            close(descriptor)
            throw StartupError("cannot write the lock file \(path): \(DataFolder.reason(failure))")
        }
        return DataFolderLock(directory: directory, descriptor: descriptor)
    }

    private static func readAll(_ descriptor: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = pread(descriptor, &buffer, buffer.count, 0)
        return count > 0 ? String(decoding: buffer[0..<count], as: UTF8.self) : ""
    }
}

/// The data folder's files are the server user's alone: the folder 0700 (made so, or made private when it
/// exists with a wider mode), the database and lock files 0600.
enum DataFolder {
    static func prepare(_ directory: String) throws(StartupError) {
        var status = try Self.status(of: directory, what: "the data folder")
        if status == nil {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw StartupError("cannot create the data folder \(directory): \(reason(error))")
            }
            status = try Self.status(of: directory, what: "the data folder")
        }
        guard let status else { throw StartupError("cannot use the data folder \(directory): \(reason(ENOENT))") }
        guard status.kind == .directory else {
            throw StartupError("the data folder \(directory) is not a folder; choose another --data")
        }
        guard status.owner == geteuid() else {
            throw StartupError("the data folder \(directory) belongs to user id \(status.owner), not to this server's user (\(geteuid())); run the server as its owner")
        }
        guard access(directory, R_OK | W_OK | X_OK) == 0 else {
            throw StartupError("cannot use the data folder \(directory): \(reason(errno))")
        }
        if status.permissions & 0o077 != 0, chmod(directory, 0o700) != 0 {
            throw StartupError("cannot make the data folder \(directory) private (mode 0700): \(reason(errno))")
        }
    }

    private static func status(of path: String, what: String) throws(StartupError) -> FileStatus? {
        switch FileStatus.of(path) {
        case .success(let status): return status
        case .failure(let error): throw StartupError("cannot use \(what) \(path): \(reason(error.code))")
        }
    }

    /// Creates the database file private (0600) before SQLite opens it (SQLite gives its -wal and -shm files
    /// the database file's mode), and narrows an existing one.
    static func prepareDatabase(_ path: String) throws(StartupError) {
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else { throw StartupError("cannot open the database \(path): \(reason(errno))") }
        defer { close(descriptor) }
        for file in [path, path + "-wal", path + "-shm"] {
            if case .success(let status?) = FileStatus.of(file), status.kind == .regular, status.permissions & 0o077 != 0,
               chmod(file, 0o600) != 0 {
                throw StartupError("cannot make the database file \(file) private (mode 0600): \(reason(errno))")
            }
        }
    }

    static func reason(_ code: Int32) -> String { String(cString: strerror(code)) }

    static func reason(_ error: any Error) -> String {
        if let error = error as? CocoaError, let underlying = error.userInfo[NSUnderlyingErrorKey] as? NSError,
           underlying.domain == NSPOSIXErrorDomain {
            return reason(Int32(underlying.code))
        }
        return (error as NSError).localizedDescription
    }
}
