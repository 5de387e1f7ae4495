import Simulation
import Testing

/// A Nova user's os-stop / os-start in the pure model: compute_api's checks and nova's 409 wording, then
/// stop_instance / start_instance against a table Ironic (nova.md §3.4).
@Suite("Nova compute: user stop and start")
struct NovaComputeUserActionTests {
    static let instance = "aaaaaaaa-0000-4000-8000-000000000001"

    static func harness(vmState: String, power: Int, configure: (inout NovaCompute.Configuration) -> Void = { _ in })
        -> NovaComputeHarness
    {
        var harness = NovaComputeHarness(configure: configure)
        harness.add(instance, node: "n1", vmState: vmState, power: power)
        return harness
    }

    static func refusal(_ result: Result<String, FakeNova.PowerCallRefusal>) -> FakeNova.PowerCallRefusal? {
        guard case .failure(let refusal) = result else { return nil }
        return refusal
    }

    @Test("os-stop: powering-off at once, the action recorded as the user's, then stopped through Ironic")
    func stopHappyPath() {
        var harness = Self.harness(vmState: "active", power: 1) { $0.eventDelay = .seconds(1) }
        let accepted = harness.user(.stop, Self.instance)
        #expect((try? accepted.get()) != nil)
        #expect(harness.state(Self.instance) == "active/1/powering-off")
        let actions = harness.nova.instanceActions[Self.instance] ?? []
        #expect(actions.map(\.action) == ["stop"] && actions.map(\.origin) == [.user])
        #expect(!harness.actions.contains { if case .getIronicNode = $0 { true } else { false } },
                "the cast reaches the host's main queue only after eventDelay")
        harness.advance(.seconds(5))
        #expect(harness.state(Self.instance) == "stopped/4/None")
        #expect(harness.ironic["n1"]?.power == "power off")
        #expect(harness.logged("Successfully soft powered off Ironic node n1"))
        #expect(harness.outcomes == [.noOp], "Ironic's POWER_OFF reaches Nova mid-task")
    }

    @Test("os-start: powering-on, power on through Ironic, then active/1/None")
    func startHappyPath() {
        var harness = Self.harness(vmState: "stopped", power: 4)
        #expect((try? harness.user(.start, Self.instance).get()) != nil)
        harness.advance(.seconds(5))
        #expect(harness.state(Self.instance) == "active/1/None")
        #expect(harness.actions.contains { action in
            if case .setIronicPowerState(_, "n1", "power on", nil) = action { true } else { false }
        })
        #expect(harness.logged("Successfully powered on Ironic node n1"))
        #expect(harness.logged("Instance started: vm_state active, power_state 1"))
        // Ironic's POWER_ON event is recorded by the API too, and is a no-op at compute (the instance is mid-task).
        let actions = harness.nova.instanceActions[Self.instance] ?? []
        #expect(actions.map(\.action) == ["start", "start"] && actions.map(\.origin) == [.user, .event])
        #expect(harness.outcomes == [.noOp])
        #expect(harness.nova.compute.isBusy == false)
    }

    @Test("409 with nova's wording: vm_state first, then task_state; 404 unknown; no host is not ready")
    func refusals() {
        var harness = Self.harness(vmState: "stopped", power: 4) { $0.eventDelay = .seconds(1) }
        let uuid = Self.instance
        #expect(Self.refusal(harness.user(.stop, uuid))
            == .init(status: 409, message: "Cannot 'stop' instance \(uuid) while it is in vm_state stopped"))
        #expect((try? harness.user(.start, uuid).get()) != nil)
        #expect(Self.refusal(harness.user(.start, uuid))
            == .init(status: 409, message: "Cannot 'start' instance \(uuid) while it is in task_state powering-on"))
        #expect(Self.refusal(harness.user(.stop, uuid))
            == .init(status: 409, message: "Cannot 'stop' instance \(uuid) while it is in vm_state stopped"))
        #expect(Self.refusal(harness.user(.stop, "missing"))
            == .init(status: 404, message: "Instance missing could not be found."))
        harness.nova.add(FakeNovaInstance(uuid: "shelved", vmState: "active", powerState: 1, host: nil))
        #expect(Self.refusal(harness.user(.stop, "shelved")) == .init(status: 409, message: "Instance shelved is not ready"))
        #expect(harness.nova.instanceActions[uuid]?.count == 1, "a refused call records no action")
        #expect(harness.state(uuid) == "stopped/4/powering-on")
    }

    @Test("start_instance polls every ironicPollInterval while target_power_state is set, then saves")
    func startPollsUntilTargetClears() {
        var harness = Self.harness(vmState: "stopped", power: 4)
        harness.ironic["n1"]?.target = "power on"
        _ = harness.user(.start, Self.instance)
        let reads = { (harness: NovaComputeHarness) in
            harness.actions.filter { if case .getIronicNode = $0 { true } else { false } }.count
        }
        #expect(reads(harness) == 2, "the fresh read and the looping call's first look")
        harness.advance(.seconds(5))
        #expect(reads(harness) == 4, "one more look at 2 s and at 4 s")
        #expect(harness.state(Self.instance) == "stopped/4/powering-on")
        harness.ironic["n1"]?.target = nil
        harness.advance(.seconds(1))
        #expect(reads(harness) == 5)
        #expect(harness.state(Self.instance) == "active/1/None")
    }

    @Test("an Ironic error (409 node locked) reverts task_state and logs the failure")
    func ironicErrorReverts() {
        var harness = Self.harness(vmState: "stopped", power: 4)
        harness.powerFailure = .init(status: 409, message: "Node n1 is locked by host ironic-1")
        _ = harness.user(.start, Self.instance)
        #expect(harness.state(Self.instance) == "stopped/4/None")
        #expect(harness.logged("start_instance failed: Node n1 is locked by host ironic-1"))
        #expect(harness.logged("Successfully reverted task state from powering-on on failure for instance."))
        #expect(harness.nova.compute.isBusy == false)
        harness.powerFailure = nil
        #expect((try? harness.user(.start, Self.instance).get()) != nil, "the instance can be started again")
        harness.advance(.seconds(3))
        #expect(harness.state(Self.instance) == "active/1/None")
    }
}
