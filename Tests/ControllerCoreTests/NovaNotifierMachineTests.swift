import ControllerCore
import Testing

@Suite("Nova notifier: batching, coalescing, results, failures")
struct NovaNotifierMachineTests {
    @Test("The body is Nova's exact compact shape, and strings are escaped")
    func bodyBytes() {
        let body = NovaEventBody.body([NovaPowerUpdate(serverUUID: instanceUUID(1), tag: .powerOff, at: .epoch)])
        let expected = #"{"events":[{"name":"power-update","server_uuid":"00000000-0000-4000-8000-000000000001","tag":"POWER_OFF"}]}"#
        #expect(body == Array(expected.utf8))
        let odd = NovaEventBody.body([NovaPowerUpdate(serverUUID: "a\"b\\c\nd\u{01}é", tag: .powerOn, at: .epoch)])
        #expect(novaEvents(odd)?.first?.uuid == "a\"b\\c\nd\u{01}é")
    }

    @Test("A lone event waits for the window, then goes out with everything queued meanwhile")
    func window() {
        var nova = NovaHarness(NovaNotifierConfiguration(maxBatchDelay: .seconds(1)))
        nova.queue([(instanceUUID(1), .powerOn)])
        #expect(nova.sent.isEmpty)
        #expect(nova.timers.map(\.after) == [.milliseconds(100)])
        nova.fireNextTimer()
        #expect(nova.sent.isEmpty)  // one quiet window: another one
        nova.fireNextTimer()
        #expect(nova.sent.map { $0.events.map(\.id) } == [[1]])
        #expect(nova.now == .milliseconds(200))
        nova.completeAll(200)
        nova.queue([(instanceUUID(2), .powerOff)])
        nova.queue([(instanceUUID(3), .powerOn)])
        #expect(nova.timers.count == 1)  // the window is not restarted
        nova.fireNextTimer()
        nova.fireNextTimer()
        // Events arrived during the first window: two quiet ones then end it.
        #expect(nova.sent.count == 1)
        nova.fireNextTimer()
        #expect(nova.sent.count == 2)
        #expect(nova.sent[1].events.map(\.id) == [2, 3])
        #expect(nova.sent[1].timeout == .seconds(30))
        nova.completeAll(200)
        #expect(nova.settlements.map(\.outcome) == Array(repeating: .delivered, count: 3))
        #expect(nova.machine.unsettledCount == 0)
    }

    @Test("Without a maxBatchDelay, one window, as before: events queued meanwhile go with it")
    func oneWindowByDefault() {
        var nova = NovaHarness()
        nova.queue([(instanceUUID(1), .powerOn)])
        nova.queue([(instanceUUID(2), .powerOff)])
        nova.fireNextTimer()
        #expect(nova.sent.map { $0.events.map(\.id) } == [[1, 2]])
    }

    @Test("While events keep arriving, a short batch waits window after window, at most maxBatchDelay in all")
    func windowExtension() {
        var nova = NovaHarness(NovaNotifierConfiguration(maxBatchDelay: .milliseconds(300)))
        nova.queue([(instanceUUID(0), .powerOn)])
        for index in 1...5 {
            nova.queue([(instanceUUID(index), .powerOn)])
            nova.fireNextTimer()
        }
        // Three windows of 100 ms: the third ends the wait although events still arrive.
        #expect(nova.now == .milliseconds(300))
        #expect(nova.sent.map { $0.events.count } == [4])
    }

    @Test("Events that arrive while a request is out wait a window unless they fill a batch; older ones go at once")
    func arrivalsDuringFlight() {
        var nova = NovaHarness(NovaNotifierConfiguration(maxBatchDelay: .seconds(1), maxEventsPerRequest: 3))
        nova.queue((0..<4).map { (instanceUUID($0), .powerOn) })
        #expect(nova.sent.map { $0.events.count } == [3])  // full: at once
        nova.completeAll(200)
        #expect(nova.sent.map { $0.events.count } == [3, 1])  // waited before the request: at once
        nova.queue([(instanceUUID(10), .powerOff)])
        nova.completeAll(200)
        #expect(nova.sent.count == 2)  // arrived during the flight: windows first, until two are quiet
        nova.fireNextTimer()
        #expect(nova.sent.count == 2)
        nova.fireNextTimer()
        #expect(nova.sent.count == 3)
        nova.queue((20..<24).map { (instanceUUID($0), .powerOn) })
        nova.completeAll(200)
        #expect(nova.sent.map { $0.events.count } == [3, 1, 1, 3])  // a full batch still goes at once
    }

