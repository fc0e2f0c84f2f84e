#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Subprocess

/// Runs a configured process and reads its stdout and stderr concurrently until both end: what every
/// executor does, each with its own way of turning a stream into log lines.
enum StreamingProcess {
    /// `input`: written to the process's standard input, which is then closed; nil: no input at all.
    static func run(
        _ configuration: Configuration,
        input: String? = nil,
        started: @Sendable (pid_t) -> Void,
        read: @escaping @Sendable (SubprocessOutputSequence, OutputLine.Stream, pid_t) async -> Void
    ) async -> Swift.Result<TerminationStatus, any Error> {
        if let input {
            return await launch(configuration, input: .string(input), started: started, read: read)
        }
        return await launch(configuration, input: NoInput.none, started: started, read: read)
    }

    private static func launch(
        _ configuration: Configuration,
        input: some InputProtocol,
        started: @Sendable (pid_t) -> Void,
        read: @escaping @Sendable (SubprocessOutputSequence, OutputLine.Stream, pid_t) async -> Void
    ) async -> Swift.Result<TerminationStatus, any Error> {
        do {
            let execution = try await Subprocess.run(
                configuration, input: input, output: .sequence, error: .sequence
            ) { execution in
                let leader = execution.processIdentifier.value
                started(leader)
                await withTaskGroup(of: Void.self) { readers in
                    readers.addTask { await read(execution.standardError, .stderr, leader) }
                    await read(execution.standardOutput, .stdout, leader)
                    await readers.waitForAll()
                }
            }
            return .success(execution.terminationStatus)
        } catch {
            return .failure(error)
        }
    }
}
