import Foundation
import Testing
import WavelineCore

@Suite("Inventory files: ssh connections")
struct SSHConnectionLoaderTests {
    static let head = """
        environments:
          - {name: prod}
        products:
          - {name: kafka, owner: team}
        clusters:
          - name: kafka-prod
            product: kafka
            environment: prod
            zones: [a, b]

        """

    @Test func aNodeMergesItsKeysOverItsClustersDefault() throws {
        let dir = try FilesTestDirectory()
        let file = try dir.write("inv.yaml", Self.head + """
                connection:
                  type: ssh
                  user: kafka
                  identity_file: ~/.ssh/kafka
                  known_hosts_file: /etc/waveline/known_hosts
                  jump_host: ops@bastion:2222
                  connect_timeout: 1500ms
                  options: {ServerAliveInterval: "15", Compression: "yes"}
                  directory: /srv/kafka
                nodes:
                  - {name: kafka-prod-1, zone: a, connection: {host: 10.0.0.1}}
                  - name: kafka-prod-2
                    zone: b
                    connection: {host: 10.0.0.2, port: 2222, user: admin, options: {Compression: "no"}, accept_new_host_key: true}
                  - {name: kafka-prod-3, zone: a, connection: {type: local}}
            """)
        let inventory = try InventoryLoader.load(paths: [file])
        #expect(inventory.node(named: "kafka-prod-1")?.connection == .ssh(SSHConnection(
            host: "10.0.0.1", user: "kafka", identityFile: "~/.ssh/kafka", jumpHost: "ops@bastion:2222",
            knownHostsFile: "/etc/waveline/known_hosts", connectTimeout: .milliseconds(1500),
            options: ["ServerAliveInterval": "15", "Compression": "yes"], directory: "/srv/kafka")))
        #expect(inventory.node(named: "kafka-prod-2")?.connection == .ssh(SSHConnection(
            host: "10.0.0.2", port: 2222, user: "admin", identityFile: "~/.ssh/kafka", jumpHost: "ops@bastion:2222",
            knownHostsFile: "/etc/waveline/known_hosts", acceptNewHostKey: true, connectTimeout: .milliseconds(1500),
            options: ["ServerAliveInterval": "15", "Compression": "no"], directory: "/srv/kafka")))
        #expect(inventory.node(named: "kafka-prod-3")?.connection == .local(LocalConnection()))
    }

    @Test func aClusterHostIsInheritedAndANodeMayDeclareItAll() throws {
        let dir = try FilesTestDirectory()
        let file = try dir.write("inv.yaml", Self.head + """
                connection: {type: ssh, host: kafka.internal}
                nodes:
                  - {name: kafka-prod-1, zone: a}
                  - {name: kafka-prod-2, zone: b, connection: {type: ssh, host: other}}
            """)
        let inventory = try InventoryLoader.load(paths: [file])
        #expect(inventory.node(named: "kafka-prod-1")?.connection == .ssh(SSHConnection(host: "kafka.internal")))
        #expect(inventory.node(named: "kafka-prod-2")?.connection == .ssh(SSHConnection(host: "other")))
    }

    @Test func badSSHSettingsAreReportedWhereTheyAre() throws {
        let dir = try FilesTestDirectory()
        let file = try dir.write("inv.yaml", Self.head + """
                connection: {type: ssh, user: kafka}
                nodes:
                  - {name: n1, zone: a}
                  - name: n2
                    zone: b
                    connection:
                      host: -oProxyCommand=evil
                      port: 70000
                      hots: x
                      connect_timeout: 0s
                      options:
                        Server-Alive: "1"
                        StrictHostKeyChecking: "no"
                        ProxyCommand: "nc %h %p\\nrm -rf /"
                        LogLevel: [a]
                  - {name: n3, zone: a, connection: {host: "two words", identity_file: ""}}
            """)
        let found = thrownDiagnostics { try InventoryLoader.load(paths: [file]) }
        expectFileDiagnostic(found, file, 12, 9, "node 'n1' is reached over ssh but no 'host' is set")
        expectFileDiagnostic(found, file, 16, 17, "'host' must be a host name or address, without blanks and not starting with '-'")
        expectFileDiagnostic(found, file, 17, 17, exactly: "'port' must be between 1 and 65535, got '70000'")
        expectFileDiagnostic(found, file, 18, 11, "unknown key 'hots' in the connection of node 'n2'")
        expectFileDiagnostic(found, file, 18, 11, "did you mean 'host'?")
        expectFileDiagnostic(found, file, 19, 28, exactly: "'connect_timeout' must be greater than zero")
        expectFileDiagnostic(found, file, 21, 13, "ssh option 'Server-Alive' is not an ssh_config keyword")
        expectFileDiagnostic(found, file, 22, 13, "ssh option 'StrictHostKeyChecking' cannot be set in 'options': host keys are always verified")
        expectFileDiagnostic(found, file, 23, 27, "ssh option 'ProxyCommand' must have a value on one line")
        expectFileDiagnostic(found, file, 24, 23, "ssh option 'LogLevel' must have a single value, got a list")
        expectFileDiagnostic(found, file, 25, 48, "'host' must be a host name or address")
        expectFileDiagnostic(found, file, 25, 76, "'identity_file' must not be empty")
        #expect(found.count == 11, "\(renderDiagnostics(found))")
    }

    @Test func aNodeWithoutTypeNeedsAClusterConnection() throws {
        let dir = try FilesTestDirectory()
        let file = try dir.write("inv.yaml", Self.head + """
                nodes:
                  - {name: n1, zone: a, connection: {host: x}}
            """)
        let found = thrownDiagnostics { try InventoryLoader.load(paths: [file]) }
        expectFileDiagnostic(found, file, 11, 41, exactly: "the connection of node 'n1' is missing 'type'")
    }
}
