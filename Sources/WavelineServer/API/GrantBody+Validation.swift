import HTTPTypes
import WavelineAPI
import WavelineCore

extension GrantBody {
    /// The grants of a request body, each environment and product checked to be a name (`field` names them).
    static func grants(_ bodies: [GrantBody], field: String = "grants") throws(APIError) -> [Grant] {
        for (index, body) in bodies.enumerated() {
            for (key, names) in [("environments", body.environments ?? []), ("products", body.products ?? [])] {
                if let bad = names.firstIndex(where: { !NameSyntax.isName($0) }) {
                    throw APIError(.badRequest, "field '\(field)[\(index)].\(key)[\(bad)]' must be \(NameSyntax.described), got '\(names[bad].prefix(80))'")
                }
            }
        }
        return bodies.map(\.grant)
    }
}
