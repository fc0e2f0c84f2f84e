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
        expectFileDiagnostic(found, file, 16, 17, "'host' must be a host name (letters, digits, '-', '_' and '.'), an IPv4 address or an IPv6 address, got '-oProxyCommand=evil'")
        expectFileDiagnostic(found, file, 17, 17, exactly: "'port' must be between 1 and 65535, got '70000'")
        expectFileDiagnostic(found, file, 18, 11, "unknown key 'hots' in the connection of node 'n2'")
        expectFileDiagnostic(found, file, 18, 11, "did you mean 'host'?")
        expectFileDiagnostic(found, file, 19, 28, exactly: "'connect_timeout' must be greater than zero")
        expectFileDiagnostic(found, file, 21, 13, "ssh option 'Server-Alive' is not an ssh_config keyword")
        expectFileDiagnostic(found, file, 22, 13, "ssh option 'StrictHostKeyChecking' cannot be set in 'options': host keys are always verified")
        expectFileDiagnostic(found, file, 23, 13, "ssh option 'ProxyCommand' cannot be set in 'options': it runs a local command")
        expectFileDiagnostic(found, file, 24, 23, "ssh option 'LogLevel' must have a single value, got a list")
        expectFileDiagnostic(found, file, 25, 48, "'host' must be a host name")
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

    /// One node whose connection sets `key: value` (and a host), on line 11 with the value at `valueColumn(key)`.
    static func oneNode(_ key: String, _ value: String, cluster: String = "") -> String {
        head + cluster + """
                nodes:
                  - {name: n1, zone: a, connection: {type: ssh, \(key == "host" ? "" : "host: h, ")\(key): '\(value)'}}
            """
    }

    static func valueColumn(_ key: String) -> Int { (key == "host" ? 53 : 62) + key.count + 2 }

    @Test(arguments: [
        ("host", "nojump.invalid,-oProxyCommand=touch /tmp/x"),
        ("host", "$(touch /tmp/x)"),
        ("host", "`id`"),
        ("host", "a b"),
        ("host", "-oProxyCommand=x"),
        ("host", "web;reboot"),
        ("host", "[::1"),
        ("host", "1::2::3"),
        ("host", "ex..ample"),
        ("host", "-web"),
        ("host", "ssh://web"),
        ("user", "-oProxyCommand=x"),
        ("user", "$(id)"),
        ("user", "root@evil"),
        ("user", "a b"),
        ("jump_host", "nojump.invalid,-oProxyCommand=touch /tmp/x"),
        ("jump_host", "u@-oProxyCommand=x"),
        ("jump_host", "$(touch /tmp/x)"),
        ("jump_host", "-oProxyCommand=x"),
        ("jump_host", "ops@bastion:99999"),
        ("jump_host", "ops@bastion:"),
        ("jump_host", "ssh://bastion"),
        ("jump_host", "fe80::1:22"),
        ("jump_host", "a@b@c"),
        ("jump_host", "bastion,"),
        ("jump_host", "-u@bastion"),
    ])
    func aValueThatSSHOrAShellCouldReadAsMoreIsRefusedWhereItIs(key: String, value: String) throws {
        let dir = try FilesTestDirectory()
        let file = try dir.write("inv.yaml", Self.oneNode(key, value))
        let found = thrownDiagnostics { try InventoryLoader.load(paths: [file]) }
        expectFileDiagnostic(found, file, 11, Self.valueColumn(key), "'\(key)' must be ")
        #expect(found.count == 1, "\(renderDiagnostics(found))")
    }

    @Test(arguments: [
        ("host", "10.0.0.1", "10.0.0.1"),
        ("host", "::1", "::1"),
        ("host", "[fe80::1]", "fe80::1"),
        ("host", "::ffff:10.0.0.1", "::ffff:10.0.0.1"),
        ("host", "web_1.eu-west.example.com", "web_1.eu-west.example.com"),
        ("user", "deploy.bot-1", "deploy.bot-1"),
        ("jump_host", "ops@bastion:2222,[::1]:22,b2", "ops@bastion:2222,[::1]:22,b2"),
    ])
    func everyUsualFormOfAnAddressIsAccepted(key: String, value: String, kept: String) throws {
        let dir = try FilesTestDirectory()
        let file = try dir.write("inv.yaml", Self.oneNode(key, value))
        let inventory = try InventoryLoader.load(paths: [file])
        guard case .ssh(let ssh)? = inventory.node(named: "n1")?.connection else {
            Issue.record("not an ssh connection")
            return
        }
        let read = key == "host" ? ssh.host : key == "user" ? ssh.user : ssh.jumpHost
        #expect(read == kept)
    }

    @Test(arguments: [
        ("ProxyCommand", "nc %h %p", "it runs a local command"),
        ("LocalCommand", "touch /tmp/x", "it runs a local command"),
        ("PermitLocalCommand", "yes", "it lets ssh run local commands"),
        ("KnownHostsCommand", "/bin/true", "it runs a local command"),
        ("Match", "exec true", "'Match exec' runs a local command"),
        ("Include", "/tmp/evil.conf", "it reads other configuration"),
        ("PKCS11Provider", "/tmp/evil.so", "it loads a local library"),
        ("ForwardAgent", "yes", "it hands this machine's keys"),
        ("ProxyJump", "evil", "use 'jump_host'"),
        ("StrictHostKeyChecking", "accept-new", "host keys are always verified"),
        ("UserKnownHostsFile", "/dev/null", "use 'known_hosts_file'"),
        ("GlobalKnownHostsFile", "/dev/null", "host keys are verified against 'known_hosts_file' only"),
        ("HostName", "evil", "use 'host'"),
        ("SetEnv", "A", "only options that neither run local commands"),
        ("Tunnel", "yes", "only options that neither run local commands"),
        ("proxycommand", "x", "it runs a local command"),
    ])
    func anOptionThatRunsLocalCodeOrWeakensTrustIsRefused(option: String, value: String, reason: String) throws {
        let dir = try FilesTestDirectory()
        let file = try dir.write("inv.yaml", Self.head + """
                connection:
                  type: ssh
                  options: {\(option): '\(value)'}
                nodes:
                  - {name: n1, zone: a, connection: {host: h}}
            """)
        let found = thrownDiagnostics { try InventoryLoader.load(paths: [file]) }
        expectFileDiagnostic(found, file, 12, 17, "ssh option '\(option)' cannot be set in 'options': \(reason)")
        #expect(found.count == 1, "\(renderDiagnostics(found))")
    }

    @Test(arguments: ["5 ProxyCommand=x", "5\\tx", "%h", "${HOME}", "a=b", "'x'", "5\\u001b[2J"])
    func anOptionValueIsOneWordThatSSHDoesNotExpand(value: String) throws {
        let dir = try FilesTestDirectory()
        let file = try dir.write("inv.yaml", Self.head + """
                connection:
                  type: ssh
                  options: {ServerAliveInterval: "\(value)"}
                nodes:
                  - {name: n1, zone: a, connection: {host: h}}
            """)
        let found = thrownDiagnostics { try InventoryLoader.load(paths: [file]) }
        expectFileDiagnostic(found, file, 12, 38, "ssh option 'ServerAliveInterval' must have one word")
    }

    @Test func pathsHaveNoLineBreaksAndKnownHostsAreKept() throws {
        let dir = try FilesTestDirectory()
        let file = try dir.write("inv.yaml", Self.head + """
                connection: {type: ssh, known_hosts_file: /dev/null, accept_new_host_key: true}
                nodes:
                  - {name: n1, zone: a, connection: {host: h, directory: "/srv\\nrm -rf /"}}
                  - {name: n2, zone: a, connection: {host: h, identity_file: "/k\\u001b[2J"}}
                  - {name: n3, zone: a, connection: {host: h, known_hosts_file: "/a /dev/null"}}
            """)
        let found = thrownDiagnostics { try InventoryLoader.load(paths: [file]) }
        expectFileDiagnostic(found, file, 10, 47, "'known_hosts_file' must name one file that keeps host keys, got '/dev/null'")
        expectFileDiagnostic(found, file, 12, 62, "'directory' must not contain control characters")
        expectFileDiagnostic(found, file, 13, 66, "'identity_file' must not contain control characters")
        expectFileDiagnostic(found, file, 14, 69, "'known_hosts_file' must name one file")
    }

    @Test func labelAndVariableNamesThatAreNotNamesAreRefusedNotRewritten() throws {
        let dir = try FilesTestDirectory()
        let file = try dir.write("inv.yaml", Self.head + """
                nodes:
                  - name: n1
                    zone: a
                    labels: {a-b: one, a_b: two, Role: x, role: y}
                    variables: {WAVELINE_NODE: other, Waveline_Param_X: y, ok: z}
            """)
        let found = thrownDiagnostics { try InventoryLoader.load(paths: [file]) }
        expectFileDiagnostic(found, file, 13, 18, "label name 'a-b' is not valid")
        expectFileDiagnostic(found, file, 13, 38, "label name 'Role' is not valid")
        expectFileDiagnostic(found, file, 14, 21, "variable name 'WAVELINE_NODE' is reserved")
        expectFileDiagnostic(found, file, 14, 43, "variable name 'Waveline_Param_X' is reserved")
        #expect(found.count == 4, "\(renderDiagnostics(found))")
    }
}
