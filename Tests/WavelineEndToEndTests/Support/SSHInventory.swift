import WavelineTesting

/// An inventory of SSH nodes n1…nN in one cluster over zones a (odd) and b (even), node i being sshd test
/// host `firstHost + i - 1`. The cluster declares the shared ssh settings once; each node adds its port and remote directory
/// (merged over the cluster's, without repeating `type`), plus `extra[node]`, more `key: value` pairs.
func sshInventory(
    _ hosts: SSHTestHosts, remoteRoot: String, nodes count: Int, firstHost: Int = 1, cluster: String = "app-ssh",
    extra: [String: String] = [:]
) -> String {
    var text = """
        environments:
          - {name: test}
        products:
          - {name: app, owner: team}
        clusters:
          - name: \(cluster)
            product: app
            environment: test
            zones: [a, b]
            connection:
              type: ssh
              host: 127.0.0.1
              user: \(hosts.user)
              identity_file: \(hosts.clientKey)
              known_hosts_file: \(hosts.knownHosts)
              connect_timeout: 5s
            nodes:

        """
    for index in 1...count {
        let name = "n\(index)"
        let host = hosts.hosts[firstHost - 1 + index - 1]
        let more = extra[name].map { ", " + $0 } ?? ""
        text += "      - {name: \(name), zone: \(index % 2 == 1 ? "a" : "b"), connection: {port: \(host.port), directory: \"\(remoteRoot)/\(name)\"\(more)}}\n"
    }
    return text
}
