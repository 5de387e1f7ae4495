import ControllerCore
import Testing

/// The node side of an action: claiming it, refusing a second one, and what the result writes.
@Suite struct NodePowerActionTests {
    let now = Timestamp(sinceEpoch: .seconds(1000))

    @Test func aSecondActionOnABusyNodeIsAConflict() throws {
        var node = Node.fixture()
        try node.beginPowerAction(.powerOff, at: now)
        #expect(node.targetPowerState == .powerOff)
        #expect(throws: PowerActionRefusal.conflict(nodeID: "node-1", inProgress: .powerOff)) {
            try node.beginPowerAction(.powerOn, at: now)
        }
        #expect(node.targetPowerState == .powerOff, "the refused request changed nothing")
        _ = node.completePowerAction(.powerOff, result: .succeeded(.powerOff), at: now)
        try node.beginPowerAction(.powerOn, at: now)
    }

    @Test func theSyncForcingHardwareIsRefusedToo() throws {
        var node = Node.fixture()
        try node.beginPowerAction(.rebooting, at: now)
        #expect(throws: PowerActionRefusal.self) { try node.beginPowerAction(.powerOn, origin: .sync, at: now) }
    }

    @Test(arguments: [ProvisionState.cleaning, .cleanWait])
    func requestsAreRefusedWhileCleaning(state: ProvisionState) {
        var node = Node.fixture(provision: state)
        #expect(throws: PowerActionRefusal.invalidProvisionState(state)) {
            try node.beginPowerAction(.powerOn, at: now)
        }
    }

    @Test func anUnusableDriverInfoIsRefused() {
        var node = Node.fixture()
        node.driverInfo.ipmiAddress = ""
        #expect(throws: PowerActionRefusal.self) { try node.beginPowerAction(.powerOn, at: now) }
        #expect(node.targetPowerState == nil)
    }

    @Test func aUserRequestClearsLastErrorButTheSyncKeepsItInFailureStates() throws {
        var user = Node.fixture(provision: .deployFailed)
        user.lastError = "deploy broke"
        try user.beginPowerAction(.powerOn, at: now)
        #expect(user.lastError == nil)
        var sync = Node.fixture(provision: .deployFailed)
        sync.lastError = "deploy broke"
        try sync.beginPowerAction(.powerOn, origin: .sync, at: now)
        #expect(sync.lastError == "deploy broke")
    }

    @Test func successRecordsTheTargetAndEmitsNova() throws {
        var node = Node.fixture(power: .powerOff)
        try node.beginPowerAction(.powerOn, at: now)
        let outcome = node.completePowerAction(.powerOn, result: .succeeded(.powerOn), at: now)
        #expect(node.powerState == .powerOn)
        #expect(node.targetPowerState == nil)
        #expect(node.updatedAt == now)
        #expect(
            outcome.change
                == RecordedPowerChange(
                    nodeID: "node-1",
                    from: .powerOff,
                    to: .powerOn,
                    cause: .powerAction(.powerOn),
                    at: now
                )
        )
        #expect(outcome.novaEvent == NovaPowerUpdate(serverUUID: "inst-1", tag: .powerOn, at: now))
    }

    @Test func aRebootNotifiesNovaEvenThoughTheStateIsUnchanged() throws {
        var node = Node.fixture(power: .powerOn)
        try node.beginPowerAction(.rebooting, at: now)
        let outcome = node.completePowerAction(.rebooting, result: .succeeded(.powerOn), at: now)
        #expect(outcome.novaEvent?.tag == .powerOn)
    }

    @Test func alreadyInStateRecordsButNeverNotifies() throws {
        var node = Node.fixture(power: nil)
        node.lastError = "old"
        try node.beginPowerAction(.powerOff, at: now)
        let outcome = node.completePowerAction(.powerOff, result: .alreadyInState(.powerOff), at: now)
        #expect(node.powerState == .powerOff)
        #expect(node.lastError == nil)
        #expect(outcome.change?.to == .powerOff)
        #expect(outcome.novaEvent == nil)
    }

    @Test func failureWritesLastErrorAndReleasesTheNode() throws {
        var node = Node.fixture(power: .powerOn)
        try node.beginPowerAction(.softPowerOff, at: now)
        let outcome = node.completePowerAction(
            .softPowerOff,
            result: .failed("Failed to set node power state to power off."),
            at: now
        )
        #expect(node.powerState == .powerOn)
        #expect(node.targetPowerState == nil)
        let expected =
            "Failed to change power state to 'power off' by 'soft power off': "
            + "Failed to set node power state to power off."
        #expect(node.lastError == expected)
        #expect(outcome == PowerActionOutcome(change: nil, novaEvent: nil))
    }
}

/// Ironic's Nova rule: only `power on` / `power off`, only with an instance.
@Suite struct NovaRuleTests {
    func change(to state: PowerState?) -> RecordedPowerChange {
        RecordedPowerChange(nodeID: "n", from: .powerOn, to: state, cause: .syncRecorded, at: .epoch)
    }

    @Test func onAndOffWithAnInstanceEmit() {
        #expect(NovaPowerUpdate.event(for: change(to: .powerOn), instanceUUID: "i")?.tag == .powerOn)
        #expect(NovaPowerUpdate.event(for: change(to: .powerOff), instanceUUID: "i")?.tag == .powerOff)
        #expect(NovaPowerUpdate.Tag.powerOff.rawValue == "POWER_OFF")
    }

    @Test func errorAndUnknownNeverEmit() {
        #expect(NovaPowerUpdate.event(for: change(to: .error), instanceUUID: "i") == nil)
        #expect(NovaPowerUpdate.event(for: change(to: nil), instanceUUID: "i") == nil)
    }

    @Test func noInstanceNeverEmits() {
        #expect(NovaPowerUpdate.event(for: change(to: .powerOff), instanceUUID: nil) == nil)
    }
}

/// Passwords and Kg keys never reach a log line.
@Suite struct RedactionTests {
    let info = DriverInfo(ipmiAddress: "10.0.0.9", ipmiUsername: "admin", ipmiPassword: "hunter2", ipmiKg: "abcd")

    @Test func descriptionsHideSecrets() {
        let node = Node(id: "n", driverInfo: info, createdAt: .epoch)
        for text in ["\(info)", String(reflecting: info), "\(node)", String(reflecting: node)] {
            #expect(!text.contains("hunter2"), "\(text)")
            #expect(!text.contains("abcd"), "\(text)")
        }
        var dumped = ""
        dump(node, to: &dumped)
        #expect(!dumped.contains("hunter2"))
        #expect("\(info)".contains("password=***"))
    }

    @Test func theSecretIsStillThereForTheClient() {
        #expect(info.ipmiPassword?.revealed == "hunter2")
        #expect(info.ipmiKg?.revealed == "abcd")
    }

    @Test func validationNamesTheProblem() {
        #expect(info.validationError == nil)
        #expect(DriverInfo(ipmiAddress: "").validationError?.contains("ipmi_address") == true)
        #expect(DriverInfo(ipmiAddress: "h", ipmiKg: "abc").validationError?.contains("even") == true)
    }
}