    @Test("Events queued during the first window extend it; two quiet windows then send them all in one request")
    func windowExtendedByArrivals() {
        var nova = NovaHarness(NovaNotifierConfiguration(maxBatchDelay: .seconds(1)))
        nova.queue([(instanceUUID(1), .powerOn)])
        nova.queue([(instanceUUID(2), .powerOff), (instanceUUID(3), .powerOn)])
        nova.fireNextTimer()
        nova.fireNextTimer()
        #expect(nova.sent.isEmpty)
        nova.fireNextTimer()
        #expect(nova.sent.count == 1)
        #expect(nova.sent[0].events.map(\.id) == [1, 2, 3])
        #expect(nova.sent[0].timeout == .seconds(30))
        nova.completeAll(200)
        #expect(nova.settlements.map(\.outcome) == Array(repeating: .delivered, count: 3))
        #expect(nova.machine.unsettledCount == 0)
    }

    @Test("10,000 events go out in at most 10 valid requests, none over the byte cap, without waiting for the window")
    func sizeCap() {
        var nova = NovaHarness()
        nova.queue((0..<10_000).map { (instanceUUID($0), $0.isMultiple(of: 2) ? .powerOn : .powerOff) })
        #expect(nova.sent.count == 1)  // full: sent at once
        #expect(nova.timers.isEmpty)
        while nova.inFlight != nil { nova.completeAll(200) }
        #expect(nova.sent.count <= 10)
        var seen: [String] = []
        for request in nova.sent {
            #expect(request.body.count <= NovaNotifierConfiguration.novaBodyLimit)
            #expect(request.body.count <= NovaNotifierConfiguration().maxBodyBytes)
            let events = novaEvents(request.body)
            #expect(events?.count == request.events.count)
            seen += events?.map(\.uuid) ?? []
        }
        #expect(seen == (0..<10_000).map(instanceUUID))
        #expect(nova.settlements.count == 10_000)
    }

    @Test("A small byte cap splits batches before the count cap")
    func byteCap() {
        let config = NovaNotifierConfiguration(maxBodyBytes: 1_000)
        var nova = NovaHarness(config)
        nova.queue((0..<50).map { (instanceUUID($0), .powerOn) })
        while nova.inFlight != nil { nova.completeAll(200) }
        #expect(nova.sent.count > 1)
        #expect(nova.sent.allSatisfy { $0.body.count <= 1_000 && novaEvents($0.body) != nil })
        #expect(nova.sent.flatMap(\.events).count == 50)
    }

    @Test("Per instance only the newest event is sent; older ones are settled as superseded")
    func coalescing() {
        var nova = NovaHarness()
        nova.queue([(instanceUUID(1), .powerOn), (instanceUUID(2), .powerOn)])
        nova.queue([(instanceUUID(1), .powerOff)])
        nova.queue([(instanceUUID(1), .powerOn)])
        nova.fireNextTimer()
        #expect(nova.sent[0].events.map(\.id) == [2, 4])
        #expect(nova.settlement(of: 1)?.reason == "superseded by event 3")
        #expect(nova.settlement(of: 3)?.reason == "superseded by event 4")
        #expect(nova.settlement(of: 3)?.historyEntry(at: .epoch).eventType == .nova)
    }

    @Test("An event in flight is not superseded; if its request fails, the newer one replaces it")
    func supersedeAcrossRetry() {
        var nova = NovaHarness()
        nova.queue([(instanceUUID(1), .powerOn)])
        nova.fireNextTimer()
        nova.queue([(instanceUUID(1), .powerOff)])
        #expect(nova.settlements.isEmpty)
        nova.complete(.failed(.status(503, body: "")))
        #expect(nova.settlement(of: 1)?.reason == "superseded by event 2")
        nova.fireNextTimer()  // back-off
        #expect(nova.sent.last?.events.map(\.id) == [2])
    }

