import WavelineCore
import WavelineExecutors

/// Which executor serves which kind of connection. The server wires in the real ones; tests may wire others.
public struct ExecutorRegistry: Sendable {
    public var local: any Executor
    public var ssh: any Executor

    /// - Parameter ssh: serves `.ssh` nodes; without one, their commands fail to start with a clear reason.
    public init(local: any Executor, ssh: (any Executor)? = nil) {
        self.local = local
        self.ssh = ssh ?? UnavailableExecutor(reason: "this server has no SSH executor")
    }

    func executor(for node: Node) -> any Executor {
        switch node.connection {
        case .local: return local
        case .ssh: return ssh
        }
    }

    /// A deployment is over with these nodes: executors may let go of what they keep per node (SSH master
    /// connections). Called when a deployment's driver ends.
    func release(nodes: [Node]) async {
        await local.release(nodes: nodes.filter { if case .local = $0.connection { true } else { false } })
        await ssh.release(nodes: nodes.filter { if case .ssh = $0.connection { true } else { false } })
    }

    /// The server is stopping: executors close whatever they still hold open.
    public func shutdown() async {
        await local.shutdown()
        await ssh.shutdown()
    }
}

/// Refuses every command with the same reason: stands in for an executor a server was not given.
struct UnavailableExecutor: Executor {
    let reason: String

    func run(
        _ command: ResolvedCommand, on node: Node, timeout: Duration, step: StepMark?,
        output: @escaping @Sendable ([OutputLine]) async -> Void
    ) async -> CommandResult {
        CommandResult(outcome: .couldNotStart(reason), duration: .zero)
    }

    /// Nothing ran through it, so nothing is left.
    func settle(_ step: StepMark, on node: Node) async -> StepSettlement { .notFinished }
}
