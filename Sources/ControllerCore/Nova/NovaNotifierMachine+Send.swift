/// Deciding when to send and what: the batch window, the size caps, split halves first.
extension NovaNotifierMachine {
    var maxEvents: Int { min(configuration.maxEventsPerRequest, learnedMaxEvents ?? .max) }

    var readyIsFull: Bool {
        ready.count >= maxEvents || NovaEventBody.size(eventBytes: readyBytes, count: ready.count) >= configuration.maxBodyBytes
    }

    /// `immediate`: the events have waited long enough (window over, or a request or back-off just ended).
    mutating func pump(immediate: Bool, _ step: inout Step) {
        guard !shuttingDown else { return }
        switch phase {
        case .idle, .windowOpen: break
        case .inFlight, .backingOff, .authenticating, .stopped: return
        }
        if let batch = takeSplitGroup() ?? (immediate || readyIsFull ? takeOldest() : nil) {
            send(batch, &step)
        } else if ready.isEmpty {
            phase = .idle  // an open window's timer goes stale
        } else if phase == .idle {
            windowsWaited = 0
            quietWindows = 0
            arrivedSinceLastLook = false
            openWindow(&step)
        }
    }

    mutating func openWindow(_ step: inout Step) {
        let token = makeToken()
        phase = .windowOpen(token)
        windowsWaited += 1
        step.others.append(.startTimer(token, after: configuration.batchWindow))
    }

    /// A window ends: while events keep arriving (no two quiet windows in a row) and the batch is short of the caps,
    /// wait another window, up to `maxBatchDelay` in all.
    mutating func shouldExtendWindow() -> Bool {
        quietWindows = arrivedSinceLastLook ? 0 : quietWindows + 1
        return configuration.fillsBatches && quietWindows < 2 && !readyIsFull
            && configuration.batchWindow * (windowsWaited + 1) <= configuration.maxBatchDelay
    }

    /// The oldest waiting events that fit the caps.
    mutating func takeOldest() -> [Entry]? {
        var batch: [Entry] = []
        var bytes = 0
        var consumed = 0
        for slot in order {
            guard isLive(slot) else {
                consumed += 1
                continue
            }
            let entry = ready[slot.instance]!
            guard fits(entry, count: batch.count, bytes: bytes) else { break }
            batch.append(entry)
            bytes += entry.encoded.count
            consumed += 1
        }
        order.removeFirst(consumed)
        for entry in batch { takeReady(entry.event.instance) }
        return batch.isEmpty ? nil : batch
    }

    /// The next half of a refused batch, with whatever is now the newest event of each of its instances.
    mutating func takeSplitGroup() -> [Entry]? {
        while !splitGroups.isEmpty {
            let group = splitGroups.removeFirst()
            let entries = group.compactMap { ready[$0] }.sorted { $0.event.id < $1.event.id }
            var batch: [Entry] = []
            var bytes = 0
            for entry in entries {
                guard fits(entry, count: batch.count, bytes: bytes) else { break }
                batch.append(entry)
                bytes += entry.encoded.count
            }
            if batch.count < entries.count {
                splitGroups.insert(entries[batch.count...].map(\.event.instance), at: 0)
            }
            for entry in batch { takeReady(entry.event.instance) }
            if !batch.isEmpty { return batch }
        }
        return nil
    }

    /// The first event always fits: a canonical uuid's event is within every allowed cap.
    func fits(_ entry: Entry, count: Int, bytes: Int) -> Bool {
        count == 0
            || (count < maxEvents
                && NovaEventBody.size(eventBytes: bytes + entry.encoded.count, count: count + 1) <= configuration.maxBodyBytes)
    }

    mutating func send(_ batch: [Entry], _ step: inout Step) {
        let id = BatchID(value: nextBatch)
        nextBatch += 1
        inFlight = batch
        phase = .inFlight(id)
        arrivedSinceLastLook = false
        let request = Request(
            id: id,
            body: NovaEventBody.body(batch.lazy.map(\.encoded)),
            events: batch.map(\.event),
            timeout: configuration.requestTimeout
        )
        step.others.append(.send(request))
    }

    mutating func backOff(_ delay: Duration, thenAuthenticate: Bool, _ step: inout Step) {
        let token = makeToken()
        phase = .backingOff(token, thenAuthenticate: thenAuthenticate)
        step.others.append(.startTimer(token, after: delay))
    }

    mutating func timerFired(_ token: TimerToken, _ step: inout Step) {
        if phase == .windowOpen(token) {
            if shouldExtendWindow() {
                arrivedSinceLastLook = false
                openWindow(&step)
            } else {
                phase = .idle
                pump(immediate: true, &step)
            }
        } else if case .backingOff(token, let thenAuthenticate) = phase {
            if thenAuthenticate && !shuttingDown {
                phase = .authenticating
                step.others.append(.authenticate)
            } else {
                phase = .idle
                pump(immediate: true, &step)
            }
        } else if let instances = parkTimers.removeValue(forKey: token) {
            for instance in instances where parked[instance]?.token == token {
                insertReady(parked.removeValue(forKey: instance)!.entry)
            }
            pump(immediate: true, &step)
        }
    }
}
