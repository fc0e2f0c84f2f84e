import WavelineCore
import WavelineStore

extension Engine {
    /// Where a request would act and the role its operation requires: what access control checks before
    /// anything is stored. Every environment/product pair of the selected nodes' clusters.
    public func requiredAccess(for request: DeploymentRequest) throws(EngineError) -> RequiredAccess {
        let operation = try workspace.operation(named: request.operation)
        let selected: [Node]
        do {
            selected = try workspace.inventory.select(request.selection)
        } catch {
            throw EngineError(.invalidRequest, error.description)
        }
        var places: [RequiredAccess.Place] = []
        for clusterName in unique(selected.map(\.cluster)) {
            guard let cluster = workspace.inventory.cluster(named: clusterName) else { continue }
            let place = RequiredAccess.Place(environment: cluster.environment, product: cluster.product)
            if !places.contains(place) { places.append(place) }
        }
        // The catalog loader accepts only known roles; an unknown one would need the highest.
        return RequiredAccess(places: places, requiredRole: Role(rawValue: operation.role) ?? .admin)
    }

    /// Checks the values off the actor: however long a check takes (bounded by `ValuePattern` and the value
    /// limit), other requests to the engine are not held up by it.
    private nonisolated static func checkedParameters(
        _ given: [String: String], for operation: WavelineCore.Operation
    ) async throws(EngineError) -> [String: String] {
        do {
            return try ParameterValues.resolve(given, for: operation)
        } catch {
            let messages = (error as? DiagnosticsError)?.diagnostics.map(\.message) ?? ["\(error)"]
            throw EngineError(.invalidRequest, messages.joined(separator: "; "))
        }
    }

    public func create(_ request: DeploymentRequest) async throws(EngineError) -> DeploymentRecord {
        await untilRecovered()
        // A checked ticket is known by the key Jira answered with (a moved ticket has a new one).
        var request = request
        if let checked = request.checkedTicket { request.ticket = checked.facts.key }
        if let refusal = DeploymentAdmission.checkRequest(reason: request.reason, requestedBy: request.requestedBy) {
            throw EngineError(refusal)
        }
        let operation = try workspace.operation(named: request.operation)
        let strategy = try workspace.strategy(named: request.strategy)
        let parameters = try await Self.checkedParameters(request.parameters, for: operation)
        for parameter in operation.parameters where parameter.sensitive {
            if let value = parameters[parameter.name], value.count < SecretReference.minimumLength {
                throw EngineError(.invalidRequest, "parameter '\(parameter.name)' is sensitive: its value must have at least \(SecretReference.minimumLength) characters, or it could not be masked in logs")
            }
        }
        // Sensitive values, and values equal to a secret, are stored sealed and shown as `********`.
        let hiddenParameters = HiddenParameters(parameters, of: operation, masker: masker)
        let selected: [Node]
        do {
            selected = try workspace.inventory.select(request.selection).map { node in
                var node = node
                node.variables = workspace.variables(for: node)
                node.secrets = workspace.secrets(for: node)
                return node
            }
        } catch {
            throw EngineError(.invalidRequest, error.description)
        }

        let protectedEnvironments = unique(selected.compactMap { workspace.inventory.cluster(named: $0.cluster)?.environment })
            .filter { workspace.inventory.environment(named: $0)?.protected == true }
        // One waiting for approval holds no node until approved: busy nodes are looked at then.
        if protectedEnvironments.isEmpty { await untilEndingHoldersLetGo(of: selected.map(\.name)) }
        // From here to the claim nothing suspends: two requests for one node cannot both find it free.
        let admission: DeploymentAdmission.Admission
        switch DeploymentAdmission.admit(
            requester: request.requestedBy, protected: protectedEnvironments, ticket: request.ticket,
            busy: claims.busy(among: selected.map(\.name)), queue: request.queue
        ) {
        case .success(let admitted): admission = admitted
        case .failure(let refusal): throw EngineError(refusal)
        }

        let plan = Planner.plan(nodes: selected, in: workspace.inventory, strategy: strategy)
        let now = time.now()
        let id = nextDeploymentID
        nextDeploymentID += 1
        let state = DeploymentState(plan: plan, status: admission.status)
        var deployment = DeploymentRecord(
            id: id, operation: operation.withNamesMasked(by: masker), strategy: strategy.name,
            parameters: hiddenParameters.shown, selection: request.selection,
            environments: unique(plan.targets.map(\.environment)), products: unique(plan.targets.map(\.product)),
            requestedBy: request.requestedBy, reason: request.reason, ticket: request.ticket, status: admission.status,
            failureBudget: plan.failureBudget, targetCount: plan.targets.count, createdAt: now
        )
        if !hiddenParameters.hidden.isEmpty {
            do {
                deployment.sealedParameters = try context.seal.seal(hiddenParameters.hidden, deployment: id)
            } catch {
                throw EngineError(.internalFailure, "could not seal the sensitive parameters: \(error)")
            }
        }
        deployment.statusReason = admission.statusReason
        if let checked = request.checkedTicket { deployment.checkedTicket = checked }
        if admission.needsApproval { deployment.protectedEnvironments = protectedEnvironments.joined(separator: ",") }
        let phases = state.phases.enumerated().map { PhaseRecord(deploymentId: id, index: $0.offset, state: $0.element) }
        let targets = plan.targets.enumerated().map { TargetRecord(deploymentId: id, index: $0.offset, target: $0.element) }
        var changes: [StoreChange] = [.saveDeployment(deployment)]
        changes += phases.map(StoreChange.savePhase)
        changes += targets.map(StoreChange.saveTarget)
        // The requester's reason ends the message: the store masks the server's part and keeps the caller's.
        var summary = "\(request.requestedBy) asked for \(operation.name) on \(counted(targets.count, "node")) (\(request.selection.summary)) with \(strategy.name)"
        if admission.needsApproval { summary += " (\(deployment.statusReason ?? ""))" }
        summary += ": \(request.reason)"
        changes.append(.appendEvent(EventRecord(
            deploymentId: id, time: now, actor: request.requestedBy, kind: "deployment.created", message: summary,
            origin: request.origin ?? Self.unknownOrigin, reason: request.reason, ticket: request.ticket
        )))
        if admission.claimsNodes { claims.claim(targets.map(\.node), for: id) }
        do {
            try await store.write(changes)
        } catch {
            if admission.claimsNodes { claims.release(id); await startQueued() }
            throw EngineError(.internalFailure, "could not store the deployment: \(error)")
        }
        switch admission.status {
        case .running:
            await launch(DeploymentDriverSeed(deployment: deployment, phases: phases, targets: targets))
        case .queued:
            queue.append(id)
            // The holder may have ended while this was being stored, before the id was in the queue.
            await startQueued()
        default:
            // Waiting for approval: holds nothing until approved.
            break
        }
        feed.publish(.deploymentChanged(id), deploymentID: id)
        return deployment
    }
}
