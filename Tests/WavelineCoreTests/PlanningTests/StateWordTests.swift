import Testing
import WavelineCore

/// The words a person reads for counts and phase states, as pages and the CLI print them.
@Suite struct StateWordTests {
    @Test func aCountTakesItsNumbersForm() {
        #expect(counted(1, "node") == "1 node")
        #expect(counted(0, "node") == "0 nodes")
        #expect(counted(2, "node") == "2 nodes")
        #expect(counted(1, "batch", plural: "batches") == "1 batch")
        #expect(counted(3, "entry", plural: "entries") == "3 entries")
    }

    @Test func aPhaseLeftRunningSaysWhatItsDeploymentIs() {
        #expect(PhaseStatus.running.word(in: .running) == "running")
        #expect(PhaseStatus.running.word(in: .halted) == "halted")
        #expect(PhaseStatus.running.word(in: .paused) == "paused")
        #expect(PhaseStatus.running.word(in: .cancelled) == "stopped")
        #expect(PhaseStatus.gate.word(in: .paused) == "paused")
        #expect(PhaseStatus.gate.word(in: .running) == "gate")
        #expect(PhaseStatus.pending.word(in: .halted) == "pending")
        #expect(PhaseStatus.pending.word(in: .cancelled) == "not run")
        #expect(PhaseStatus.completed.word(in: .cancelled) == "completed")
        for status in [DeploymentStatus.halted, .paused, .cancelled, .failed, .succeeded, .rolledBack] {
            #expect(PhaseStatus.running.word(in: status) != "running", "a phase of a \(status.rawValue) deployment")
        }
    }
}
