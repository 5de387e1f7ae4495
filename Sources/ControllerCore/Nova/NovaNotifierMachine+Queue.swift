/// Taking events in: validation, coalescing (newest per instance wins) and the ordered waiting set.
extension NovaNotifierMachine {
    mutating func queue(_ events: [NovaPendingEvent], _ step: inout Step) {
        for event in events.sorted(by: { $0.id < $1.id }) where event.id > watermark {
            watermark = event.id
            let entry = Entry(event: event, encoded: NovaEventBody.encode(event.update), attempts: 0)
            guard configuration.enabled else {
                step.drop(entry, NovaDropReason.disabled, .info)
                continue
            }
            guard NovaInstanceUUID.isValid(event.instance) else {
                step.drop(entry, NovaDropReason.invalidUUID(event.instance), .error)
                continue
            }
            // An older waiting or parked event is obsolete. One in flight is left alone: it went out first.
            if let older = takeReady(event.instance) {
                step.drop(older, NovaDropReason.superseded(by: event.id), .info)
            }
            if let older = parked.removeValue(forKey: event.instance) {
                step.drop(older.entry, NovaDropReason.superseded(by: event.id), .info)
            }
            insertReady(entry)
            arrivedSinceLastLook = true
        }
    }

    /// Puts an event back after a failed request, unless a newer one for its instance arrived meanwhile.
    mutating func requeue(_ entry: Entry, _ step: inout Step) {
        if let newer = ready[entry.event.instance] {
            step.drop(entry, NovaDropReason.superseded(by: newer.event.id), .info)
        } else {
            insertReady(entry)
            arrivedSinceLastLook = true
        }
    }

    mutating func insertReady(_ entry: Entry) {
        ready[entry.event.instance] = entry
        readyBytes += entry.encoded.count
        let slot = Slot(id: entry.event.id, instance: entry.event.instance)
        // Binary search: arrivals append, requeued (older) events go back in front of them.
        var low = 0
        var high = order.count
        while low < high {
            let mid = (low + high) / 2
            if order[mid].id < slot.id { low = mid + 1 } else { high = mid }
        }
        // A split batch leaves its slots in place; reuse one rather than making the id live twice.
        if low < order.count, order[low].id == slot.id { return }
        order.insert(slot, at: low)
    }

    @discardableResult
    mutating func takeReady(_ instance: String) -> Entry? {
        guard let entry = ready.removeValue(forKey: instance) else { return nil }
        readyBytes -= entry.encoded.count
        return entry
    }

    func isLive(_ slot: Slot) -> Bool { ready[slot.instance]?.event.id == slot.id }
}
