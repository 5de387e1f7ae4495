import IPMI

// The shell half of the harness: performs the machines' outputs and feeds events back to them.
extension BackToBackHarness {
    mutating func handle(_ event: Event) {
        switch event {
        case .deliver(let datagram):
            deliver(datagram)
        case .consoleTimer(let token):
            let actions = console.timerFired(token, entropy: &consoleEntropy)
            // Stale timers are no-ops by design; only the ones that did something are worth a trace line.
            if !actions.isEmpty { record("console timer \(token.rawValue) fired") }
            performConsole(actions)
        case .expireSessions:
            // Sorted: the BMC's table is a Dictionary, and hash order must not reach the trace.
            let expired = bmc.expireSessions(now: now).sorted()
            if !expired.isEmpty {
                expiredSessions += expired
                record("bmc expired " + expired.map { "0x" + DatagramSummary.hex8($0) }.joined(separator: " "))
            }
            scheduler.schedule(.expireSessions, after: configuration.expiryInterval)
        case .command(.start):
            start()
        case .command(.enqueue(let request)):
            enqueue(request)
        case .command(.close):
            close()
        }
    }

    mutating func performConsole(_ actions: [ConsoleAction]) {
        for action in actions {
            switch action {
            case .send(let bytes):
                send(bytes, on: Self.linkToBMC)
            case .startTimer(let token, let delay):
                scheduler.schedule(.consoleTimer(token), after: delay)
            case .established(let summary):
                established = summary
                record("console established \(summary.suite) \(summary.privilege) "
                    + "console 0x\(DatagramSummary.hex8(summary.consoleSessionID)) "
                    + "bmc 0x\(DatagramSummary.hex8(summary.bmcSessionID))")
            case .completed(let token, let result):
                completions.append(Completion(token: token, instant: now, result: result))
                record("console completed \(token) " + Self.describe(result))
            case .failed(let error):
                failure = error
                record("console failed: \(error)")
            case .closed:
                isClosed = true
                record("console closed")
            }
        }
    }

    private mutating func send(_ bytes: [UInt8], on link: SimLink) {
        let deliveries = network.send(bytes, on: link, now: now)
        let fate = switch deliveries.count {
        case 0: "dropped"
        case 1: "arrives " + deliveries[0].arrival.traceDescription
        default: "duplicated, arrives " + deliveries.map(\.arrival.traceDescription).joined(separator: " and ")
        }
        record("\(link) send \(DatagramSummary.describe(bytes)): \(fate)")
        for delivery in deliveries {
            scheduler.schedule(.deliver(delivery.datagram), at: delivery.arrival)
        }
    }

    private mutating func deliver(_ datagram: SimDatagram) {
        let copy = datagram.isDuplicate ? " (duplicate)" : ""
        record("\(datagram.link) recv \(DatagramSummary.describe(datagram.bytes))\(copy)")
        switch datagram.link.to {
        case Self.bmcEndpoint:
            deliverToBMC(datagram)
        case Self.consoleEndpoint:
            let ignoredBefore = console.ignoredDatagrams
            performConsole(console.receive(datagram.bytes, entropy: &consoleEntropy))
            if console.ignoredDatagrams > ignoredBefore { record("console ignored it") }
        default:
            preconditionFailure("no endpoint \(datagram.link.to) in a back-to-back run")
        }
    }

    private mutating func deliverToBMC(_ datagram: SimDatagram) {
        switch bmc.receive(datagram.bytes, from: datagram.link.from, now: now, entropy: &bmcEntropy) {
        case .reply(let bytes):
            send(bytes, on: Self.linkToConsole)
        case .dispatch(let request):
            let response = chassis.handle(request.request)
            dispatches.append(
                Dispatch(instant: now, sessionID: request.sessionID, message: request.message, response: response))
            record("bmc dispatch rqSeq \(request.message.sequence) \(request.request) -> \(response)")
            // Nil when the session went away in between; with a synchronous chassis that cannot happen, but say so.
            guard let bytes = bmc.respond(to: request, with: response, entropy: &bmcEntropy) else {
                record("bmc session gone before the answer")
                return
            }
            send(bytes, on: Self.linkToConsole)
        case .ignored(let reason):
            ignoredByBMC.append(Ignored(instant: now, reason: reason))
            record("bmc ignored it: \(reason)")
        }
    }

    mutating func record(_ line: String) {
        let time = now.traceDescription
        trace.append(String(repeating: " ", count: max(0, 12 - time.count)) + time + "  " + line)
    }

    static func describe(_ result: Result<IPMIResponse, ConsoleError>) -> String {
        switch result {
        case .success(let response): "ok \(response)"
        case .failure(let error): "error \(error)"
        }
    }
}
