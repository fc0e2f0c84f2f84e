import Foundation
import HTTPTypes
import HummingbirdTesting
import WavelineAPI
import WavelineServer
import WavelineTesting

/// A person in a browser, in-process: a user made by the admin with a password, signed in through
/// `/api/v1/session` (the same sessions the sign-in page makes), sending the session cookie and posting the
/// pages' forms as a browser does (`application/x-www-form-urlencoded`, the CSRF token as a field).
struct WebSession: Sendable {
    let browser: InProcessServer
    let csrf: String

    /// Makes `user` with `grants` (once) and signs in as them.
    static func signIn(_ server: InProcessServer, as user: String, _ grants: [GrantBody]) async throws -> WebSession {
        let password = "\(user)'s long password"
        let made = try await server.request(.post, "/api/v1/users", body: try JSONEncoder().encode(CreateUserBody(name: user, password: password, grants: grants)))
        guard made.status == .created || made.status == .conflict else {
            throw HarnessError("creating user \(user) answered \(made.status.code): \(made.text)")
        }
        let response = try await server.anonymous.request(.post, "/api/v1/session", body: try JSONEncoder().encode(SignInBody(user: user, password: password)))
        guard response.status == .ok, let setCookie = response.headers[.setCookie] else {
            throw HarnessError("signing in as \(user) answered \(response.status.code): \(response.text)")
        }
        let session = try JSONDecoder().decode(SessionView.self, from: response.data)
        guard let csrf = session.csrfToken else { throw HarnessError("a browser session without a CSRF token") }
        var browser = server.anonymous
        browser.cookie = String(setCookie.prefix { $0 != ";" })
        return WebSession(browser: browser, csrf: csrf)
    }

    func get(_ path: String, fragment: Bool = false) async throws -> TestResponse {
        var headers: HTTPFields = [:]
        if fragment { headers[HTTPField.Name("X-Waveline-Fragment")!] = "1" }
        return try await browser.request(.get, path, headers: headers)
    }

    /// Posts a form with the session's CSRF token (unless `csrf` is false), fields in order.
    func post(_ path: String, _ fields: [(String, String)], csrf: Bool = true) async throws -> TestResponse {
        let all = fields + (csrf ? [("csrf", self.csrf)] : [])
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let body = all.map { name, value in
            "\(name.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")=\(value.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")"
        }.joined(separator: "&")
        return try await browser.request(.post, path, body: Data(body.utf8), headers: [.contentType: "application/x-www-form-urlencoded"])
    }
}

extension TestResponse {
    /// The one-request message a redirect after a form leaves (the flash cookie), decoded; nil without one.
    var flash: String? {
        guard let cookie = headers[values: .setCookie].first(where: { $0.hasPrefix("waveline_flash=") }) else { return nil }
        let value = cookie.dropFirst("waveline_flash=".count).prefix { $0 != ";" }
        return String(value).removingPercentEncoding
    }
}
