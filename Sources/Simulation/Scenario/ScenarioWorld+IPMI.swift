import ControllerCore
import IPMI
import VirtualBMCCore

/// A request queued in a node's console, with what BMCClient keeps to retry it on a fresh session.
struct OutstandingRequest: Sendable {
    var token: RequestToken
    var purpose: IPMIPurpose
    var request: IPMIRequest
    /// The session was up when the request was queued: a timeout may mean the BMC dropped it.
    var sessionWasUp: Bool
    var staleRetries: Int
}

/// Why the controller sent a request to a BMC, so its answer goes back to the right machine.
enum IPMIPurpose: Sendable {
    case actionRead(UInt64)
    case actionControl(UInt64, ChassisControlKind)
    case syncRead(UInt64)
    case recoveryRead(UInt64)

    /// Reads may run twice; a Chassis Control may have run before its answer was lost (IPMIRequest.isSafeToRepeat).
    var isSafeToRepeat: Bool {
        if case .actionControl = self { return false }
        return true
    }

    var label: String {
        switch self {
        case .actionRead, .syncRead, .recoveryRead: "Get Chassis Status"
        case .actionControl(_, let kind): "Chassis Control: " + (ChassisControl(rawValue: kind.rawValue)?.description ?? "?")
        }
    }
}

// The controller's BMC client, as BMCClient does it: one persistent session per BMC, opened by the first request,
// kept alive by the console, opened again after it fails. Requests queue in the console, one in flight at a time.
extension ScenarioWorld {
    static let controllerPeer = "controller"

    /// BMCClient's `staleSessionRetries`: a read that times out on a session established earlier goes once more on
    /// a fresh session.
    static let staleSessionRetries = 1

    mutating func ipmi(_ request: IPMIRequest, _ purpose: IPMIPurpose, node index: Int, staleRetries: Int? = nil) {
        if consoles[index]?.isFinished ?? true {
            var configuration = ConsoleConfiguration(username: "admin", password: consolePassword[index])
            configuration.keepAliveInterval = options.keepAliveInterval
            consoles[index] = ConsoleStateMachine(configuration: configuration)
            consoleSessions[index] += 1
            consoleEstablished[index] = false
            performConsole(consoles[index]!.start(entropy: &consoleEntropy[index]), node: index)
        }
        let wasUp = consoleEstablished[index]
        let (token, actions) = consoles[index]!.enqueue(request, entropy: &consoleEntropy[index])
        let retries = staleRetries ?? (purpose.isSafeToRepeat ? Self.staleSessionRetries : 0)
        outstanding[index].append(OutstandingRequest(token: token, purpose: purpose, request: request,
                                                     sessionWasUp: wasUp, staleRetries: retries))
        performConsole(actions, node: index)
    }

    mutating func consoleTimerFired(node index: Int, session: UInt64, token: TimerToken) {
        guard session == consoleSessions[index], consoles[index] != nil else { return }
        performConsole(consoles[index]!.timerFired(token, entropy: &consoleEntropy[index]), node: index)
    }

    mutating func performConsole(_ actions: [ConsoleAction], node index: Int) {
        var completions: [(OutstandingRequest, Result<IPMIResponse, ConsoleError>)] = []
        for action in actions {
            switch action {
            case .send(let bytes):
                send(bytes, node: index, toBMC: true, after: .zero)
            case .startTimer(let token, let delay):
                scheduler.schedule(.consoleTimer(node: index, session: consoleSessions[index], token: token), after: delay)
            case .established:
                consoleEstablished[index] = true
                if traceDatagrams { record(.note, lane(node: index), "session established") }
            case .completed(let token, let result):
                if let position = outstanding[index].firstIndex(where: { $0.token == token }) {
                    completions.append((outstanding[index].remove(at: position), result))
                }
            case .failed(let error):
                record(.note, lane(node: index), "session failed: \(error)")
            case .closed:
                break
            }
        }
        // After the loop: an answer may start the next request, which must not interleave with this batch.
        for (request, result) in completions {
            if case .failure(.timeout) = result, request.sessionWasUp, request.staleRetries > 0 {
                // The BMC may have dropped the session: once more on a fresh one (the old one is abandoned).
                if consoles[index]?.isFinished == false { consoles[index] = nil }
                ipmi(request.request, request.purpose, node: index, staleRetries: request.staleRetries - 1)
                continue
            }
            ipmiCompleted(request.purpose, result, node: index)
        }
    }

    // MARK: The network and the BMC

