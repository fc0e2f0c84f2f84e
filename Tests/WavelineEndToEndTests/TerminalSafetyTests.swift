import Foundation
import Testing
import WavelineAPI
import WavelineCore
import WavelineServer
import WavelineTesting

/// A node's output printed by the CLI cannot drive the terminal: escape sequences, carriage returns and C1
/// controls are shown as visible notation, tabs stay.
struct TerminalSafetyTests {
    /// Sets the window title, clears the screen, moves the cursor up, overwrites the line (CR), uses the C1
    /// CSI form, then fails so `status` shows its last lines too.
    static let hostile = #"""
        name: hostile
        steps:
          - name: print
            shell: |
              printf 'title \033]0;pwned\007 clear \033[2J up \033[1A cr \r over\ttab csi \302\2332J end\n'
              printf 'bell \007 backspace \010 del \177\n' >&2
              exit 3
        """#

    @Test func logsAndStatusShowControlCharactersWithoutObeyingThem() async throws {
        let bench = try Workbench(inventory: oneZoneInventory(nodes: 1), operations: ["hostile": Self.hostile])
        defer { bench.remove() }
        try await bench.withServer { server in
            let id = try await server.deploy("hostile", selection: Selection(nodes: ["n1"])).deployment.id
            _ = try await server.waitUntilFinal(id)
            for arguments in [["logs", "\(id)"], ["logs", "\(id)", "--node", "n1"], ["status", "\(id)"]] {
                let run = try await server.cli(arguments)
                #expect(run.exitCode == 0, "\(run)")
                let controls = run.stdout.unicodeScalars.filter {
                    ($0.value < 0x20 && $0 != "\n" && $0 != "\t") || (0x7F...0x9F).contains($0.value)
                }
                #expect(controls.isEmpty, "\(arguments) printed control characters \(controls.map { String($0.value, radix: 16) })")
                if arguments[0] == "logs" {
                    #expect(run.stdout.contains("title ^[]0;pwned^G clear ^[[2J up ^[[1A cr ^M over\ttab csi <U+009B>2J end"), "\(run.stdout.debugDescription)")
                    #expect(run.stdout.contains("bell ^G backspace ^H del ^?"), "\(run.stdout.debugDescription)")
                }
            }
        }
    }
}
