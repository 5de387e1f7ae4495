import Foundation
import Simulation

/// Drives `FakeNova`'s compute machine by hand in virtual time: timers in a list, Ironic as a small table that
/// answers at once (or holds calls for the test), and Ironic's power-update notifications sent back on request.
struct NovaComputeHarness {
    struct Node {
        var uuid: String
        var instance: String?
        var power: String?
        var target: String?
    }

    var nova: FakeNova
    var now: Duration = .zero
    var ironic: [String: Node] = [:]
    /// Answer Ironic calls at once; when false they collect in `heldCalls`.
    var autoIronic = true
    /// Ironic sends power-update to Nova right after saving a changed power state (as `node_power_action` does).
    var ironicNotifies = true
    var heldCalls: [NovaCompute.Action] = []
    /// When set, every power PUT fails with it (e.g. 409 node locked).
    var powerFailure: NovaCompute.IronicCallError?
    var actions: [NovaCompute.Action] = []
    private var timers: [(at: Duration, order: Int, token: NovaCompute.TimerToken)] = []
    private var timerCount = 0
    private var inbox: [NovaCompute.Input] = []

    init(seed: UInt64 = 1, configure: (inout NovaCompute.Configuration) -> Void = { _ in }) {
        var configuration = NovaCompute.Configuration()
        configuration.queued = true
        configuration.syncInterval = nil
        configuration.cacheRefreshInterval = nil
        configuration.syncDatabaseTime = .milliseconds(50)
        configure(&configuration)
        nova = FakeNova()
        nova.compute = NovaCompute(configuration: configuration, seed: seed)
    }

    /// An instance on `host` backed by Ironic node `node`, whose power matches the instance unless given.
    mutating func add(_ uuid: String, node: String, vmState: String, power: Int, host: String = "c1", ironicPower: String? = nil) {
        nova.add(FakeNovaInstance(uuid: uuid, vmState: vmState, powerState: power, host: host, node: node))
        ironic[node] = Node(uuid: node, instance: uuid, power: ironicPower ?? (power == 1 ? "power on" : "power off"))
    }

    var pendingTimers: [NovaCompute.TimerToken] { timers.sorted { ($0.at, $0.order) < ($1.at, $1.order) }.map(\.token) }

    mutating func send(_ input: NovaCompute.Input) {
        inbox.append(input)
        while !inbox.isEmpty {
            let next = inbox.removeFirst()
            process(nova.handleCompute(next, now: now))
        }
    }

    /// A Nova user's os-stop / os-start through nova-api; the cast it causes is carried out like any other action.
    mutating func user(_ verb: NovaCompute.PowerVerb, _ uuid: String) -> Result<String, FakeNova.PowerCallRefusal> {
        let result = nova.userPowerCall(verb, instance: uuid, now: now)
        process(nova.takeComputeActions())
        while !inbox.isEmpty { process(nova.handleCompute(inbox.removeFirst(), now: now)) }
        return result
    }

    /// Ironic's power-update to Nova's API, as one request.
    mutating func notify(_ instance: String, _ tag: String) {
        let body = [UInt8](try! JSONSerialization.data(withJSONObject: [
            "events": [["name": "power-update", "server_uuid": instance, "tag": tag]]]))
        let (_, _, produced) = nova.handleExternalEvents(body: body, microversion: "compute 2.76", now: now)
        process(produced)
    }

    /// The operator powers a node through Ironic: saved, then (optionally) the event goes to Nova.
    mutating func operatorPower(_ node: String, on: Bool, notify: Bool = true) {
        ironic[node]?.power = on ? "power on" : "power off"
        if notify, let instance = ironic[node]?.instance { self.notify(instance, on ? "POWER_ON" : "POWER_OFF") }
    }

    /// Fires every timer due up to `now + duration`, in time order, answering Ironic as configured.
    mutating func advance(_ duration: Duration) {
        let end = now + duration
        while let index = timers.indices.filter({ timers[$0].at <= end })
            .min(by: { (timers[$0].at, timers[$0].order) < (timers[$1].at, timers[$1].order) }) {
            let timer = timers.remove(at: index)
            now = timer.at
            send(.timerFired(timer.token))
        }
        now = end
    }

    /// Answers the held Ironic calls (in order) from the current table.
    mutating func answerHeld() {
        let calls = heldCalls
        heldCalls = []
        for call in calls { if let answer = answer(call) { send(answer) } }
    }

    private mutating func process(_ produced: [NovaCompute.Action]) {
        actions += produced
        for action in produced {
            switch action {
            case .startTimer(let token, let after):
                timerCount += 1
                timers.append((now + after, timerCount, token))
            case .log: break
            default:
                if autoIronic, let answer = answer(action) { inbox.append(answer) } else { heldCalls.append(action) }
            }
        }
    }

    private mutating func answer(_ call: NovaCompute.Action) -> NovaCompute.Input? {
        switch call {
        case .listIronicNodes(let id):
            return .ironicNodes(id, .success(ironic.keys.sorted().map { view(ironic[$0]!) }))
        case .getIronicNode(let id, let instance):
            return .ironicNode(id, .success(ironic.values.first { $0.instance == instance }.map(view)))
        case .setIronicPowerState(let id, let node, let target, _):
            if let powerFailure { return .ironicPowerRequested(id, .failure(powerFailure)) }
            guard ironic[node] != nil else { return .ironicPowerRequested(id, .failure(.init(status: 404, message: "no node"))) }
            let before = ironic[node]!.power
            ironic[node]!.power = target.hasSuffix("off") ? "power off" : "power on"
            if ironicNotifies, before != ironic[node]!.power, let instance = ironic[node]!.instance {
                // Ironic saves, then calls Nova synchronously, then answers: the event precedes the 202 here.
                notify(instance, target.hasSuffix("off") ? "POWER_OFF" : "POWER_ON")
            }
            return .ironicPowerRequested(id, .success(()))
        default: return nil
        }
    }

    private func view(_ node: Node) -> NovaCompute.IronicNodeView {
        .init(uuid: node.uuid, instanceUUID: node.instance, powerState: node.power, targetPowerState: node.target)
    }

    func row(_ uuid: String) -> FakeNovaInstance { nova.instances[uuid]! }
    func state(_ uuid: String) -> String {
        let row = row(uuid)
        return "\(row.vmState)/\(row.powerState)/\(row.taskState ?? "None")"
    }
    func logged(_ phrase: String) -> Bool { nova.compute.log.contains { $0.message.contains(phrase) } }
    var outcomes: [FakeNovaOutcome] { nova.received.map(\.outcome) }
}
