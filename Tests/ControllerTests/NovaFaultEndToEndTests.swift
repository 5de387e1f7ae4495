import Controller
import ControllerCore
import Foundation
import Simulation
import Testing
import TestSupport

/// Nova's partial and whole-request refusals, from the fake Nova over HTTP: 207 with 404 and 422, 401 after a
/// revoked token, 413 over the body limit.
@Suite("Nova end to end: 207, 401, 413 from the fake Nova")
struct NovaFaultEndToEndTests {
    static func codes(_ events: [[String: Any]], _ uuid: String) -> [Int] {
        events.filter { $0["server_uuid"] as? String == uuid }.compactMap { $0["code"] as? Int }
    }

    @Test("207: unknown instance → 404 dropped and in the node's history; no host → 422 retried, then dropped; good → applied")
    func mixedResults() async throws {
        let good = NovaNotifierTests.uuids[0], unknown = NovaNotifierTests.uuids[1], hostless = NovaNotifierTests.uuids[2]
        try await withFakeNova([runningInstance(good), runningInstance(hostless, host: nil)]) { nova in
            let store = try await NovaNotifierTests.store(nodes: 3)
            try await NovaNotifierTests.queue(store, [(0, .powerOff), (1, .powerOff), (2, .powerOff)])
            try await withNotifier(store, nova.keystone) { _ in
                try await eventually("all three settled") { try await pendingCount(store) == 0 }
            }
            let events = try await nova.events()
            #expect(Self.codes(events, good) == [200])
            #expect(Self.codes(events, unknown) == [404])
            let noHost = Self.codes(events, hostless)
            #expect(noHost.count >= 2 && noHost.allSatisfy { $0 == 422 }, "retried: \(noHost)")
            #expect(try await nova.powerState(good) == 4)
            #expect(events.first { $0["server_uuid"] as? String == good }?["outcome"] as? String == "applied")

            let dropped = Dictionary(uniqueKeysWithValues: try await store.outbox(state: .dropped, limit: 10)
                .map { ($0.event.serverUUID, $0.reason ?? "") })
            #expect(dropped[unknown] == NovaDropReason.instanceNotFound)
            #expect(dropped[hostless]?.contains("(422)") == true && dropped[hostless]?.contains("gave up") == true, "\(dropped)")
            #expect(try await store.outbox(state: .delivered, limit: 10).map(\.event.serverUUID) == [good])
            let history = try await store.history(nodeID: "node-1", limit: 10)
            #expect(history.last?.event == "Nova power-update POWER_OFF for instance \(unknown) (event 2) dropped: "
                + NovaDropReason.instanceNotFound)
            #expect(try await store.history(nodeID: "node-2", limit: 10).last?.severity == .error)
        }
    }

    @Test("401: revoked tokens and an injected 401 make the notifier re-authenticate and deliver")
    func reauthenticates() async throws {
        let uuids = NovaNotifierTests.uuids
        try await withFakeNova((0..<3).map { runningInstance(uuids[$0]) }) { nova in
            let store = try await NovaNotifierTests.store(nodes: 3)
            try await withNotifier(store, nova.keystone) { _ in
                try await NovaNotifierTests.queue(store, [(0, .powerOff)])
                try await eventually("first event delivered") { try await pendingCount(store) == 0 }
                try await nova.faults(["revoke_tokens": true])
                try await NovaNotifierTests.queue(store, [(1, .powerOff)])
                try await eventually("delivered with a new token") { try await pendingCount(store) == 0 }
                try await nova.faults(["unauthorized_next": 1])
                try await NovaNotifierTests.queue(store, [(2, .powerOff)])
                try await eventually("delivered after an injected 401") { try await pendingCount(store) == 0 }
            }
            #expect(try await store.outbox(state: .delivered, limit: 10).count == 3)
            for index in 0..<3 { #expect(try await nova.powerState(uuids[index]) == 4) }
            #expect(try await nova.events().count == 3, "each event reached Nova once")
        }
    }

    @Test("413: a body over Nova's limit is split until it fits, and every event is delivered")
    func splitsOn413() async throws {
        let uuids = NovaNotifierTests.uuids
        try await withFakeNova((0..<8).map { runningInstance(uuids[$0]) }) { nova in
            // About three events fit; the notifier does not know the limit, so only 413s can teach it.
            try await nova.faults(["max_body_bytes": 300])
            let store = try await NovaNotifierTests.store(nodes: 8)
            try await NovaNotifierTests.queue(store, (0..<8).map { ($0, .powerOff) })
            try await withNotifier(store, nova.keystone) { _ in
                try await eventually("all delivered") { try await pendingCount(store) == 0 }
            }
            #expect(try await store.outbox(state: .delivered, limit: 20).count == 8)
            let events = try await nova.events()
            #expect(events.count == 8)
            #expect(Set(events.compactMap { $0["request"] as? Int }).count >= 3, "split into several requests")
            for index in 0..<8 { #expect(try await nova.powerState(uuids[index]) == 4) }
        }
    }
}
