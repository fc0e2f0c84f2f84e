import WavelineAPI
import WavelineStore

/// Where pages and API routes read: the store's reader, handed to the server by the wiring (never through the
/// engine), and one read per thing shown. Each read applies the caller's access filter once; API routes and
/// pages share them. Only this folder and the wiring import the store.
public struct ReadSide: Sendable {
    let reader: any DeploymentReader
    /// The server runs with Slack and Jira (`serve --integrations`): deployment pages show their Notifications panel.
    public var integrationsConfigured: Bool

    public init(reader: any DeploymentReader, integrationsConfigured: Bool = false) {
        self.reader = reader
        self.integrationsConfigured = integrationsConfigured
    }

    var access: DeploymentAccess { DeploymentAccess(reader: reader) }
    var deploymentDetail: DeploymentDetailRead { DeploymentDetailRead(reader: reader) }
    var deploymentList: DeploymentListRead { DeploymentListRead(reader: reader) }
    var summaryCards: SummaryCardsRead { SummaryCardsRead(reader: reader) }
    var events: EventsRead { EventsRead(reader: reader) }
    var logs: LogRead { LogRead(reader: reader) }
    var nodeLog: NodeLogRead { NodeLogRead(reader: reader) }
    var inventory: InventoryRead { InventoryRead(reader: reader) }
    var audit: AuditRead { AuditRead(reader: reader) }
    var notifications: NotificationsRead { NotificationsRead(reader: reader) }

    /// Grows with every write but of log lines alone (see `WriteCounting`); nil when the store cannot tell.
    var writeCount: UInt64? { (reader as? any WriteCounting)?.writeCount }
}
