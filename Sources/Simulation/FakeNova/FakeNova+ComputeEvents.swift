/// Queued mode of power-update (nova.md §1.7, §1.8, §2): one cast per host per request, delivered after
/// `eventDelay`; each host's worker handles casts in order, one event at a time, each under the instance lock.
extension FakeNova {
    /// Turns this request's accepted power-updates into one cast per host, hosts in order of first appearance.
    mutating func castPendingEvents() {
        var order: [String] = []
        var byHost: [String: [NovaCompute.QueuedEvent]] = [:]
        for item in pendingCompute {
            guard let host = item.snapshot.host else { continue }
            if byHost[host] == nil { order.append(host) }
            byHost[host, default: []].append(.init(receivedIndex: item.receivedIndex, snapshot: item.snapshot, tag: item.tag))
        }
        pendingCompute = []
        for host in order {
            let cast = NovaCompute.Cast(id: compute.makeID(), events: byHost[host] ?? [])
            compute.hosts[host, default: .init()].casts.append(cast)
            emit(.startTimer(.castDelivered(host: host, cast: cast.id), after: compute.configuration.eventDelay))
        }
    }

    mutating func castDelivered(host: String, cast: Int, now: Duration) {
        guard let index = compute.hosts[host]?.casts.firstIndex(where: { $0.id == cast }) else { return }
        compute.hosts[host]?.casts[index].delivered = true
        runHostWorker(host, now: now)
    }

    /// Handles the head cast's events in order until one must wait for its instance lock (head-of-line blocking).
    private mutating func runHostWorker(_ host: String, now: Duration) {
        while let queue = compute.hosts[host], !queue.waitingForLock, let head = queue.casts.first, head.delivered {
            guard head.next < head.events.count else {
                compute.hosts[host]?.casts.removeFirst()
                continue
            }
            let event = head.events[head.next]
            log(.debug, event.snapshot.uuid, "Handling power-update event with target_power_state \(event.tag)", now: now)
            guard acquireLock(event.snapshot.uuid, for: .event(host: host)) else {
                compute.hosts[host]?.waitingForLock = true
                return
            }
            applyHeadEvent(host: host, now: now)
        }
        if compute.hosts[host]?.casts.isEmpty == true { compute.hosts[host] = nil }
    }

    /// The lock was handed to this host's waiting event.
    mutating func eventLockAcquired(host: String, now: Duration) {
        compute.hosts[host]?.waitingForLock = false
        applyHeadEvent(host: host, now: now)
        runHostWorker(host, now: now)
    }

    /// `power_update` with the lock held: precondition on the snapshot (or this cast's in-memory object), CAS.
    private mutating func applyHeadEvent(host: String, now: Duration) {
        guard var cast = compute.hosts[host]?.casts.first else { return }
        let event = cast.events[cast.next]
        let uuid = event.snapshot.uuid
        let (outcome, message) = powerUpdate(snapshot: cast.working[uuid] ?? event.snapshot, tag: event.tag, now: now)
        received[event.receivedIndex].outcome = outcome
        received[event.receivedIndex].log = message
        if outcome == .applied { cast.working[uuid] = instances[uuid] }
        cast.next += 1
        compute.hosts[host]?.casts[0] = cast
        log(.info, uuid, message, now: now)
        releaseLock(uuid, now: now)
    }
}
