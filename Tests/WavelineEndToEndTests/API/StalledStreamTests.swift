import Foundation
import Testing
import WavelineAPI
import WavelineCore
import WavelineServer
#if canImport(Glibc)
import Glibc
import WavelineTesting
#endif

/// A follower that stops reading a busy log is ended: its connection is closed, while the deployment it followed
/// goes on. (What it may hold meanwhile is bounded by the relay: 4096 events and 8 MiB.)
@Suite(.serialized) struct StalledStreamTests {
    /// About 40 MB of log at once (far more than a relay may hold, 8 MiB, and than socket buffers take), then
    /// a mark on the node and a long wait.
    static let burst = """
        name: burst
        steps:
          - {name: flood, shell: 'head -c 40000000 /dev/zero | tr "\\\\0" x | fold -w 1000; touch flooded; sleep 300', timeout: 10m}
        """

    @Test func aFollowerThatNeverReadsABusyLogIsEnded() async throws {
        let bench = try Workbench(inventory: oneZoneInventory(nodes: 1), operations: ["burst": Self.burst])
        defer { bench.remove() }
        try await bench.withServer { server in
            let id = try await server.deploy("burst", selection: Selection(nodes: ["n1"])).deployment.id
            let request = "GET /api/v1/deployments/\(id)/logs/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(server.token ?? "")\r\n\r\n"
            // One follower from the start (it stalls on live lines), one once the flood is stored (it stalls on
            // the backlog).
            let live = try StalledClient(port: server.port, request: request)
            defer { live.close() }
            #expect(Self.connectionState(serverPort: server.port, clientPort: live.localPort) == "01", "the follower is not connected")
            #expect(await eventually(timeout: .seconds(120)) { bench.read("n1", "flooded") != nil }, "the flood did not end")
            let late = try StalledClient(port: server.port, request: request)
            defer { late.close() }
            // The server closes both connections (they leave ESTABLISHED), although the deployment still runs:
            // the streams were ended, not finished.
            for follower in [live, late] {
                let closed = await eventually(timeout: .seconds(90)) {
                    Self.connectionState(serverPort: server.port, clientPort: follower.localPort) != "01"
                }
                #expect(closed, "the server still holds the connection of a follower that never read")
            }
            #expect(try await server.detail(id).deployment.status == .running)
            _ = try await server.act("abort", id)
        }
    }

    /// The TCP state (`/proc/net/tcp`, hex: 01 established) of the server's side of a connection.
    static func connectionState(serverPort: Int, clientPort: Int) -> String? {
        // Read to its end: a /proc file says it is empty, and a single read gives only its first lines.
        guard let data = FileHandle(forReadingAtPath: "/proc/net/tcp")?.readDataToEndOfFile() else { return nil }
        let table = String(decoding: data, as: UTF8.self)
        func hex(_ port: Int) -> String {
            let digits = String(port, radix: 16, uppercase: true)
            return ":" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
        }
        let local = hex(serverPort), remote = hex(clientPort)
        for line in table.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ")
            guard fields.count > 3, fields[1].hasSuffix(local), fields[2].hasSuffix(remote) else { continue }
            return String(fields[3])
        }
        return "gone"
    }
}

/// A client that sends one request and never reads the answer, with a small receive buffer.
final class StalledClient: Sendable {
    let socketFD: Int32
    let localPort: Int

    init(port: Int, request: String) throws {
        let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.socketFD = socketFD
        guard socketFD >= 0 else { throw HarnessError("socket: \(errno)") }
        var small: Int32 = 4096
        setsockopt(socketFD, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        var remote = sockaddr_in()
        remote.sin_family = sa_family_t(AF_INET)
        remote.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr)
        let connected = withUnsafePointer(to: &remote) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socketFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard connected == 0 else { throw HarnessError("connect: \(errno)") }
        var local = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &local) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socketFD, $0, &length) } }
        self.localPort = Int(UInt16(bigEndian: local.sin_port))
        let bytes = Array(request.utf8)
        let sent = bytes.withUnsafeBytes { send(socketFD, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == bytes.count else { throw HarnessError("send: \(errno)") }
    }

    func close() { _ = Glibc.close(socketFD) }
}
