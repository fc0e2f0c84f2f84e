#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What `lstat` says of a path: its kind (a symbolic link is never followed), owner and permission bits.
///
/// Here rather than beside its users in the server: in the server's whole-module (release) build the C `stat`
/// struct resolves to the copy Dispatch's C module brings in, whose members that module's import rules hide.
public struct FileStatus: Sendable, Hashable {
    public enum Kind: Sendable, Hashable { case directory, regular, other }

    public var kind: Kind
    public var owner: UInt32
    /// The permission bits (`0o777` and the special bits), without the type.
    public var permissions: UInt32

    /// The path's status; nil when nothing is there; the `errno` of any other failure.
    public static func of(_ path: String) -> Result<FileStatus?, FileStatusError> {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            return errno == ENOENT ? .success(nil) : .failure(FileStatusError(code: errno))
        }
        let type = UInt32(info.st_mode) & UInt32(S_IFMT)
        let kind: Kind = type == UInt32(S_IFDIR) ? .directory : type == UInt32(S_IFREG) ? .regular : .other
        return .success(FileStatus(kind: kind, owner: UInt32(info.st_uid), permissions: UInt32(info.st_mode) & 0o7777))
    }
}

public struct FileStatusError: Error, Sendable {
    public var code: Int32
}
