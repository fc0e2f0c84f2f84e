import Testing
import WavelineCore

/// The ticket rules of a requested deployment: which environments need what, and each refusal's words.
@Suite struct TicketAdmissionTests {
    static let prod = TicketPolicy(required: true, projects: ["CHG"], statuses: ["Approved"])
    static let staging = TicketPolicy(create: TicketCreation(project: "OPS", issueType: "Task"))
    static let qa = TicketPolicy(required: true, create: TicketCreation(project: "OPS", issueType: "Task"))
    static let dev = TicketPolicy()
    static let policies: [String: TicketPolicy] = ["prod": prod, "staging": staging, "qa": qa, "dev": dev]

    static func facts(_ key: String, project: String? = nil, status: String? = "Approved") -> TicketFacts {
        TicketFacts(key: key, issueID: "1", project: project ?? String(key.split(separator: "-")[0]), status: status,
                    url: "https://jira.example/browse/\(key)")
    }

    static func plan(_ ticket: String?, _ environments: [String]) -> Result<TicketAdmission.Plan, Refusal> {
        TicketAdmission.plan(ticket: ticket, environments: environments, policies: policies)
    }

    @Test func environmentsWithoutAPolicyAreNeverAskedAbout() {
        for ticket in [nil, "", "CHG-1", "not a key"] {
            #expect(Self.plan(ticket, ["lab"]) == .success(.none))
            #expect(Self.plan(ticket, []) == .success(.none))
            #expect(TicketAdmission.plan(ticket: ticket, environments: ["prod"], policies: [:]) == .success(.none))
        }
    }

    /// Every kind of policy against every kind of ticket given: the plan, or the refusal.
    @Test func eachPolicyAgainstEachTicketGiven() {
        let required = "a Jira ticket is required: environment prod requires one (give its key with --ticket, e.g. CHG-123)"
        let expectations: [(ticket: String?, environments: [String], outcome: Result<TicketAdmission.Plan, Refusal>)] = [
            // No ticket.
            (nil, ["prod"], .failure(Refusal(.invalid, required))),
            ("  ", ["prod"], .failure(Refusal(.invalid, required))),
            (nil, ["staging"], .success(.create(TicketCreation(project: "OPS", issueType: "Task"), environment: "staging"))),
            (nil, ["qa"], .success(.create(TicketCreation(project: "OPS", issueType: "Task"), environment: "qa"))),
            (nil, ["dev"], .success(.none)),
            (nil, ["lab", "dev"], .success(.none)),
            // A required environment Waveline does not make tickets for wins over one it does.
            (nil, ["staging", "prod"], .failure(Refusal(.invalid, required))),
            (nil, ["prod", "lab", "dr"], .failure(Refusal(.invalid, required))),
            (nil, ["dev", "staging"], .success(.create(TicketCreation(project: "OPS", issueType: "Task"), environment: "staging"))),
            // A ticket given: checked against every governed environment, by its upper-case key, never made.
            ("CHG-12", ["prod"], .success(.check(key: "CHG-12", environments: ["prod"]))),
            (" chg-12\n", ["lab", "prod", "staging"], .success(.check(key: "CHG-12", environments: ["prod", "staging"]))),
            ("OPS_X2-7", ["dev"], .success(.check(key: "OPS_X2-7", environments: ["dev"]))),
            ("OPS-7", ["staging"], .success(.check(key: "OPS-7", environments: ["staging"]))),
        ]
        for (ticket, environments, outcome) in expectations {
            #expect(Self.plan(ticket, environments) == outcome, "\(ticket ?? "nil") on \(environments)")
        }
        let both = TicketAdmission.plan(ticket: nil, environments: ["prod", "dr"], policies: ["prod": Self.prod, "dr": Self.prod])
        #expect(both == .failure(Refusal(.invalid, "a Jira ticket is required: environments prod, dr require one (give its key with --ticket, e.g. CHG-123)")))
    }

    @Test func onlyAJiraKeyReachesJira() {
        for valid in ["CHG-1", "chg-1", "A-0", "OPS_2-99"] { #expect(TicketAdmission.isIssueKey(valid), "\(valid)") }
        for invalid in ["", "CHG", "CHG-", "-1", "1-2", "CHG-1-2", "CHG 1", "CHG-1a", "../CHG-1", "CHG-1?x=1", "ÄBC-1", "CHG-1234567890123456789"] {
            #expect(!TicketAdmission.isIssueKey(invalid), "\(invalid)")
        }
        #expect(Self.plan("fix the thing", ["prod"])
                == .failure(Refusal(.invalid, "ticket 'fix the thing' is not a Jira issue key: expected a project key, '-' and a number (e.g. CHG-123)")))
    }

