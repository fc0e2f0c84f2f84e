/// The permission table for people: `waveline roles` prints `text`, and `docs/roles.md` is `markdown`
/// (`waveline roles --markdown > docs/roles.md`; a test fails while the committed file differs).
public enum RolesDocument {
    public static var markdown: String {
        var lines = [
            "# Roles and permissions",
            "",
            "<!-- Generated from Permissions.table (Sources/WavelineCore/Access/Permissions.swift) by",
            "     `waveline roles --markdown > docs/roles.md`. Do not edit: a test fails when this file is stale. -->",
            "",
            "A person holds roles through **grants**: a role for a scope — every environment and product, or some",
            "environments and/or some products (`deployer` on kafka in dev). Roles are ordered; each may do everything",
            "the one before it may. An action on a deployment is allowed when, for every environment/product pair the",
            "deployment touches, one of the person's grants has the role (or a higher one) and covers that pair.",
            "Actions on the whole installation need a grant for everything.",
            "",
            "Four-eyes: on a protected environment, a deployment needs a ticket and an approval (`approve-deployment`) by",
            "someone other than its requester before it starts, and a manual gate needs the same (`approve-gate`).",
            "",
            "## Roles",
            "",
            "| Role | For |",
            "|---|---|",
        ]
        lines += Role.allCases.map { "| `\($0)` | \($0.purpose) |" }
        lines += ["", "## Actions", "", "| Action | " + Role.allCases.map { "`\($0)`" }.joined(separator: " | ") + " | Scope | What it does |",
                  "|---|" + Role.allCases.map { _ in ":-:|" }.joined() + "---|---|"]
        for rule in Permissions.table {
            let cells = Role.allCases.map { Permissions.allows(role: $0, action: rule.action) ? "yes" : "—" }
            lines.append("| `\(rule.action)` | " + cells.joined(separator: " | ") + " | \(rule.reach.label) | \(rule.explanation) |")
        }
        lines += slackAndJira
        return lines.joined(separator: "\n") + "\n"
    }

    /// Where the same table applies outside the web UI and the API: Slack's buttons, and Jira's ticket check.
    static let slackAndJira = [
        "",
        "## From Slack and Jira",
        "",
        "The buttons on Waveline's Slack messages (Approve, Pause, Resume, Abort) act as the Waveline user the Slack",
        "account is mapped to, with this table and four-eyes exactly as above: see [Slack](slack.md#who-may-press-what).",
        "Jira grants nothing: a ticket is checked when a deployment is requested, and the ticket policy can refuse the",
        "request; see [Jira](jira.md#the-ticket-check-when-a-deployment-is-requested).",
    ]

    public static var text: String {
        let header = ["action"] + Role.allCases.map(\.rawValue) + ["scope"]
        var rows = [header]
        for rule in Permissions.table {
            rows.append([rule.action.description]
                + Role.allCases.map { Permissions.allows(role: $0, action: rule.action) ? "yes" : "-" }
                + [rule.reach == .place ? "env/product" : rule.reach.label])
        }
        let widths = header.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        var lines = rows.map { row in
            row.enumerated().map { $0.element.padding(to: widths[$0.offset]) }.joined(separator: "  ")
                .trimmingTrailingSpaces()
        }
        lines.insert("", at: 0)
        lines.insert(contentsOf: Role.allCases.map { "\($0.rawValue.padding(to: 9)) \($0.purpose)" }, at: 0)
        lines.append("")
        lines.append("Roles are ordered; a grant gives its role for a scope (all, or some environments and/or products).")
        return lines.joined(separator: "\n") + "\n"
    }
}

extension String {
    fileprivate func padding(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }

    fileprivate func trimmingTrailingSpaces() -> String {
        var result = self
        while result.last == " " { result.removeLast() }
        return result
    }
}
