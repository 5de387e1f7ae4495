import ControllerCore
import Testing

/// Skip rules, pass order, recovery, and the whole dead-BMC story in virtual passes.
@Suite struct PowerSyncPassTests {
    let config = PowerSyncConfiguration()

    @Test(arguments: ProvisionState.allCases)
    func exactlyIronicsExcludedStatesAreSkipped(state: ProvisionState) {
        let excluded: Set<ProvisionState> = [.waitCallBack, .cleanWait, .enroll, .adoptFailed]
        let reason = PowerSync.shouldRead(.fixture(provision: state))
        #expect(reason == (excluded.contains(state) ? .excludedProvisionState(state) : nil))
    }

    @Test func maintenanceAndActionsInProgressAreSkippedKeepingTheCount() throws {
        let resting = Node.fixture(maintenance: true)
        #expect(
            PowerSync.decide(node: resting, reading: .failed("x"), failureCount: 2, configuration: config)
                == PowerSyncOutcome(decision: .skip(.maintenance), failureCount: 2)
        )
        var busy = Node.fixture()
        try busy.beginPowerAction(.powerOff, at: .epoch)
        #expect(
            PowerSync.decide(node: busy, reading: .state(.powerOff), failureCount: 1, configuration: config)
                == PowerSyncOutcome(decision: .skip(.actionInProgress), failureCount: 1)
        )
    }

    @Test func anUnconfiguredNewNodeIsSkippedQuietly() {
        var node = Node.fixture(power: nil, provision: .manageable)
        node.driverInfo.ipmiAddress = ""
        #expect(
            PowerSync.decide(node: node, reading: .failed("x"), failureCount: 2, configuration: config)
                == PowerSyncOutcome(decision: .skip(.invalidDriverInfo), failureCount: 0)
        )
    }

    @Test func aPassPutsFailingNodesFirstAndListsSkips() {
        let nodes = [
            Node.fixture(id: "a"), Node.fixture(id: "b"), Node.fixture(id: "c", maintenance: true),
            Node.fixture(id: "d", provision: .cleanWait), Node.fixture(id: "e"), Node.fixture(id: "f"),
        ]
        let plan = PowerSyncPassPlan.sync(nodes: nodes, failureCounts: ["e": 1, "f": 3, "c": 9])
        #expect(plan.order == ["f", "e", "a", "b"])
        #expect(
            plan.skipped == [
                SkippedNode(nodeID: "c", reason: .maintenance),
                SkippedNode(nodeID: "d", reason: .excludedProvisionState(.cleanWait)),
            ]
        )
    }

    @Test func aRecoveryPassVisitsOnlyPowerFailureNodes() {
        let nodes = [
            Node.fixture(id: "ok"), Node.fixture(id: "admin", maintenance: true),
            Node.fixture(id: "dead", maintenance: true, fault: .powerFailure),
            Node.fixture(id: "new", provision: .enroll, maintenance: true, fault: .powerFailure),
        ]
        let plan = PowerSyncPassPlan.recovery(nodes: nodes)
        #expect(plan.order == ["dead"])
        #expect(plan.skipped.map(\.reason) == [.notPowerFailure, .notPowerFailure, .excludedProvisionState(.enroll)])
    }

    @Test func passesNeverOverlap() {
        let start = Timestamp(sinceEpoch: .seconds(100))
        #expect(
            PowerSyncPassPlan.nextPassStart(
                lastStarted: start,
                lastFinished: start + .seconds(5),
                interval: .seconds(120)
            )
                == start + .seconds(120)
        )
        #expect(
            PowerSyncPassPlan.nextPassStart(
                lastStarted: start,
                lastFinished: start + .seconds(130),
                interval: .seconds(120)
            )
                == start + .seconds(130),
            "an overrun is followed at once"
        )
    }

    @Test func recoveryStaysPutWhileTheBMCIsSilent() {
        let node = Node.fixture(maintenance: true, fault: .powerFailure)
        #expect(PowerRecovery.decide(node: node, reading: .failed("timeout")) == .stayInMaintenance(reason: "timeout"))
        #expect(PowerRecovery.decide(node: node, reading: .state(.error)) != .recover(.error))
        var broken = node
        broken.driverInfo.ipmiAddress = ""
        guard case .stayInMaintenance = PowerRecovery.decide(node: broken, reading: .state(.powerOn)) else {
            Issue.record("driver_info is validated again before recovering")
            return
        }
    }

    @Test func adminMaintenanceIsNeverRecovered() {
        var node = Node.fixture(maintenance: true)
        node.maintenanceReason = "swapping a DIMM"
        #expect(PowerRecovery.decide(node: node, reading: .state(.powerOn)) == .skip(.notPowerFailure))
        var withAction = Node.fixture(maintenance: true, fault: .powerFailure)
        withAction.targetPowerState = .powerOn
        #expect(PowerRecovery.decide(node: withAction, reading: .state(.powerOn)) == .skip(.actionInProgress))
    }

    /// A dead BMC: three counted failures, maintenance on the fourth, recovery once it answers (issue 4's story).
    @Test(arguments: [true, false])
    func deadBMCRetriesThenMaintenanceThenRecovery(forced: Bool) {
        let config = PowerSyncConfiguration(forcePowerStateDuringSync: forced)
        var node = Node.fixture(power: .powerOn)
        var count = 0
        var events: [NovaPowerUpdate] = []
        for pass in 1...4 {
            let at = Timestamp(sinceEpoch: .seconds(120 * pass))
            #expect(PowerSyncPassPlan.sync(nodes: [node], failureCounts: ["node-1": count]).order == ["node-1"])
            let outcome = PowerSync.decide(
                node: node,
                reading: .failed("timeout"),
                failureCount: count,
                configuration: config
            )
            count = outcome.failureCount
            if let event = node.applySync(outcome.decision, at: at).novaEvent { events.append(event) }
            #expect(node.maintenance == (pass == 4))
        }
        #expect(count == 4)
        #expect(node.fault == .powerFailure && node.powerState == nil)
        #expect(PowerSyncPassPlan.sync(nodes: [node], failureCounts: ["node-1": count]).order.isEmpty)

        // The BMC answers again; recovery records its state and clears maintenance and fault but not last_error.
        let at = Timestamp(sinceEpoch: .seconds(900))
        guard case .recover(let state) = PowerRecovery.decide(node: node, reading: .state(.powerOff)) else {
            Issue.record("expected recovery")
            return
        }
        let written = node.applyRecovery(state, at: at)
        #expect(!node.maintenance && node.fault == nil && node.maintenanceReason == nil)
        #expect(node.powerState == .powerOff)
        #expect(node.lastError?.contains("max retries exceeded") == true)
        #expect(written.change?.cause == .recovery)
        #expect(written.novaEvent == NovaPowerUpdate(serverUUID: "inst-1", tag: .powerOff, at: at))
        #expect(events.isEmpty, "nothing reached Nova while the state was unknown")

        // Back in the sync; the recorded state now matches, so the count resets.
        let next = PowerSync.decide(node: node, reading: .state(.powerOff), failureCount: count, configuration: config)
        #expect(next == PowerSyncOutcome(decision: .inSync, failureCount: 0))
    }

    @Test func recoveryWithAnUnchangedStateSendsNothing() {
        var node = Node.fixture(power: .powerOn, maintenance: true, fault: .powerFailure)
        #expect(node.applyRecovery(.powerOn, at: .epoch) == .nothing)
        #expect(!node.maintenance)
    }

    @Test func maintenanceSetByAnAdminIsKeptWhenRetriesRunOut() {
        var node = Node.fixture()
        node.maintenance = true
        node.maintenanceReason = "admin"
        _ = node.applySync(.enterMaintenance(recordedState: nil, message: "max retries"), at: .epoch)
        #expect(node.maintenanceReason == "admin" && node.fault == nil)
        #expect(node.lastError == "max retries")
    }
}
