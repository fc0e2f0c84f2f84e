import ArgumentParser
import Foundation
import WavelineCore
import WavelineAPI

struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs",
        abstract: "Print a deployment's log lines, optionally one node's, optionally following new ones."
    )

    @Argument(help: "The deployment id.") var id: Int64
    @Option(name: .long, help: "Only this node's log.") var node: String?
    @Flag(name: [.short, .long], help: "Keep printing new lines until the deployment ends.") var follow = false
    @Flag(help: "One JSON object per line.") var json = false
    @OptionGroup var client: ClientOptions

    func run() async throws {
        let api = client.client
        let nodeQuery = node.map { "&node=\($0.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? $0)" } ?? ""
        let showNode = node == nil
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        func show(_ line: LogLineView) throws {
            if json {
                print(String(decoding: try encoder.encode(line), as: UTF8.self))
            } else {
                let prefix = showNode ? "\(line.node) " : ""
                let stream = line.stream == "stdout" ? "" : "[\(line.stream)] "
                // A node's output is shown, never obeyed: no escape sequence reaches the terminal.
                print(TerminalText.neutralized("\(StatusRenderer.time(line.time)) \(prefix)\(stream)\(line.text)"))
            }
        }
        if !follow {
            var cursor: Int64 = 0
            while true {
                let page = try await reporting { try await api.get("/api/v1/deployments/\(id)/logs?after=\(cursor)&limit=5000\(nodeQuery)", as: LogPage.self) }
                for line in page.lines { try show(line) }
                if page.lines.isEmpty || page.cursor == cursor { break }
                cursor = page.cursor
            }
            return
        }
        // Follow: server-sent events, resuming from the last line seen if the stream drops.
        var lastID: Int64? = nil
        let decoder = JSONDecoder()
        while true {
            let result = try await reporting {
                try await api.events("/api/v1/deployments/\(id)/logs/stream?after=0&format=batches\(nodeQuery)", lastEventID: lastID) { event, data in
                    if event == "lines", let batch = try? decoder.decode(LogBatchView.self, from: Data(data.utf8)) {
                        for line in batch.lines { try show(line) }
                        fflush(nil)
                    }
                    return true
                }
            }
            lastID = result.lastID ?? lastID
            if result.ended { return }
            try await Task.sleep(for: .milliseconds(300))
        }
    }
}
