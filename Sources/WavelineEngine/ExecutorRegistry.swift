import WavelineCore
import WavelineExecutors

/// Which executor serves which kind of connection. The server wires in the real ones; tests may wire others.
public struct ExecutorRegistry: Sendable {
    public var local: any Executor

    public init(local: any Executor) { self.local = local }

    func executor(for node: Node) -> any Executor {
        switch node.connection {
        case .local: return local
        }
    }
}