    @Test func aMissingTicketIsRefusedNamingTheKeyAndTheEnvironment() {
        #expect(TicketAdmission.judge(nil, asked: "CHG-404", environments: ["prod"], policies: Self.policies)
                == Refusal(.invalid, "Jira has no ticket CHG-404 (or Waveline's Jira user may not see it): environment prod needs an existing ticket; check the key"))
        #expect(TicketAdmission.judge(nil, asked: "X-1", environments: ["dev", "staging"], policies: Self.policies)?.message
                == "Jira has no ticket X-1 (or Waveline's Jira user may not see it): environments dev, staging need an existing ticket; check the key")
    }

    /// Project and status, each allowed or not, for one and for two environments.
    @Test func projectAndStatusAreJudgedPerEnvironment() {
        let cases: [(TicketFacts, [String], String?)] = [
            (Self.facts("CHG-1"), ["prod"], nil),
            (Self.facts("CHG-1", status: "approved"), ["prod"], nil),
            (Self.facts("OPS-7"), ["prod"], "ticket OPS-7 is in project OPS; environment prod accepts tickets of project CHG only"),
            (Self.facts("CHG-2", status: "Open"), ["prod"], "ticket CHG-2 is in status 'Open'; environment prod needs status 'Approved'"),
            (Self.facts("OPS-7", status: "Open"), ["prod"],
             "ticket OPS-7 is in project OPS; environment prod accepts tickets of project CHG only; ticket OPS-7 is in status 'Open'; environment prod needs status 'Approved'"),
            (Self.facts("CHG-3", status: nil), ["prod"], "ticket CHG-3 is in status ''; environment prod needs status 'Approved'"),
            // No projects or statuses: any existing ticket will do.
            (Self.facts("OPS-7", status: "Open"), ["dev", "staging", "qa"], nil),
            (Self.facts("OPS-7", status: "Open"), ["dev", "lab"], nil),
        ]
        for (found, environments, message) in cases {
            #expect(TicketAdmission.judge(found, asked: found.key, environments: environments, policies: Self.policies)?.message == message,
                    "\(found.key) \(found.status ?? "-") on \(environments)")
        }
        let twoPolicies: [String: TicketPolicy] = [
            "prod": Self.prod, "dr": TicketPolicy(projects: ["CHG", "DR"], statuses: ["Approved", "Scheduled"]),
        ]
        #expect(TicketAdmission.judge(Self.facts("DR-4", status: "Scheduled"), asked: "DR-4", environments: ["prod", "dr"], policies: twoPolicies)?.message
                == "ticket DR-4 is in project DR; environment prod accepts tickets of project CHG only; ticket DR-4 is in status 'Scheduled'; environment prod needs status 'Approved'")
        #expect(TicketAdmission.judge(Self.facts("OPS-4", status: "Done"), asked: "OPS-4", environments: ["dr"], policies: twoPolicies)?.message
                == "ticket OPS-4 is in project OPS; environment dr accepts tickets of projects CHG, DR only; ticket OPS-4 is in status 'Done'; environment dr needs one of the statuses 'Approved', 'Scheduled'")
    }

    @Test func aMovedTicketIsJudgedAndNamedByItsNewKey() {
        #expect(TicketAdmission.judge(Self.facts("CHG-9"), asked: "OLD-3", environments: ["prod"], policies: Self.policies) == nil)
        #expect(TicketAdmission.judge(Self.facts("OPS-7"), asked: "CHG-5", environments: ["prod"], policies: Self.policies)?.message
                == "ticket CHG-5 (now OPS-7 in Jira) is in project OPS; environment prod accepts tickets of project CHG only")
    }

    @Test func theMadeTicketsSummarySaysWhatWhereAndWhyInOneLine() {
        #expect(TicketAdmission.createdSummary(operation: "restart", selection: "env=staging product=kafka", reason: " disk full \nsecond line")
                == "restart on env=staging product=kafka: disk full")
        #expect(TicketAdmission.createdSummary(operation: "restart", selection: "env=staging", reason: String(repeating: "x", count: 400)).count == 255)
    }
}
