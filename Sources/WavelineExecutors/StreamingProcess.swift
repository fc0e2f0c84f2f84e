#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Subprocess
import WavelineCore

/// Runs a configured process and reads its stdout and stderr concurrently until both end: what every
/// executor does, each with its own way of turning a stream into log lines.
///
/// Every descriptor it opens is closed on every path: the process reading its input, exiting before reading
/// it (the write fails with `EPIPE`), never starting, or being signalled. Subprocess's own `.string` input
/// drops its writer without closing it when the write fails, which is a fatal error that takes the whole
/// server down (an ssh refused at once did it); so the input is written here, through a writer that is always
/// finished.
enum StreamingProcess {
    /// `input`: written to the process's standard input, which is then closed; nil: no input at all.
    static func run(
        _ configuration: Configuration,
        input: String? = nil,
        started: @Sendable (pid_t) -> Void,
        read: @escaping @Sendable (SubprocessOutputSequence, OutputLine.Stream, pid_t) async -> Void
    ) async -> Swift.Result<TerminationStatus, any Error> {
        _ = ignoreBrokenPipes
        await ProcessSlots.shared.acquire()
        defer { ProcessSlots.shared.release() }
        do {
            if let input {
                let execution = try await Subprocess.run(
                    configuration, input: .inputWriter, output: .sequence, error: .sequence
                ) { execution in
                    let leader = execution.processIdentifier.value
                    started(leader)
                    let writer = execution.standardInputWriter
                    await withTaskGroup(of: Void.self) { tasks in
                        tasks.addTask { await write(input, to: writer) }
                        tasks.addTask { await read(execution.standardError, .stderr, leader) }
                        await read(execution.standardOutput, .stdout, leader)
                        await tasks.waitForAll()
                    }
                }
                return .success(execution.terminationStatus)
            }
            let execution = try await Subprocess.run(
                configuration, input: .none, output: .sequence, error: .sequence
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

    /// Writes `text`, then closes standard input whatever happened. A process that ends without reading all
    /// of it makes the write fail (`EPIPE`) or stop short (Subprocess cancels the write when the process
    /// ends): that is the process's business, seen in its exit status, not an error of the run.
    static func write(_ text: String, to writer: StandardInputWriter) async {
        _ = try? await writer.write(text)
        try? await writer.finish()
    }

    /// Writing to a pipe whose reader is gone raises SIGPIPE, which ends the server unless it is ignored; the
    /// write then fails with `EPIPE` instead. Children start with default signal actions again (Subprocess
    /// spawns with `POSIX_SPAWN_SETSIGDEF`), so steps still see SIGPIPE as usual.
    private static let ignoreBrokenPipes: Void = {
        _ = signal(SIGPIPE, SIG_IGN)
    }()
}
