import Testing
import WavelineCore

/// What an interrupted run becomes after a restart, over every stage, settlement and idempotence.
@Suite struct InterruptedRunsTests {
    static let settlements: [RunSettlement?] = [nil, .finished(exitCode: 0), .finished(exitCode: 141), .notFinished, .unknown("ssh: connection refused")]
    static let stages: [StepStage] = [.preCheck, .step, .postCheck, .rollback]

    @Test func aRunIsRecordedSucceededOnlyWhenAStepEndedWithZeroOnItsNode() {
        for stage in Self.stages {
            for settlement in Self.settlements {
                let verdict = InterruptedRuns.verdict(step: "install", stage: stage, settlement: settlement)
                let changesNode = stage == .step || stage == .rollback
                #expect((verdict.outcome == .succeeded) == (changesNode && settlement == .finished(exitCode: 0)), "\(stage) \(String(describing: settlement))")
                #expect((verdict.logLine != nil) == (verdict.outcome == .succeeded))
                #expect((verdict.reason == nil) == (verdict.outcome == .succeeded))
                #expect(verdict.mayHaveChangedNode == (changesNode && verdict.outcome == .interrupted), "\(stage) \(String(describing: settlement))")
                if case .unknown(let why)? = settlement, changesNode { #expect(verdict.unknown == why) } else { #expect(verdict.unknown == nil) }
            }
        }
        #expect(InterruptedRuns.verdict(step: "install", stage: .step, settlement: .finished(exitCode: 141)).reason
                == "the server stopped while it ran; it then ended with code 141, perhaps because its output had nowhere to go")
    }

    @Test func aNodeRunsAgainOnlyWhenNothingMayStillRunAndRepeatingIsSafe() {
        // Every pair of cut runs, for both idempotences.
        for first in Self.settlements {
            for second in Self.settlements {
                for stages in [(StepStage.preCheck, StepStage.step), (.step, .postCheck), (.rollback, .rollback)] {
                    let runs = [
                        InterruptedRuns.verdict(step: "a", stage: stages.0, settlement: first),
                        InterruptedRuns.verdict(step: "b", stage: stages.1, settlement: second),
                    ]
                    for idempotent in [false, true] {
                        let node = InterruptedRuns.node(runs: runs, lastStep: "b", idempotent: idempotent)
                        let unknown = runs.contains { $0.unknown != nil }
                        let changed = runs.contains { $0.mayHaveChangedNode }
                        switch node {
                        case .pending:
                            #expect(!unknown && (idempotent || !changed))
                        case .interrupted(let failure):
                            #expect(unknown || (changed && !idempotent))
                            #expect(failure.step == "b" && failure.stage == .step)
                            #expect(failure.reason.hasSuffix("so a person decides: retry or skip"))
                        }
                    }
                }
            }
        }
        #expect(InterruptedRuns.node(runs: [], lastStep: nil, idempotent: false) == .pending)
    }
}
