import Foundation
import WavelineCore

/// A button press as Slack sends it (`block_actions`), reduced to what Waveline acts on. The body is
/// `application/x-www-form-urlencoded` with one field, `payload`, holding JSON.
struct SlackBlockActions: Sendable, Hashable {
    /// The Slack account that pressed (`U…`) and its workspace (`T…`).
    var userId: String
    var teamId: String
    /// Where to answer the person; nil when the payload has none.
    var responseURL: String?
    var actionId: String
    /// The button's value: the deployment id as a decimal string, for Waveline's buttons.
    var value: String?

    /// Why a signed body is not a button press Waveline understands (answered 400, nothing done).
    struct Malformed: Error, Sendable, CustomStringConvertible {
        var description: String
    }

    /// The buttons Waveline puts on its messages, and what each asks of the deployment; `waveline_open` is a
    /// link (the browser opens the page) and asks nothing of the server.
    static let actions: [String: OperatorAction] = [
        "waveline_approve": .approve, "waveline_pause": .pause, "waveline_resume": .resume, "waveline_abort": .abort,
    ]
    static let openActionId = "waveline_open"

    static func parse(body: some Collection<UInt8>) throws(Malformed) -> SlackBlockActions {
        guard let text = String(validating: Array(body), as: UTF8.self) else { throw Malformed(description: "the body is not UTF-8") }
        let payloads = text.split(separator: "&").compactMap { field -> Substring? in
            let parts = field.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return parts.first == "payload" && parts.count == 2 ? parts[1] : nil
        }
        guard payloads.count == 1, let json = payloads[0].replacingOccurrences(of: "+", with: " ").removingPercentEncoding else {
            throw Malformed(description: "the body has no single form field 'payload'")
        }
        let payload: Payload
        do {
            payload = try JSONDecoder().decode(Payload.self, from: Data(json.utf8))
        } catch {
            throw Malformed(description: "the field 'payload' is not a Slack interaction payload")
        }
        guard payload.type == "block_actions" else { throw Malformed(description: "the payload's type is \(payload.type.prefix(40)), not block_actions") }
        guard let action = payload.actions?.first, payload.actions?.count == 1 else {
            throw Malformed(description: "the payload has no single action")
        }
        let teamId = payload.team?.id ?? payload.user.team_id ?? ""
        // Ids go into the audit trail and messages: Slack's own shape only.
        guard Self.isSlackID(payload.user.id), Self.isSlackID(teamId) else {
            throw Malformed(description: "the payload's user or team id is not a Slack id")
        }
        return SlackBlockActions(userId: payload.user.id, teamId: teamId, responseURL: payload.response_url, actionId: action.action_id, value: action.value)
    }

    /// Capital letters and digits, as Slack's ids are (`U0123ABCD`, `T0123ABCD`, `E…` for an enterprise).
    static func isSlackID(_ id: String) -> Bool {
        (1...32).contains(id.count) && id.allSatisfy { $0.isASCII && ($0.isUppercase || $0.isNumber) }
    }

    /// The fields read from the payload; everything else Slack sends is ignored.
    private struct Payload: Decodable {
        var type: String
        var user: User
        var team: Team?
        var response_url: String?
        var actions: [Action]?

        struct User: Decodable {
            var id: String
            var team_id: String?
        }

        struct Team: Decodable {
            var id: String
        }

        struct Action: Decodable {
            var action_id: String
            var value: String?
        }
    }
}
