import Foundation
import WavelineServer

/// The demo's Slack and Jira: credentials it makes up for its stand-ins, written to files of its data folder
/// (0600, in a 0700 folder), and the integrations.yaml that refers to them (never a value in the file), with a
/// ticket policy for prod so the demo's prod deployment has a ticket checked in the stand-in Jira.
enum DemoIntegrations {
    /// The demo's change ticket, approved in the stand-in Jira; the Kafka deployment names it.
    static let ticket = DemoStandIns.Ticket(key: "CHG-2041", summary: "Roll Kafka 3.8.0 out to every environment", status: "Approved")
    static let jiraEmail = "waveline-demo@example.invalid"
    static let channel = "#deploys"

    /// Fresh credentials, random on every start.
    static func makeCredentials() -> DemoStandIns.Credentials {
        DemoStandIns.Credentials(slackBotToken: "xoxb-demo-" + randomHex(), jiraEmail: jiraEmail, jiraAPIToken: "demo-" + randomHex())
    }

    /// Writes the secrets and `integrations.yaml` into `directory`; returns the file's path.
    static func write(into directory: String, credentials: DemoStandIns.Credentials, signingSecret: String,
                      standIns: DemoStandIns.Addresses, publicURL: String) throws -> String {
        let secrets = directory + "/secrets"
        try FileManager.default.createDirectory(atPath: secrets, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try writeSecret(credentials.slackBotToken, to: secrets + "/slack-bot-token")
        try writeSecret(signingSecret, to: secrets + "/slack-signing-secret")
        try writeSecret(credentials.jiraAPIToken, to: secrets + "/jira-api-token")
        let yaml = """
            # Written by `waveline demo`: Slack and Jira are local stand-ins (\(standIns.baseURL)); the credentials
            # are in secrets/ (0600), made up on every start.
            public_url: \(publicURL)
            slack:
              bot_token: file:\(secrets)/slack-bot-token
              signing_secret: file:\(secrets)/slack-signing-secret
              api_url: \(standIns.slackAPIURL)
              update_interval: 1s
              channels:
                default: "\(channel)"
            jira:
              base_url: \(standIns.jiraBaseURL)
              flavour: cloud
              email: \(credentials.jiraEmail)
              api_token: file:\(secrets)/jira-api-token
            tickets:
              prod:
                required: true
                projects: [CHG]
                statuses: [Approved]
                transitions: {start: Start deployment, success: Deployed, failure: Deployment failed}

            """
        let path = directory + "/integrations.yaml"
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Creates the file with mode 0600 from the start (never readable by others, even for a moment).
    static func writeSecret(_ value: String, to path: String) throws {
        unlink(path)
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw CLIError("cannot create \(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        let bytes = Array(value.utf8)
        let written = bytes.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) }
        guard written == bytes.count else { throw CLIError("cannot write \(path): \(String(cString: strerror(errno)))") }
    }

    static func randomHex() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<16).map { _ in String(format: "%02x", generator.next() as UInt8) }.joined()
    }

    /// A free loopback port, for `--port 0`: the demo needs its address before it listens (the links in what it
    /// sends Slack and Jira). Another program could take it in between; the server's bind then says so.
    static func freePort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw CLIError("cannot find a free port: socket: \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw CLIError("cannot find a free port: bind: \(String(cString: strerror(errno)))") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
