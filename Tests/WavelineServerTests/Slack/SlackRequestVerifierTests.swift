import Foundation
import Testing
import WavelineServer
import WavelineTesting

/// Slack's request signing, checked alone: the documented test vector, the five-minute window on a manual time,
/// replays, and a replay memory that stays bounded whatever arrives.
@Suite struct SlackRequestVerifierTests {
    /// Slack's documented example (also used by Slack's Python SDK tests).
    static let secret = "8f742231b10e8888abcd99yyyzzz85a5"
    static let timestamp = "1531420618"
    static let body = Array("token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c".utf8)
    static let signature = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"

    @Test func slacksDocumentedExampleIsAcceptedOnceAndAnythingElseRefused() {
        let time = ManualTime(1531420618)
        let verifier = SlackRequestVerifier(signingSecret: Self.secret, time: time)
        #expect(SlackRequestVerifier.signature(secret: Self.secret, timestamp: Self.timestamp, body: Self.body) == Self.signature)

        // One byte of the body changed, another secret, a changed signature: wrong.
        var changed = Self.body
        changed[0] = UInt8(ascii: "T")
        #expect(verifier.verify(timestamp: Self.timestamp, signature: Self.signature, body: changed) == .wrongSignature)
        let other = SlackRequestVerifier(signingSecret: "another secret", time: time)
        #expect(other.verify(timestamp: Self.timestamp, signature: Self.signature, body: Self.body) == .wrongSignature)
        let flipped = String(Self.signature.dropLast()) + "0"
        #expect(verifier.verify(timestamp: Self.timestamp, signature: flipped, body: Self.body) == .wrongSignature)
        // The timestamp is part of what is signed.
        #expect(verifier.verify(timestamp: "1531420619", signature: Self.signature, body: Self.body) == .wrongSignature)

        // Missing or malformed headers.
        #expect(verifier.verify(timestamp: nil, signature: Self.signature, body: Self.body) == .missingHeaders)
        #expect(verifier.verify(timestamp: Self.timestamp, signature: nil, body: Self.body) == .missingHeaders)
        for timestamp in ["", "-1531420618", " 1531420618", "1531420618.0", "1e9", "99999999999999999999"] {
            #expect(verifier.verify(timestamp: timestamp, signature: Self.signature, body: Self.body) == .malformedTimestamp, "\(timestamp)")
        }
        for signature in ["", "v0=", "v1=" + Self.signature.dropFirst(3), "v0=zz" + Self.signature.dropFirst(5), String(Self.signature.dropLast(2))] {
            #expect(verifier.verify(timestamp: Self.timestamp, signature: signature, body: Self.body) == .malformedSignature, "\(signature)")
        }
        #expect(verifier.rememberedCount == 0)

        // Right: accepted, once.
        #expect(verifier.verify(timestamp: Self.timestamp, signature: Self.signature, body: Self.body) == nil)
        #expect(verifier.verify(timestamp: Self.timestamp, signature: Self.signature, body: Self.body) == .replayed)
        #expect(verifier.verify(timestamp: Self.timestamp, signature: Self.signature.uppercased().replacingOccurrences(of: "V0=", with: "v0="), body: Self.body) == .replayed)
        time.advance(by: 300)
        #expect(verifier.verify(timestamp: Self.timestamp, signature: Self.signature, body: Self.body) == .replayed)
        // Once it is too old to pass the window it is refused as stale, replay memory or not.
        time.advance(by: 1)
        #expect(verifier.verify(timestamp: Self.timestamp, signature: Self.signature, body: Self.body) == .stale)
    }

    @Test func theWindowIsFiveMinutesEitherWay() {
        let time = ManualTime(1_800_000_000)
        let verifier = SlackRequestVerifier(signingSecret: "s3cret", time: time)
        func check(_ offset: Int) -> SlackRequestVerifier.Refusal? {
            let timestamp = String(1_800_000_000 + offset)
            let body = Array("payload=%7B%7D&n=\(offset)".utf8)
            return verifier.verify(timestamp: timestamp, signature: SlackRequestVerifier.signature(secret: "s3cret", timestamp: timestamp, body: body), body: body)
        }
        #expect(check(-301) == .stale)
        #expect(check(301) == .stale)
        #expect(check(-300) == nil)
        #expect(check(300) == nil)
        #expect(check(0) == nil)
    }

    @Test func aFloodOfRequestsNeverGrowsTheReplayMemoryBeyondItsBound() {
        let time = ManualTime(1_800_000_000)
        let verifier = SlackRequestVerifier(signingSecret: "s3cret", time: time, replayCapacity: 100)
        let timestamp = "1800000000"
        // Bad signatures take no place at all.
        for index in 0..<10_000 {
            let body = Array("payload=\(index)".utf8)
            let forged = SlackRequestVerifier.signature(secret: "guess \(index)", timestamp: timestamp, body: body)
            #expect(verifier.verify(timestamp: timestamp, signature: forged, body: body) == .wrongSignature)
        }
        #expect(verifier.rememberedCount == 0)

        // Good ones fill it up to its bound; beyond, they are refused rather than a live signature forgotten.
        func signed(_ index: Int, at timestamp: String) -> SlackRequestVerifier.Refusal? {
            let body = Array("payload=\(index)".utf8)
            return verifier.verify(timestamp: timestamp, signature: SlackRequestVerifier.signature(secret: "s3cret", timestamp: timestamp, body: body), body: body)
        }
        for index in 0..<100 { #expect(signed(index, at: timestamp) == nil) }
        #expect(signed(100, at: timestamp) == .overloaded)
        #expect(signed(0, at: timestamp) == .replayed)
        #expect(verifier.rememberedCount == 100)

        // Once they leave the window they are forgotten, and room is made again.
        time.advance(by: 301)
        #expect(signed(101, at: "1800000301") == nil)
        #expect(verifier.rememberedCount == 1)
    }
}