    @Test("207: results are matched by position; 404 and 400 drop, 422 retries a bounded number of times")
    func mixedResults() {
        var nova = NovaHarness(NovaNotifierConfiguration(maxNoHostRetries: 2))
        nova.queue([(instanceUUID(1), .powerOn), (instanceUUID(2), .powerOn), (instanceUUID(3), .powerOn), (instanceUUID(4), .powerOff)])
        nova.fireNextTimer()
        nova.complete(.perEvent([200, 404, 400, 422]))
        #expect(nova.settlement(of: 1)?.outcome == .delivered)
        #expect(nova.settlement(of: 2)?.reason == NovaDropReason.instanceNotFound)
        #expect(nova.settlement(of: 3)?.reason == NovaDropReason.eventRejected)
        #expect(nova.settlement(of: 3)?.severity == .error)
        #expect(nova.settlement(of: 4) == nil)
        for attempt in 2...3 {
            nova.fireNextTimer()
            #expect(nova.sent.count == attempt)
            #expect(nova.sent.last?.events.map(\.id) == [4])
            nova.complete(.perEvent([422]))
        }
        #expect(nova.settlement(of: 4)?.reason == "instance has no host in Nova (422); gave up after 3 attempts")
        #expect(nova.machine.unsettledCount == 0)
    }

    @Test("422 retry delays grow from noHostRetryDelay")
    func noHostDelays() {
        var nova = NovaHarness(NovaNotifierConfiguration(maxNoHostRetries: 3, noHostRetryDelay: .seconds(4)))
        nova.queue([(instanceUUID(1), .powerOn)])
        nova.fireNextTimer()
        var ceilings: [Duration] = []
        for _ in 0..<3 {
            nova.complete(.perEvent([422]))
            let delay = nova.timers.last!.after
            ceilings.append(NovaBackOff.ceiling(failures: ceilings.count + 1, base: .seconds(4), cap: .seconds(60)))
            #expect(delay >= ceilings.last! / 2 && delay <= ceilings.last!)
            nova.fireNextTimer()
        }
        #expect(ceilings == [.seconds(4), .seconds(8), .seconds(16)])
    }

    @Test("A newer event supersedes one parked after a 422")
    func parkedSuperseded() {
        var nova = NovaHarness()
        nova.queue([(instanceUUID(1), .powerOn)])
        nova.fireNextTimer()
        nova.complete(.perEvent([422]))
        nova.queue([(instanceUUID(1), .powerOff)])
        #expect(nova.settlement(of: 1)?.reason == "superseded by event 2")
        while nova.fireNextTimer() {}
        #expect(nova.sent.map { $0.events.map(\.id) } == [[1], [2]])
    }

    @Test("A 422 for an event whose newer one already waits settles it as superseded, not retried")
    func noHostWithNewerWaiting() {
        var nova = NovaHarness()
        nova.queue([(instanceUUID(1), .powerOn)])
        nova.fireNextTimer()
        nova.queue([(instanceUUID(1), .powerOff)])
        nova.complete(.perEvent([422]))
        #expect(nova.settlement(of: 1)?.reason == "superseded by event 2")
        #expect(nova.sent.last?.events.map(\.id) == [2])
    }

    @Test("413 splits the batch in halves and remembers the smaller size; a lone event still refused is dropped")
    func tooLarge() {
        var nova = NovaHarness()
        nova.queue((1...4).map { (instanceUUID($0), .powerOn) })
        nova.fireNextTimer()
        nova.complete(.failed(.status(413, body: "")))
        #expect(nova.sent.last?.events.map(\.id) == [1, 2])
        nova.complete(.failed(.status(413, body: "")))
        #expect(nova.sent.last?.events.map(\.id) == [1])
        nova.complete(.failed(.status(413, body: "")))
        #expect(nova.settlement(of: 1)?.reason == NovaDropReason.tooLargeAlone)
        #expect(nova.sent.last?.events.map(\.id) == [2])
        nova.completeAll(200)
        #expect(nova.sent.last?.events.map(\.id) == [3])  // the learned cap is now one event
        nova.completeAll(200)
        nova.completeAll(200)
        #expect(nova.machine.unsettledCount == 0)
        #expect(nova.timers.isEmpty)  // the window fired; 413 never backs off
    }

    @Test("A whole-request 400 is bisected until the bad event is alone; it is dropped with Nova's body")
    func badRequestBisect() {
        var nova = NovaHarness()
        nova.queue((1...4).map { (instanceUUID($0), .powerOn) })
        nova.fireNextTimer()
        while let request = nova.inFlight {
            if request.events.contains(where: { $0.id == 3 }) {
                nova.complete(.failed(.status(400, body: "bad uuid")))
            } else {
                nova.completeAll(200)
            }
        }
        #expect(nova.settlement(of: 3)?.reason == "Nova rejected the request (400) with this event alone: bad uuid")
        #expect([1, 2, 4].allSatisfy { nova.settlement(of: $0)?.outcome == .delivered })
        #expect(nova.sent.count == 5)  // [1-4], [1,2], [3,4], [3], [4]
    }

