import HTTPTypes
import Hummingbird
import Logging
import WavelineAPI
import WavelineCore
import WavelineEngine
import WavelineIdentity

/// `POST /slack/interactions`: Slack's Request URL for button presses. Outside sign-in, sessions and CSRF
/// (`CredentialFreeRoutes`): Slack proves itself by signing each request, and that is checked before anything
/// else. A press is acknowledged at once (Slack waits 3 seconds at most); the action then runs as the Waveline
/// user the Slack account is mapped to, through the one action path of the API and the web page (permission
/// table, state, four-eyes), and its outcome is told to that person alone through `response_url`.
struct SlackInteractionsController {
    typealias Context = WavelineRequestContext
    let verifier: SlackRequestVerifier
    let responder: SlackResponder
    let identities: IdentityService
    let actions: DeploymentActions
    let logger: Logger

    static let path = "/slack/interactions"
    static let timestampHeader = HTTPField.Name("X-Slack-Request-Timestamp")!
    static let signatureHeader = HTTPField.Name("X-Slack-Signature")!
    /// A press's payload carries the message it was on (up to 50 blocks): well under this.
    static let maximumBody = 256 * 1024

    func addRoutes(to router: Router<Context>) {
        router.post(RouterPath(Self.path), use: interact)
    }

    @Sendable func interact(_ request: Request, context: Context) async throws -> Response {
        let body = try await request.body.collect(upTo: Self.maximumBody)
        let verdict = verifier.verify(
            timestamp: request.headers[Self.timestampHeader], signature: request.headers[Self.signatureHeader], body: body.readableBytesView
        )
        switch verdict {
        case nil:
            break
        case .overloaded?:
            logger.warning("slack interactions: more signed requests within the window than the replay memory holds; refused")
            throw APIError(.serviceUnavailable, "too many Slack requests at once; try again shortly")
        case let refusal?:
            // The same answer whatever was wrong: the caller learns nothing about the secret or the window.
            logger.debug("slack interaction refused", metadata: ["why": "\(refusal)", "origin": "\(request.origin(context: context))"])
            throw APIError(.unauthorized, "the request is not signed by Slack")
        }
        let press: SlackBlockActions
        do {
            press = try SlackBlockActions.parse(body: body.readableBytesView)
        } catch {
            throw APIError(.badRequest, "not a Slack button press Waveline understands: \(error.description)")
        }
        // Acknowledged now; the action and the answer to the person follow, however long they take.
        Task { await act(on: press) }
        return Response(status: .ok)
    }

    /// Does what the press asks, as the mapped user, and tells that person the outcome (or why not).
    func act(on press: SlackBlockActions) async {
        if press.actionId == SlackBlockActions.openActionId { return }
        let answer = await outcome(of: press)
        await responder.respond(to: press.responseURL, text: answer)
    }

    private func outcome(of press: SlackBlockActions) async -> String {
        guard let action = SlackBlockActions.actions[press.actionId] else {
            return "Waveline does not know the button `\(press.actionId.prefix(60))`; nothing was done."
        }
        guard let value = press.value, value.count <= 18, value.allSatisfy(\.isASCII), let id = Int64(value), id > 0 else {
            return "The button does not name a deployment (its value is `\((press.value ?? "").prefix(40))`, not a deployment number); nothing was done."
        }
        let user: User?
        do {
            user = try await identities.user(slackUserId: press.userId)
        } catch {
            logger.error("slack interaction: reading users failed", metadata: ["error": "\(String(reflecting: error))"])
            return "Waveline could not check who you are just now; nothing was done. Try again."
        }
        guard let user else {
            return "Your Slack account (\(press.userId)) is not linked to a Waveline user, so Waveline cannot tell who you are; nothing was done. "
                + "Ask a Waveline admin to link it: `waveline users slack YOUR-WAVELINE-NAME \(press.userId)`."
        }
        let identity = Identity(name: user.name, grants: user.grants, credential: .slack(teamId: press.teamId, userId: press.userId))
        do {
            try await actions.perform(action, on: id, nodes: [], reason: "from Slack", as: identity, origin: Self.origin(press))
            return "\(Self.pastTense(action)) deployment #\(id), as \(user.name)."
        } catch let error as APIError {
            return "Not done: \(error.message)"
        } catch let error as EngineError {
            return "Not done: \(error.message)"
        } catch {
            logger.error("slack interaction failed", metadata: ["error": "\(String(reflecting: error))"])
            return "Not done: an internal error; the server log has the details."
        }
    }

    /// The audit trail's origin of an action from Slack, as an address is for the API and the web page: the
    /// workspace and the Slack account that pressed.
    static func origin(_ press: SlackBlockActions) -> String { "slack:\(press.teamId)/\(press.userId)" }

    static func pastTense(_ action: OperatorAction) -> String {
        switch action {
        case .approve: "Approved"
        case .pause: "Paused"
        case .resume: "Resumed"
        case .abort: "Aborted"
        case .retry: "Retried"
        case .skip: "Skipped"
        case .rollback: "Rolling back"
        }
    }
}
