import WavelineCore

/// What the server needs to take Slack's button presses (`POST /slack/interactions`): the app's signing secret
/// (the value, resolved by whoever reads the configuration), where "now" comes from for the five-minute window,
/// and where answers to the person (`response_url`) may be sent.
public struct SlackInteractions: Sendable {
    /// The Slack app's signing secret ("Basic Information" → "App Credentials").
    public var signingSecret: String
    /// "Now" for the request timestamp's window; tests move it by hand.
    public var time: any TimeSource
    /// The only URL prefixes a payload's `response_url` may start with: Slack's own in production; a local
    /// stand-in for tests and the demo. Anything else is never posted to, so a signed payload cannot make the
    /// server send requests elsewhere. Each prefix ends with `/` after the host (or its port).
    public var responseURLPrefixes: [String]
    /// How far a request's timestamp may be from now, either way (Slack's rule: five minutes).
    public var maximumAge: Double
    /// Signatures remembered to refuse a replay within `maximumAge`; more at once are refused (503) rather
    /// than forgotten early.
    public var replayCapacity: Int

    public static let slackResponseURLPrefix = "https://hooks.slack.com/"

    public init(
        signingSecret: String, time: any TimeSource = .system, responseURLPrefixes: [String] = [Self.slackResponseURLPrefix],
        maximumAge: Double = 300, replayCapacity: Int = 10_000
    ) {
        self.signingSecret = signingSecret
        self.time = time
        self.responseURLPrefixes = responseURLPrefixes
        self.maximumAge = maximumAge
        self.replayCapacity = replayCapacity
    }
}