    @Test("401: re-authenticate once and resend; a second 401 backs off, then authenticates again")
    func unauthorized() {
        var nova = NovaHarness()
        nova.queue([(instanceUUID(1), .powerOn)])
        nova.fireNextTimer()
        nova.complete(.failed(.status(401, body: "")))
        #expect(nova.authenticateRequests == 1)
        #expect(nova.inFlight == nil)
        nova.handle(.authenticated)
        #expect(nova.sent.count == 2)
        nova.complete(.failed(.status(401, body: "")))
        #expect(nova.authenticateRequests == 1)
        #expect(nova.timers.last.map { $0.after >= .milliseconds(500) && $0.after <= .seconds(1) } == true)
        nova.fireNextTimer()
        #expect(nova.authenticateRequests == 2)
        nova.handle(.authenticationFailed("keystone down"))
        #expect(nova.machine.consecutiveFailures == 2)
        nova.fireNextTimer()
        #expect(nova.authenticateRequests == 3)
        nova.handle(.authenticated)
        nova.completeAll(200)
        #expect(nova.settlement(of: 1)?.outcome == .delivered)
        #expect(nova.machine.consecutiveFailures == 0)
    }

    @Test("403 reports a configuration error, waits the cap, and clears on the next success")
    func forbidden() {
        var nova = NovaHarness()
        nova.queue([(instanceUUID(1), .powerOn)])
        nova.fireNextTimer()
        nova.complete(.failed(.status(403, body: "policy")))
        #expect(nova.configurationErrors.count == 1)
        #expect(nova.configurationErrors[0].contains("403"))
        #expect(nova.machine.hasConfigurationError)
        #expect(nova.timers.last?.after == .seconds(60))
        #expect(nova.settlements.isEmpty)
        nova.fireNextTimer()
        nova.completeAll(200)
        #expect(nova.cleared == 1)
        #expect(!nova.machine.hasConfigurationError)
    }

    @Test("Back-off doubles to the cap with jitter in [d/2, d], and a success resets it")
    func backOff() {
        var nova = NovaHarness(seed: 7)
        nova.queue([(instanceUUID(1), .powerOn)])
        nova.fireNextTimer()
        let failures: [NovaRequestFailure] = [.timeout, .connectionRefused, .status(500, body: ""), .status(503, body: ""), .transport("reset"), .timeout, .timeout, .timeout, .status(429, body: "")]
        let ceilings: [Duration] = [1, 2, 4, 8, 16, 32, 60, 60, 60].map { .seconds($0) }
        var delays: [Duration] = []
        for failure in failures {
            nova.complete(.failed(failure))
            delays.append(nova.timers.last!.after)
            nova.fireNextTimer()
        }
        for (delay, ceiling) in zip(delays, ceilings) {
            #expect(delay >= ceiling / 2 && delay <= ceiling)
        }
        #expect(Set(delays).count > 5)  // jittered, not fixed
        nova.completeAll(200)
        nova.queue([(instanceUUID(2), .powerOn)])
        nova.fireNextTimer()
        nova.complete(.failed(.timeout))
        #expect(nova.timers.last!.after <= .seconds(1))
    }

    @Test("An answer that does not match the request one-to-one is a failure, not a guess")
    func mismatchedResults() {
        var nova = NovaHarness()
        nova.queue([(instanceUUID(1), .powerOn), (instanceUUID(2), .powerOn)])
        nova.fireNextTimer()
        nova.complete(.perEvent([200]))
        #expect(nova.settlements.isEmpty)
        #expect(nova.machine.consecutiveFailures == 1)
    }

