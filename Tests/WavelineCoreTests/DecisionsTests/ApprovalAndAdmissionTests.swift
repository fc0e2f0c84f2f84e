import Testing
import WavelineCore
import WavelineTesting

/// Four-eyes, approval expiry on a manual time, and how a request is admitted.
@Suite struct ApprovalAndAdmissionTests {
    @Test func anApprovalIsValidForExactlyItsValidityOnTheTimeGiven() {
        let time = ManualTime()
        let approvedAt = time.now()
        let validity = 3600.0
        #expect(!DeploymentApproval.isExpired(protected: ["prod"], approvedAt: approvedAt, now: time.now(), validity: validity))
        time.advance(by: validity)
        #expect(!DeploymentApproval.isExpired(protected: ["prod"], approvedAt: approvedAt, now: time.now(), validity: validity), "valid up to its validity")
        time.advance(by: 0.001)
        #expect(DeploymentApproval.isExpired(protected: ["prod"], approvedAt: approvedAt, now: time.now(), validity: validity))
        // No approval at all on a protected deployment is void; an unprotected one needs none.
        #expect(DeploymentApproval.isExpired(protected: ["prod"], approvedAt: nil, now: time.now(), validity: validity))
        #expect(!DeploymentApproval.isExpired(protected: [], approvedAt: nil, now: time.now(), validity: validity))
        #expect(!DeploymentApproval.isExpired(protected: [], approvedAt: approvedAt - 1e9, now: time.now(), validity: validity))
    }

    @Test func theRequesterNeverApprovesTheirOwnProtectedChange() {
        for approver in ["alice", "bob"] {
            for protected in [[], ["prod"], ["prod", "staging"]] {
                let refusal = DeploymentApproval.check(deployment: 2, approver: approver, requester: "alice", protected: protected)
                #expect((refusal == nil) == (approver != "alice"))
                #expect(FourEyes.allows(approver: approver, requester: "alice", protected: protected) == (protected.isEmpty || approver != "alice"))
            }
        }
        #expect(DeploymentApproval.check(deployment: 2, approver: "alice", requester: "alice", protected: ["prod", "staging"])?.message
                == "cannot approve deployment #2: alice requested it, and a change to the protected environment prod, staging needs a second person's approval (four-eyes)")
    }

    @Test func anApprovedDeploymentStartsOrQueuesBehindItsFirstBusyNode() {
        #expect(DeploymentApproval.start(approver: "bob", firstBusy: nil) == .init(status: .running, statusReason: nil))
        let queued = DeploymentApproval.start(approver: "bob", firstBusy: BusyNode(node: "n3", holder: 5))
        #expect(queued.status == .queued && !queued.claimsNodes)
        #expect(queued.statusReason == "approved by bob; queued behind deployment #5, which holds n3")
        #expect(DeploymentApproval.voided(approver: "bob", validity: 7200, requester: "alice", protected: ["prod"])
                == "the approval by bob expired (older than 2 h) before the deployment could start; waiting for approval by someone other than alice: prod is protected")
        #expect(DeploymentApproval.duration(90) == "90 s")
        #expect(DeploymentApproval.duration(120) == "2 min")
        #expect(DeploymentApproval.duration(5400) == "90 min")
    }

    @Test func aRequestIsAdmittedByTheTableOfProtectionTicketBusyNodesAndQueueing() {
        let busyLists: [[BusyNode]] = [[], [BusyNode(node: "n1", holder: 3)], (1...7).map { BusyNode(node: "n\($0)", holder: 3) }]
        for protected in [[], ["prod"]] {
            for ticket in [nil, " ", "CHG-1"] {
                for busy in busyLists {
                    for queue in [false, true] {
                        let result = DeploymentAdmission.admit(requester: "alice", protected: protected, ticket: ticket, busy: busy, queue: queue)
                        switch (protected.isEmpty, result) {
                        case (false, .success(let admission)):
                            #expect(ticket == "CHG-1" && admission.status == .pendingApproval && !admission.claimsNodes, "busy nodes do not matter before approval")
                        case (false, .failure(let refusal)):
                            #expect(ticket != "CHG-1" && refusal.kind == .invalid)
                            #expect(refusal.message == "a ticket is required: this deployment touches the protected environment prod (--ticket)")
                        case (true, .success(let admission)):
                            #expect(admission.status == (busy.isEmpty ? .running : .queued))
                            #expect(busy.isEmpty || queue)
                            #expect(admission.claimsNodes == busy.isEmpty)
                        case (true, .failure(let refusal)):
                            #expect(!busy.isEmpty && !queue && refusal.kind == .conflict)
                        }
                    }
                }
            }
        }
        if case .failure(let refusal) = DeploymentAdmission.admit(requester: "a", protected: [], ticket: nil, busy: busyLists[2], queue: false) {
            #expect(refusal.message == "node n1 (deployment #3), n2 (deployment #3), n3 (deployment #3), n4 (deployment #3), n5 (deployment #3) and 2 more is busy in another unfinished deployment; wait for it to finish, or queue this one (--queue)")
        }
        #expect((try? DeploymentAdmission.admit(requester: "a", protected: [], ticket: nil, busy: busyLists[1], queue: true).get())?.statusReason
                == "queued behind deployment #3, which holds n1")
        #expect(DeploymentAdmission.checkRequest(reason: " \n", requestedBy: "a")?.message == "a reason is required: say why this change is made (--reason)")
        #expect(DeploymentAdmission.checkRequest(reason: "why", requestedBy: "")?.message == "the requester is missing")
        #expect(DeploymentAdmission.checkRequest(reason: "why", requestedBy: "a") == nil)
    }
}
