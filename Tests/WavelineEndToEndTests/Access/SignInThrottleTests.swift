import Foundation
import Testing
import WavelineAPI
import WavelineCore
@testable import WavelineServer
#if canImport(Glibc)
import Glibc
import WavelineTesting
#endif

/// Failing sign-ins under someone's name slow down the address that fails, never the person: they still sign
/// in from their own address, and the failing address is slowed, not locked.
@Suite(.serialized) struct SignInThrottleTests {
    static func bench() throws -> Workbench {
        try Workbench(inventory: oneZoneInventory(nodes: 1), operations: [:])
    }

    static func signIn(_ port: Int, from address: String, user: String, password: String) throws -> (status: Int, text: String) {
        let body = String(decoding: try JSONEncoder().encode(SignInBody(user: user, password: password)), as: UTF8.self)
        return try rawHTTP(port: port, from: address, "POST /api/v1/session HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)")
    }

    @Test func failuresUnderANameFromOneAddressDoNotLockItsOwnerOut() async throws {
        let bench = try Self.bench()
        defer { bench.remove() }
        try await bench.withServer { admin in
            // An attacker at 127.0.0.2 fails five times as admin, then is slowed down (even with the right password).
            for attempt in 1...5 {
                let failed = try Self.signIn(admin.port, from: "127.0.0.2", user: "admin", password: "guess number \(attempt)")
                #expect(failed.status == 401, "\(failed.text)")
            }
            let slowed = try Self.signIn(admin.port, from: "127.0.0.2", user: "admin", password: Workbench.adminPassword)
            #expect(slowed.status == 429 && slowed.text.contains("from 127.0.0.2"), "\(slowed.text)")
            let retryAfter = try #require(slowed.text.split(separator: "\r\n").first { $0.lowercased().hasPrefix("retry-after:") }
                .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) })
            #expect(retryAfter >= 1 && retryAfter <= 60)
            // The admin, at 127.0.0.3, signs in at once.
            let owner = try Self.signIn(admin.port, from: "127.0.0.3", user: "admin", password: Workbench.adminPassword)
            #expect(owner.status == 200, "\(owner.text)")
            // Another name from the slowed address is not slowed by admin's failures.
            let other = try Self.signIn(admin.port, from: "127.0.0.2", user: "nobody", password: "not a password at all")
            #expect(other.status == 401, "\(other.text)")
            // Slowed, not locked: after the wait the address may try again.
            try await Task.sleep(for: .seconds(retryAfter))
            let later = try Self.signIn(admin.port, from: "127.0.0.2", user: "admin", password: Workbench.adminPassword)
            #expect(later.status == 200, "\(later.text)")
        }
    }

    @Test func theWaitGrowsWithEachFailureUpToALimit() {
        let throttle = LoginThrottle()
        let keys = throttle.keys(name: "admin", address: "192.0.2.1")
        var now = 1000.0
        for _ in 0..<5 {
            #expect(throttle.admit(keys: keys, now: now) == nil)
            now += 0.1
        }
        var waits: [Double] = []
        for _ in 0..<10 {
            let wait = throttle.admit(keys: keys, now: now)
            #expect(wait != nil, "admitted without waiting after \(waits.count + 5) failures")
            waits.append(wait ?? 0)
            now += wait ?? 0
            #expect(throttle.admit(keys: keys, now: now) == nil, "admitted once the wait is over")
        }
        #expect(waits.first.map { $0 > 0 && $0 <= 1 } == true, "\(waits)")
        #expect(zip(waits, waits.dropFirst()).allSatisfy { $0 <= $1 }, "\(waits)")
        #expect(waits.allSatisfy { $0 <= throttle.longestWait }, "\(waits)")
        // Another address, and the same address for another name, are not slowed.
        #expect(throttle.admit(keys: throttle.keys(name: "admin", address: "192.0.2.2"), now: now) == nil)
        #expect(throttle.admit(keys: throttle.keys(name: "olga", address: "192.0.2.1"), now: now) == nil)
    }
}

/// One HTTP/1.1 exchange over a socket bound to `source` (any 127.0.0.0/8 address reaches the server on
/// 127.0.0.1), so the server sees the request come from that address. The whole answer, headers included.
func rawHTTP(port: Int, from source: String, _ request: String) throws -> (status: Int, text: String) {
    let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard socketFD >= 0 else { throw HarnessError("socket: \(errno)") }
    defer { close(socketFD) }
    func address(_ host: String, _ port: Int) -> sockaddr_in {
        var value = sockaddr_in()
        value.sin_family = sa_family_t(AF_INET)
        value.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &value.sin_addr)
        return value
    }
    var local = address(source, 0)
    var remote = address("127.0.0.1", port)
    let bound = withUnsafePointer(to: &local) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socketFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    guard bound == 0 else { throw HarnessError("bind \(source): \(errno)") }
    let connected = withUnsafePointer(to: &remote) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socketFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    guard connected == 0 else { throw HarnessError("connect: \(errno)") }
    var timeout = timeval(tv_sec: 30, tv_usec: 0)
    setsockopt(socketFD, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    let bytes = Array(request.utf8)
    var sent = 0
    while sent < bytes.count {
        let count = bytes[sent...].withUnsafeBytes { send(socketFD, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard count > 0 else { throw HarnessError("send: \(errno)") }
        sent += count
    }
    var answer: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = recv(socketFD, &buffer, buffer.count, 0)
        if count <= 0 { break }
        answer += buffer[0..<count]
    }
    let text = String(decoding: answer, as: UTF8.self)
    let status = text.split(separator: " ", maxSplits: 2).dropFirst().first.flatMap { Int($0) } ?? 0
    return (status, text)
}
