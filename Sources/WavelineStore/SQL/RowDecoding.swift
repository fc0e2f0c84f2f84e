import SQLKit
import WavelineCore

/// Records read column by column with their concrete types, instead of through `SQLRowDecoder`: its keyed
/// containers, generic metadata and per-enum nested decoders were a fifth of the summary page's CPU. The
/// column names are the same `CodingKeys` the writes use.
extension SQLRow {
    func text(_ column: String) throws -> String { try decode(column: column, as: String.self) }
    func int(_ column: String) throws -> Int { try decode(column: column, as: Int.self) }
    func int64(_ column: String) throws -> Int64 { try decode(column: column, as: Int64.self) }
    func double(_ column: String) throws -> Double { try decode(column: column, as: Double.self) }

    func optionalText(_ column: String) throws -> String? { try decodeNil(column: column) ? nil : text(column) }
    func optionalInt(_ column: String) throws -> Int? { try decodeNil(column: column) ? nil : int(column) }
    func optionalInt64(_ column: String) throws -> Int64? { try decodeNil(column: column) ? nil : int64(column) }
    func optionalDouble(_ column: String) throws -> Double? { try decodeNil(column: column) ? nil : double(column) }

    /// A string enum; an unknown value fails the read as `Codable` would.
    func value<Value: RawRepresentable>(_ column: String, as type: Value.Type = Value.self) throws -> Value where Value.RawValue == String {
        let raw = try text(column)
        guard let value = Value(rawValue: raw) else {
            throw StoreError("column \(column) holds '\(raw)', which is not a \(Value.self)")
        }
        return value
    }
}

extension DeploymentRecord {
    init(row: any SQLRow) throws {
        id = try row.int64("id")
        operation = try row.text("operation")
        operationJson = try row.text("operation_json")
        strategy = try row.text("strategy")
        parametersJson = try row.text("parameters_json")
        selectionJson = try row.text("selection_json")
        environments = try row.text("environments")
        products = try row.text("products")
        requestedBy = try row.text("requested_by")
        reason = try row.text("reason")
        ticket = try row.optionalText("ticket")
        status = try row.value("status")
        statusReason = try row.optionalText("status_reason")
        currentPhase = try row.int("current_phase")
        failureBudget = try row.int("failure_budget")
        targetCount = try row.int("target_count")
        createdAt = try row.double("created_at")
        startedAt = try row.optionalDouble("started_at")
        finishedAt = try row.optionalDouble("finished_at")
        updatedAt = try row.double("updated_at")
        approvedBy = try row.optionalText("approved_by")
        approvedAt = try row.optionalDouble("approved_at")
        protectedEnvironments = try row.optionalText("protected_environments")
        sealedParameters = try row.optionalText("sealed_parameters")
        ticketIssueId = try row.optionalText("ticket_issue_id")
        ticketProject = try row.optionalText("ticket_project")
        ticketStatus = try row.optionalText("ticket_status")
        ticketURL = try row.optionalText("ticket_url")
        ticketRequested = try row.optionalText("ticket_requested")
        ticketCheckedAt = try row.optionalDouble("ticket_checked_at")
    }
}

extension PhaseRecord {
    init(row: any SQLRow) throws {
        deploymentId = try row.int64("deployment_id")
        phaseIndex = try row.int("phase_index")
        name = try row.text("name")
        kind = try row.value("kind")
        gateJson = try row.text("gate_json")
        parallelism = try row.int("parallelism")
        failureBudget = try row.optionalInt("failure_budget")
        batchesJson = try row.text("batches_json")
        status = try row.value("status")
        gateOpensAt = try row.optionalDouble("gate_opens_at")
        approvedBy = try row.optionalText("approved_by")
        startedAt = try row.optionalDouble("started_at")
        finishedAt = try row.optionalDouble("finished_at")
    }
}

extension LogLineRecord {
    init(row: any SQLRow) throws {
        id = try row.int64("id")
        deploymentId = try row.int64("deployment_id")
        targetIndex = try row.int("target_index")
        seq = try row.int("seq")
        time = try row.double("time")
        stream = try row.value("stream")
        step = try row.optionalText("step")
        text = try row.text("text")
    }
}

extension SQLQueryFetcher {
    /// Every row, read by `make`.
    func all<Record>(reading make: @escaping @Sendable (any SQLRow) throws -> Record) async throws -> [Record] {
        try await all().map(make)
    }

    func first<Record>(reading make: @escaping @Sendable (any SQLRow) throws -> Record) async throws -> Record? {
        try await first().map(make)
    }
}
