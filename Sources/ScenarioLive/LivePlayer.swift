import Controller
import ControllerCore
import Foundation
import IPMI
import Simulation
import VirtualBMCCore

/// Plays a scenario's timeline in wall time against a `LiveStack`, then settles and judges the end.
struct LivePlayer {
    let scenario: Scenario
    let stack: LiveStack
    let options: ScenarioLiveOptions
    let started = ContinuousClock.now
    var trace: [TraceEvent] = []
    var counters = ScenarioCounters()
    /// The last operator request per node name; removed when the hardware changes behind everyone's back.
    var intents: [String: PowerState] = [:]
    var unsupported: [String] = []
    /// Each BMC's faults as last set, so a credential rotation adds to them rather than replacing them.
    var faults: [String: FaultSpec] = [:]
    /// Sends the timeline's `nova stop` / `nova start` with its own Keystone token.
    var novaUser: LiveNovaUser

    init(scenario: Scenario, stack: LiveStack, options: ScenarioLiveOptions) {
        self.scenario = scenario
        self.stack = stack
        self.options = options
        self.novaUser = LiveNovaUser(base: stack.nova.base)
        for group in scenario.fleet {
            for name in ScenarioNodeNames.names(of: group) { faults[name] = group.faults }
        }
    }

    var elapsed: Duration { ContinuousClock.now - started }

    mutating func play() async throws -> ScenarioLiveResult {
        var jitter = SeededGenerator(seed: options.seed)
        let steps = scenario.timeline.map { step in
            (at: step.at + (step.jitter > .zero ? jitter.nextDuration(upTo: step.jitter) : .zero), action: step.action)
        }.enumerated().sorted { ($0.element.at, $0.offset) < ($1.element.at, $1.offset) }.map(\.element)
        for step in steps {
            try await sleep(until: step.at)
            try await perform(step.action)
        }
        let settle = min(scenario.settle, options.settle)
        record(.note, "scenario", "settling for \(settle)")
        try await sleep(until: elapsed + settle)
        return try await finish()
    }

    private func sleep(until instant: Duration) async throws {
        let wait = instant - elapsed
        if wait > .zero { try await Task.sleep(for: wait) }
    }

    mutating func record(_ kind: TraceEvent.Kind, _ lane: String, _ label: String, invariant: String = "") {
        let micros = Int64(elapsed / .microseconds(1))
        trace.append(TraceEvent(at: micros, kind: kind, lane: lane, label: label, invariant: invariant))
        if kind != .violation { options.progress?(String(format: "%8.3f s  ", Double(micros) / 1e6) + label) }
    }

    // MARK: Steps

    mutating func perform(_ action: ScenarioAction) async throws {
        record(.step, "scenario", ScenarioWorld.describeStep(action))
        switch action {
        case .powerAction(let selector, let power):
            let names = select(selector)
            let statuses = await LiveHTTP.powerRequests(base: stack.api.base, nodes: names, target: power.rawValue)
            for (name, status) in zip(names, statuses) {
                switch status {
                // As in the engine, only an accepted request is an intent; a refused one asked for nothing.
                case 202: counters.powerActions += 1; intents[name] = power.targetState
                case 409: counters.refusals += 1; record(.note, "controller", "\(name): 409 Conflict (busy)")
                default: counters.powerActionsFailed += 1; record(.note, "controller", "\(name): HTTP \(status)")
                }
            }
        case .novaStop(let selector):
            await novaUserAction("os-stop", verb: "stop", target: .powerOff, nodes: select(selector))
        case .novaStart(let selector):
            await novaUserAction("os-start", verb: "start", target: .powerOn, nodes: select(selector))
        case .pressPowerButton(let selector):
            for name in select(selector) {
                intents[name] = nil
                try stack.fleet.pressPowerButton(name)
            }
        case .setBMCFaults(let selector, let faults):
            for name in select(selector) {
                intents[name] = nil
                self.faults[name] = faults
                try stack.fleet.setFaults(LiveStack.withNetwork(faults, scenario.network), on: name)
            }
        case .rotateCredentials(let selector, _, let controllerUpdated):
            // As in the engine: a rotation the controller did not follow is a login failure; one it followed
            // changes nothing the wire shows.
            for name in select(selector) where !controllerUpdated {
                var rotated = faults[name] ?? .none
                rotated.credentialsRotated = true
                faults[name] = rotated
                try stack.fleet.setFaults(LiveStack.withNetwork(rotated, scenario.network), on: name)
            }
        case .novaOutage(let on):
            let status = await LiveHTTP.send("PUT", stack.nova.base + "/_fake/faults", json: ["outage": on])
            if status != 200 { record(.note, "nova-api", "PUT /_fake/faults: HTTP \(status)") }
        case .runNovaSync:
            let status = await LiveHTTP.send("POST", stack.nova.base + "/_fake/sync")
            if status != 202 { record(.note, "nova-compute", "POST /_fake/sync: HTTP \(status)") }
        case .refreshNovaCache:
            let status = await LiveHTTP.send("POST", stack.nova.base + "/_fake/refresh-cache")
            if status != 202 { record(.note, "nova-compute", "POST /_fake/refresh-cache: HTTP \(status)") }
        case .runControllerSync:
            // The API has no route for it; the pass runs in process, as the periodic task would.
            let report = await stack.controller.syncPass()
            counters.syncPasses += 1
            record(.note, "controller", "sync pass: \(report)")
        }
    }

    /// A Nova user's os-stop/os-start per instance; as in the engine, only a 202 records the operator's intent.
    mutating func novaUserAction(_ action: String, verb: String, target: PowerState, nodes: [String]) async {
        for name in nodes {
            guard let instance = stack.instances[name] else { continue }
            let answer = await novaUser.serverAction(action, instance: instance)
            switch answer.status {
            case 202:
                intents[name] = target
                record(.note, "nova-api", "\(name): \(verb): 202 Accepted")
            case 409: record(.note, "nova-api", "\(name): \(verb): 409 Conflict: \(answer.message)")
            default: record(.note, "nova-api", "\(name): \(verb): HTTP \(answer.status) \(answer.message)")
            }
        }
    }

    func select(_ selector: ScenarioNodeSelector) -> [String] {
        let known = Set(stack.names)
        return ScenarioNodeNames.resolve(selector, in: scenario.fleet).filter(known.contains)
    }
}