    func lane(node index: Int) -> String { "node:" + names[index] }
    func bmcLane(_ index: Int) -> String { "bmc:" + names[index] }

    mutating func send(_ bytes: [UInt8], node index: Int, toBMC: Bool, after delay: Duration) {
        let link = toBMC ? linksToBMC[index] : linksToConsole[index]
        let sentAt = now + delay
        var deliveries = network.send(bytes, on: link, now: sentAt)
        // Held back behind the next datagram on the link: a late arrival that anything sent soon after overtakes.
        let faults = network.faults(on: link)
        let holdBack = reorderRandom.nextChance(scenario.network.reordering)
        if holdBack {
            for position in deliveries.indices { deliveries[position].arrival += faults.latency + faults.jitter * 2 + .milliseconds(1) }
        }
        counters.datagramsSent += 1
        let label = traceDatagrams ? datagramLabel(bytes, node: index, fromConsole: toBMC) : ""
        let id = traceDatagrams ? deliveries.first.map { "d\($0.datagram.id)" } ?? "lost\(counters.datagramsSent)" : ""
        if traceDatagrams { record(.send, link.from, label, peer: link.to, id: id) }
        if deliveries.isEmpty {
            counters.datagramsDropped += 1
            if traceDatagrams { record(.drop, link.from, label, peer: link.to, id: id) }
        }
        for delivery in deliveries {
            scheduler.schedule(.deliver(delivery.datagram, node: index, toBMC: toBMC), at: delivery.arrival)
        }
    }

    mutating func deliver(_ datagram: SimDatagram, node index: Int, toBMC: Bool) {
        counters.datagramsDelivered += 1
        if traceDatagrams {
            let label = datagramLabel(datagram.bytes, node: index, fromConsole: toBMC) + (datagram.isDuplicate ? " (duplicate)" : "")
            record(.receive, datagram.link.from, label, peer: datagram.link.to, id: "d\(datagram.id)")
        }
        if toBMC {
            let replies = bmcs[index].receive(datagram.bytes, from: Self.controllerPeer, now: now)
            noteBMCPower(index)
            for reply in replies { send(reply.bytes, node: index, toBMC: false, after: reply.delay) }
        } else if consoles[index] != nil {
            performConsole(consoles[index]!.receive(datagram.bytes, entropy: &consoleEntropy[index]), node: index)
        }
    }

    mutating func advanceBMC(_ index: Int) {
        bmcAdvanceAt[index] = nil
        bmcs[index].advance(to: now)
        noteBMCPower(index)
    }

    /// Traces a change of the chassis power and wakes the BMC when a transition under way is due.
    mutating func noteBMCPower(_ index: Int) {
        let on = bmcs[index].chassis.powerOn
        if on != bmcPower[index] {
            record(.state, bmcLane(index), on ? "power off → power on" : "power on → power off")
            bmcPower[index] = on
        }
        if let due = bmcs[index].chassis.pending?.nextChange, bmcAdvanceAt[index].map({ due < $0 }) ?? true {
            bmcAdvanceAt[index] = due
            scheduler.schedule(.bmcAdvance(node: index), at: due)
        }
    }

    /// What a datagram is, for the trace: the handshake step, or the request in flight for in-session messages
    /// (sealed on the wire, so named from the console's side).
    func datagramLabel(_ bytes: [UInt8], node index: Int, fromConsole: Bool) -> String {
        guard let datagram = try? Datagram.decode(bytes) else { return "malformed \(bytes.count)B" }
        let what: String
        switch datagram {
        case .asf: what = "ASF"
        case .ipmi15: what = "Get Channel Authentication Capabilities"
        case .rmcpPlus(let packet):
            switch packet.payloadType {
            case .openSessionRequest: what = "Open Session Request"
            case .openSessionResponse: what = "Open Session Response"
            case .rakp1: what = "RAKP 1"
            case .rakp2: what = "RAKP 2"
            case .rakp3: what = "RAKP 3"
            case .rakp4: what = "RAKP 4"
            case .sol: what = "SOL"
            case .ipmiMessage where !(packet.isAuthenticated || packet.isEncrypted):
                what = "Get Channel Cipher Suites"
            case .ipmiMessage:
                if !consoleEstablished[index] {
                    what = "Set Session Privilege Level"
                } else {
                    what = outstanding[index].first?.purpose.label ?? "Get Device ID (keep-alive)"
                }
            }
        }
        return fromConsole ? what : what + " reply"
    }
}
