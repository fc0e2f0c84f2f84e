import Testing
import WavelineIntegrations

/// One message per second per channel is counted from the end of the previous call: a call under way holds its
/// channel however long it takes, so two requests can never arrive less than the interval apart.
struct ChannelPacerTests {
    @Test func aChannelIsHeldWhileItsCallIsUnderWayAndFreedAnIntervalAfterItEnds() {
        let pacer = ChannelPacer(interval: 1)
        #expect(pacer.tryReserve("C1", now: 100))
        // A slow call: long past the interval from its start, the channel is still taken.
        #expect(!pacer.tryReserve("C1", now: 105))
        #expect(pacer.nextFree("C1", now: 105) == 106)
        // Other channels are not held by it.
        #expect(pacer.tryReserve("C2", now: 105))
        pacer.release("C1", now: 107)
        #expect(!pacer.tryReserve("C1", now: 107.99))
        #expect(pacer.nextFree("C1", now: 107.5) == 108)
        #expect(pacer.tryReserve("C1", now: 108))
        pacer.release("C1", now: 108.2)
        #expect(pacer.nextFree("C1", now: 108.2) == 109.2)
    }

    @Test func aRetryAfterKeepsTheChannelClosedLongerThanTheInterval() {
        let pacer = ChannelPacer(interval: 1)
        #expect(pacer.tryReserve("C1", now: 0))
        pacer.block("C1", until: 30)
        pacer.release("C1", now: 0.5)
        #expect(!pacer.tryReserve("C1", now: 29.9))
        #expect(pacer.nextFree("C1", now: 10) == 30)
        #expect(pacer.tryReserve("C1", now: 30))
    }
}
