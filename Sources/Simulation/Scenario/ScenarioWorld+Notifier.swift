import ControllerCore
import Foundation

// The Nova outbox and the notifier, as NovaNotifier does it: poll the outbox past the watermark, run the machine,
// settle before sending; requests reach the Nova model's API after `apiLatency`.
extension ScenarioWorld {
    mutating func appendOutbox(_ update: NovaPowerUpdate, node index: Int, previous: PowerState?, requestedByNova: Bool) {
        nextOutboxID += 1
        let event = NovaPendingEvent(id: nextOutboxID, nodeID: nodes[index].id, update: update)
        unsettled[event.id] = event
        newOutboxRows.append(event)
        counters.eventsQueued += 1
        holdRecorded(node: index, previous: previous, update: update, requestedByNova: requestedByNova)
        // The shell polls every interval; only polls that find rows matter, so only those are scheduled.
        if !notifierPollScheduled {
            notifierPollScheduled = true
            let interval = notifierPollInterval.simNanoseconds
            let next = (now.simNanoseconds / interval + 1) * interval
            scheduler.schedule(.notifierPoll, at: .nanoseconds(next))
        }
    }

    mutating func pollOutbox() {
        notifierPollScheduled = false
        guard !newOutboxRows.isEmpty else { return }
        let rows = newOutboxRows
        newOutboxRows = []
        notifierHandle(.eventsQueued(rows))
    }

    mutating func notifierHandle(_ event: NovaNotifierMachine.Event) {
        for action in notifier.handle(event, using: &notifierRandom) {
            switch action {
            case .startTimer(let token, let delay):
                scheduler.schedule(.notifierTimer(token), after: delay)
            case .send(let request):
                counters.novaRequests += 1
                record(.send, "notifier", "power-update ×\(request.events.count)", peer: "nova-api", id: "n\(request.id.value)")
                scheduler.schedule(.novaAPIRequest(request), after: scenario.nova.apiLatency)
            case .authenticate:
                scheduler.schedule(.notifierAuthenticated, after: scenario.nova.apiLatency)
            case .settle(let settlements):
                settle(settlements)
            case .reportConfigurationError(let message):
                record(.note, "notifier", "configuration error: \(message)")
            case .clearConfigurationError, .stopped:
                break
            }
        }
    }

    private mutating func settle(_ settlements: [NovaSettlement]) {
        for settlement in settlements {
            unsettled[settlement.event.id] = nil
            switch settlement.outcome {
            case .delivered:
                counters.eventsDelivered += 1
            case .dropped(let reason):
                counters.eventsDropped += 1
                if let index = indexByID[settlement.event.nodeID] {
                    record(.note, "notifier", "\(names[index]) \(settlement.event.update.tag.rawValue) dropped: \(reason)")
                }
            }
        }
    }

    /// nova-api receives one request: outage, order check, then the fake Nova's handler; accepted power-updates
    /// go to compute after `eventDelay`.
    mutating func novaAPIReceived(_ request: NovaNotifierMachine.Request) {
        let id = "n\(request.id.value)"
        record(.receive, "notifier", "power-update ×\(request.events.count)", peer: "nova-api", id: id)
        let result: NovaRequestResult
        let label: String
        if let outage = nova.outageResponse() {
            result = .failed(.status(outage.status, body: "outage"))
            label = "\(outage.status)"
        } else {
            checkDeliveredInOrder(request.events)
            let answer = nova.handleExternalEvents(body: request.body, microversion: "2.76", now: now)
            result = Self.translate(status: answer.status, body: answer.body)
            label = "\(answer.status)"
            performCompute(answer.actions)
        }
        record(.send, "nova-api", label, peer: "notifier", id: id + "r")
        scheduler.schedule(.notifierResponse(request.id, result, label: label), after: scenario.nova.apiLatency)
    }

    mutating func notifierResponse(_ id: NovaNotifierMachine.BatchID, _ result: NovaRequestResult, label: String) {
        record(.receive, "nova-api", label, peer: "notifier", id: "n\(id.value)r")
        notifierHandle(.requestCompleted(id, result))
    }

    private mutating func checkDeliveredInOrder(_ events: [NovaPendingEvent]) {
        for event in events {
            if let last = lastReceivedByInstance[event.instance], last > event.id {
                violate(.deliveredInOrder, "instance \(event.instance): event \(event.id) arrived after newer event \(last)")
            }
            lastReceivedByInstance[event.instance] = max(lastReceivedByInstance[event.instance] ?? 0, event.id)
        }
    }

    /// Nova's answer in the machine's terms (as the production client's NovaResponse does).
    static func translate(status: Int, body: [UInt8]) -> NovaRequestResult {
        guard status == 200 || status == 207 else {
            return .failed(.status(status, body: String(decoding: body, as: UTF8.self)))
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
              let events = object["events"] as? [[String: Any]] else {
            return .failed(.invalidResponse("no events in the \(status) body"))
        }
        return .perEvent(events.map { ($0["code"] as? NSNumber)?.intValue ?? 500 })
    }
}