    @Test("Shutdown waits for the request in flight, settles it, then stops; nothing more is sent")
    func shutdown() {
        var nova = NovaHarness()
        nova.queue([(instanceUUID(1), .powerOn)])
        nova.fireNextTimer()
        nova.queue([(instanceUUID(2), .powerOn)])
        nova.handle(.shutdown)
        #expect(!nova.stopped)
        nova.completeAll(200)
        #expect(nova.stopped)
        #expect(nova.settlements.map(\.event.id) == [1])
        #expect(nova.sent.count == 1)
        #expect(nova.handle(.eventsQueued([])).isEmpty)
        while nova.fireNextTimer() {}
        #expect(nova.sent.count == 1)

        var idle = NovaHarness()
        idle.queue([(instanceUUID(1), .powerOn)])
        idle.handle(.shutdown)
        #expect(idle.stopped && idle.sent.isEmpty && idle.settlements.isEmpty)
    }

    @Test("Disabled notifications and bad instance uuids are dropped with a reason, never sent")
    func droppedOnArrival() {
        var off = NovaHarness(NovaNotifierConfiguration(enabled: false))
        off.queue([(instanceUUID(1), .powerOn)])
        #expect(off.settlement(of: 1)?.reason == NovaDropReason.disabled)
        #expect(off.timers.isEmpty && off.sent.isEmpty)

        var nova = NovaHarness()
        nova.queue([("node-1", .powerOn), (instanceUUID(2), .powerOn)])
        #expect(nova.settlement(of: 1)?.reason == "instance uuid 'node-1' is not a UUID")
        nova.fireNextTimer()
        #expect(nova.sent[0].events.map(\.id) == [2])
    }

    @Test("Rows already seen are ignored, so the shell may re-read the outbox")
    func watermark() {
        var nova = NovaHarness()
        let events = nova.queue([(instanceUUID(1), .powerOn)])
        nova.fireNextTimer()
        nova.handle(.eventsQueued(events))
        nova.completeAll(200)
        #expect(nova.sent.count == 1)
        #expect(nova.machine.watermark == 1)
    }

    @Test("Property: across random results, failures and arrivals, no instance ever gets an older event after a newer one", arguments: 0..<40)
    func ordering(seed: UInt64) {
        var dice = SplitMix64(seed: seed &* 0x9E37 &+ 1)
        var nova = NovaHarness(NovaNotifierConfiguration(maxEventsPerRequest: 4, maxNoHostRetries: 2), seed: seed)
        var lastSent: [String: Int64] = [:]
        var checkedRequests = 0
        var queued = 0

        func check(_ nova: NovaHarness) {
            for request in nova.sent[checkedRequests...] {
                let instances = request.events.map(\.instance)
                #expect(Set(instances).count == instances.count, "one event per instance per request")
                #expect(request.body.count <= NovaNotifierConfiguration().maxBodyBytes && novaEvents(request.body) != nil)
                for event in request.events {
                    #expect(event.id >= lastSent[event.instance, default: 0], "older event sent after a newer one")
                    lastSent[event.instance] = event.id
                }
            }
            checkedRequests = nova.sent.count
        }

        for _ in 0..<300 {
            switch dice.next() % 6 {
            case 0, 1:
                let count = Int(dice.next() % 3) + 1
                queued += count
                nova.queue((0..<count).map { _ in (instanceUUID(Int(dice.next() % 5)), dice.next() % 2 == 0 ? .powerOn : .powerOff) })
            case 2 where nova.inFlight != nil:
                let codes = [200, 200, 404, 400, 422, 500]
                nova.complete(.perEvent(nova.inFlight!.events.map { _ in codes[Int(dice.next() % 6)] }))
            case 3 where nova.inFlight != nil:
                let failures: [NovaRequestFailure] = [.timeout, .connectionRefused, .status(503, body: ""), .status(413, body: ""), .status(400, body: "x"), .status(401, body: ""), .status(403, body: "")]
                nova.complete(.failed(failures[Int(dice.next() % 7)]))
            case 4:
                nova.handle(dice.next() % 4 == 0 ? .authenticationFailed("no") : .authenticated)
            default:
                nova.fireNextTimer()
            }
            check(nova)
        }
        // Drain against a healthy Nova: every event must end settled, exactly once.
        for _ in 0..<10_000 where nova.machine.unsettledCount > 0 {
            if nova.inFlight != nil {
                nova.completeAll(200)
            } else if !nova.fireNextTimer() {
                nova.handle(.authenticated)
            }
            check(nova)
        }
        #expect(nova.machine.unsettledCount == 0)
        #expect(nova.settlements.count == queued)
        #expect(nova.sent.count > 10)
        #expect(Set(nova.settlements.map(\.event.id)).count == queued)
    }
}
