import ControllerCore
import Testing

@Suite("Nova power-state hold (race mitigation)")
struct NovaPowerStateHoldTests {
    let start = Timestamp(sinceEpoch: .seconds(1_000))
    let instance = "11111111-2222-4333-8444-555555555555"

    func hold(enabled: Bool = true, maximum: Duration = .seconds(120)) -> NovaPowerStateHold {
        NovaPowerStateHold(configuration: .init(enabled: enabled, maximumHold: maximum))
    }

    func event(_ tag: NovaPowerUpdate.Tag, at offset: Duration = .zero) -> NovaPowerUpdate {
        NovaPowerUpdate(serverUUID: instance, tag: tag, at: start + offset)
    }

    @Test("Nova reads the state it agreed with until it shows the event applied; others read the truth")
    func holdsUntilApplied() {
        var hold = hold()
        hold.recorded(nodeID: "n1", previous: .powerOff, event: event(.powerOn), requestedByNova: false)
        #expect(hold.powerStateForNova(nodeID: "n1", actual: .powerOn, now: start + .seconds(1)) == .powerOff)
        #expect(hold.powerStateForNova(nodeID: "other", actual: .powerOn, now: start) == .powerOn)
        #expect(hold.heldInstances.map(\.instanceUUID) == [instance])

        // Accepted but not yet applied (task in flight, or still stopped): still held.
        let inFlight = NovaInstanceView(vmState: "stopped", powerState: 4, taskState: "powering-on")
        #expect(hold.observed(instanceUUID: instance, view: inFlight, now: start + .seconds(2)) == nil)
        #expect(hold.observed(instanceUUID: instance, view: .init(vmState: "stopped", powerState: 4, taskState: nil),
                              now: start + .seconds(2)) == nil)
        let applied = NovaInstanceView(vmState: "active", powerState: 1, taskState: nil)
        #expect(hold.observed(instanceUUID: instance, view: applied, now: start + .seconds(3)) == "n1")
        #expect(hold.powerStateForNova(nodeID: "n1", actual: .powerOn, now: start + .seconds(3)) == .powerOn)
        #expect(hold.entries.isEmpty)
    }

    @Test("a hold ends after maximumHold even if Nova never applies the event")
    func expires() {
        var hold = hold(maximum: .seconds(30))
        hold.recorded(nodeID: "n1", previous: .powerOn, event: event(.powerOff), requestedByNova: false)
        #expect(hold.powerStateForNova(nodeID: "n1", actual: .powerOff, now: start + .seconds(29)) == .powerOn)
        #expect(hold.powerStateForNova(nodeID: "n1", actual: .powerOff, now: start + .seconds(30)) == .powerOff)
        #expect(hold.expire(now: start + .seconds(29)).isEmpty)
        #expect(hold.expire(now: start + .seconds(30)) == ["n1"])
        #expect(hold.entries.isEmpty)
    }

    @Test("changes Nova asked for are never held, and clear an older hold")
    func novaRequestsPassThrough() {
        var hold = hold()
        hold.recorded(nodeID: "n1", previous: .powerOn, event: event(.powerOff), requestedByNova: true)
        #expect(hold.entries.isEmpty)
        hold.recorded(nodeID: "n1", previous: .powerOff, event: event(.powerOn), requestedByNova: false)
        hold.recorded(nodeID: "n1", previous: .powerOn, event: event(.powerOff, at: .seconds(1)), requestedByNova: true)
        #expect(hold.entries.isEmpty)
    }

    @Test("a second change keeps showing what Nova agreed with; a change back to it releases")
    func successiveChanges() {
        var hold = hold()
        hold.recorded(nodeID: "n1", previous: .powerOff, event: event(.powerOn), requestedByNova: false)
        hold.recorded(nodeID: "n1", previous: .powerOn, event: event(.powerOff, at: .seconds(5)), requestedByNova: false)
        #expect(hold.entries.isEmpty, "back to power off, which Nova already believes")

        hold.recorded(nodeID: "n2", previous: nil, event: event(.powerOn), requestedByNova: false)
        #expect(hold.powerStateForNova(nodeID: "n2", actual: .powerOn, now: start) == nil)
        hold.recorded(nodeID: "n3", previous: .powerOn, event: event(.powerOn), requestedByNova: false)
        #expect(hold.entries["n3"] == nil, "a reboot ends where it began")
    }

    @Test("the newest pending event is the one Nova must show, and the window restarts with it")
    func newestPending() {
        var hold = hold(maximum: .seconds(10))
        hold.recorded(nodeID: "n1", previous: nil, event: event(.powerOn), requestedByNova: false)
        hold.recorded(nodeID: "n1", previous: .powerOn, event: event(.powerOff, at: .seconds(8)), requestedByNova: false)
        #expect(hold.entries["n1"]?.pending == .powerOff)
        #expect(hold.isHeld(nodeID: "n1", now: start + .seconds(12)))
        #expect(hold.observed(instanceUUID: instance, view: .init(vmState: "active", powerState: 1, taskState: nil),
                              now: start + .seconds(12)) == nil)
        #expect(hold.observed(instanceUUID: instance, view: .init(vmState: "stopped", powerState: 4, taskState: nil),
                              now: start + .seconds(12)) == "n1")
    }

    @Test("an instance Nova no longer has releases the hold; a disabled hold never holds")
    func goneAndDisabled() {
        var held = hold()
        held.recorded(nodeID: "n1", previous: .powerOff, event: event(.powerOn), requestedByNova: false)
        #expect(held.observed(instanceUUID: instance, view: nil, now: start) == "n1")
        #expect(held.observed(instanceUUID: "unknown", view: nil, now: start) == nil)

        var off = hold(enabled: false)
        off.recorded(nodeID: "n1", previous: .powerOff, event: event(.powerOn), requestedByNova: false)
        #expect(off.powerStateForNova(nodeID: "n1", actual: .powerOn, now: start) == .powerOn)
        #expect(off.entries.isEmpty)
    }
}
