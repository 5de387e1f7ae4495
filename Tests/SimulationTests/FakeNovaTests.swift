import Foundation
import Simulation
import Testing

/// The fake Nova's model against nova.md §1–§2. Messages are compared where nova.md gives the wording.
@Suite struct FakeNovaTests {
    static let on1 = "11111111-1111-4111-8111-111111111111"
    static let off2 = "22222222-2222-4222-8222-222222222222"
    static let noHost = "55555555-5555-4555-8555-555555555555"
    static let unknown = "44444444-4444-4444-8444-444444444444"

    static func nova() -> FakeNova {
        var nova = FakeNova()
        nova.add(FakeNovaInstance(uuid: on1, vmState: "active", powerState: 1, host: "c1"))
        nova.add(FakeNovaInstance(uuid: off2, vmState: "stopped", powerState: 4, host: "c1"))
        nova.add(FakeNovaInstance(uuid: noHost, vmState: "shelved_offloaded", powerState: 4, host: nil))
        return nova
    }

    static func body(_ events: [[String: Any]]) -> [UInt8] { json(["events": events]) }
    static func json(_ value: Any) -> [UInt8] { [UInt8](try! JSONSerialization.data(withJSONObject: value)) }
    static func event(_ uuid: String, _ tag: String? = nil) -> [String: Any] {
        var event: [String: Any] = ["name": "power-update", "server_uuid": uuid]
        if let tag { event["tag"] = tag }
        return event
    }

    /// Sends and decodes; returns the HTTP status and the decoded body.
    static func send(_ nova: inout FakeNova, _ body: [UInt8], _ version: String? = "compute 2.76") -> (Int, [String: Any]) {
        let (status, answer) = nova.handleExternalEvents(body: body, microversion: version)
        return (status, (try? JSONSerialization.jsonObject(with: Data(answer))) as? [String: Any] ?? [:])
    }

    static func message(_ body: [String: Any]) -> String {
        ((body.values.first as? [String: Any])?["message"] as? String) ?? ""
    }

    @Test func nova_md_example_gives_207_with_codes_in_request_order() {
        var nova = Self.nova()
        let (status, answer) = Self.send(&nova, Self.body([
            Self.event(Self.on1, "POWER_OFF"), Self.event(Self.off2, "POWER_ON"), Self.event(Self.off2),
            Self.event(Self.unknown, "POWER_ON"), Self.event(Self.noHost, "POWER_OFF"),
        ]))
        #expect(status == 207)
        let events = answer["events"] as? [[String: Any]] ?? []
        #expect(events.map { $0["code"] as? Int } == [200, 200, 400, 404, 422])
        #expect(events.map { $0["status"] as? String } == ["completed", "completed", "failed", "failed", "failed"])
        #expect(events.map { $0["server_uuid"] as? String } == [Self.on1, Self.off2, Self.off2, Self.unknown, Self.noHost])
        #expect(events[2]["tag"] == nil, "tag is echoed only when sent")
        #expect(events[0]["tag"] as? String == "POWER_OFF")
        #expect(nova.received.map(\.code) == [200, 200, 400, 404, 422])
    }

    @Test func all_accepted_is_200_and_all_failed_is_207_unless_train() {
        var nova = Self.nova()
        #expect(Self.send(&nova, Self.body([Self.event(Self.on1, "POWER_OFF")])).0 == 200)
        #expect(Self.send(&nova, Self.body([Self.event(Self.unknown, "POWER_OFF")])).0 == 207)
        nova.trainMode = true
        let (status, answer) = Self.send(&nova, Self.body([Self.event(Self.unknown, "POWER_OFF")]))
        #expect(status == 404)
        #expect(Self.message(answer) == "No instances found for any event")
    }

    @Test func unknown_instance_without_tag_is_404_not_400() {
        var nova = Self.nova()
        let (_, answer) = Self.send(&nova, Self.body([Self.event(Self.unknown)]))
        #expect((answer["events"] as? [[String: Any]])?.first?["code"] as? Int == 404)
    }

    @Test func power_update_needs_2_76() {
        var nova = Self.nova()
        let (status, answer) = Self.send(&nova, Self.body([Self.event(Self.on1, "POWER_OFF")]), "compute 2.75")
        #expect(status == 400)
        #expect(Self.message(answer) == "Invalid input for field/attribute name. Value: power-update. 'power-update' is not one of "
            + "['network-changed', 'network-vif-plugged', 'network-vif-unplugged', 'network-vif-deleted', 'volume-extended']")
        #expect(Self.send(&nova, Self.body([Self.event(Self.on1, "POWER_OFF")]), nil).0 == 400, "no header means 2.1")
        #expect(Self.send(&nova, Self.body([Self.event(Self.on1, "POWER_OFF")]), "2.76").0 == 200, "legacy header form")
        #expect(nova.received.count == 1, "rejected requests process nothing")
    }

    @Test func bad_microversions_are_400_and_406() {
        var nova = Self.nova()
        let (bad, badBody) = Self.send(&nova, Self.body([Self.event(Self.on1, "POWER_OFF")]), "compute 2.x")
        #expect(bad == 400)
        #expect(Self.message(badBody) == "API Version String 2.x is of invalid format. Must be of format MajorNum.MinorNum.")
        nova.maxMinor = 75
        let (tooNew, body) = Self.send(&nova, Self.body([Self.event(Self.on1, "POWER_OFF")]))
        #expect(tooNew == 406)
        #expect(Self.message(body) == "Version 2.76 is not supported by the API. Minimum is 2.1 and maximum is 2.75.")
    }

    @Test(arguments: [
        (#"{"events": []}"#, "Invalid input for field/attribute events. Value: []. [] should be non-empty"),
        (#"{}"#, "'events' is a required property"),
        (#"{"events": [{"name": "power-update", "tag": "POWER_ON"}]}"#,
         "Invalid input for field/attribute 0. Value: {'name': 'power-update', 'tag': 'POWER_ON'}. 'server_uuid' is a required property"),
        (#"{"events": [{"name": "power-update", "server_uuid": "node-1"}]}"#,
         "Invalid input for field/attribute server_uuid. Value: node-1. 'node-1' is not a 'uuid'"),
        (#"{"events": [{"name": "power-update", "server_uuid": "\#(on1)", "data": 1}]}"#,
         "Additional properties are not allowed ('data' was unexpected)"),
        (#"{"events": [{"name": "power-update", "server_uuid": "\#(on1)", "tag": "\#(String(repeating: "X", count: 256))"}]}"#,
         "is too long"),
        (#"{"events": [{"name": "power-update", "server_uuid": "\#(on1)", "status": "done"}]}"#,
         "Invalid input for field/attribute status. Value: done. 'done' is not one of ['failed', 'completed', 'in-progress']"),
        (#"{"events": [], "extra": 1}"#, "Additional properties are not allowed ('extra' was unexpected)"),
    ])
    func schema_errors_reject_the_whole_request(body: String, expected: String) {
        var nova = Self.nova()
        let (status, answer) = Self.send(&nova, Array(body.utf8))
        #expect(status == 400)
        #expect(answer["badRequest"] != nil)
        #expect(Self.message(answer).hasSuffix(expected), "\(Self.message(answer))")
        #expect(nova.received.isEmpty)
    }

    @Test func malformed_json_is_400() {
        var nova = Self.nova()
        let (status, answer) = Self.send(&nova, Array("{\"events\": [".utf8))
        #expect(status == 400)
        #expect(Self.message(answer) == "Malformed request body")
    }

    @Test func uuid_forms_pass_the_schema_but_only_the_exact_string_matches() {
        var nova = Self.nova()
        let dashless = Self.on1.replacingOccurrences(of: "-", with: "")
        let (status, answer) = Self.send(&nova, Self.body([Self.event(dashless, "POWER_OFF"), Self.event("{\(Self.on1)}", "POWER_OFF")]))
        #expect(status == 207)
        #expect((answer["events"] as? [[String: Any]])?.map { $0["code"] as? Int } == [404, 404])
    }

    @Test func body_over_114688_bytes_is_413_and_at_the_limit_is_not() {
        var nova = Self.nova()
        #expect(nova.handleExternalEvents(body: [UInt8](repeating: 0x20, count: 114_689), microversion: "2.76").status == 413)
        var exact = Self.body([Self.event(Self.on1, "POWER_OFF")])
        exact += [UInt8](repeating: 0x20, count: 114_688 - exact.count)
        #expect(nova.handleExternalEvents(body: exact, microversion: "2.76").status == 200)
    }

    @Test func power_updates_apply_and_repeat_is_a_no_op() {
        var nova = Self.nova()
        _ = Self.send(&nova, Self.body([Self.event(Self.on1, "POWER_OFF"), Self.event(Self.on1, "POWER_OFF"),
                                        Self.event(Self.off2, "POWER_ON")]))
        #expect(nova.instances[Self.on1] == FakeNovaInstance(uuid: Self.on1, vmState: "stopped", powerState: 4, host: "c1"))
        #expect(nova.instances[Self.off2]?.vmState == "active" && nova.instances[Self.off2]?.powerState == 1)
        #expect(nova.received.map(\.outcome) == [.applied, .noOp, .applied])
        #expect(nova.received[1].log.contains("is a no-op since the instance is in vm_state stopped, task_state None and power_state 4"))
    }

    @Test func duplicates_in_one_request_apply_in_order() {
        var nova = Self.nova()
        let (status, _) = Self.send(&nova, Self.body([Self.event(Self.off2, "POWER_ON"), Self.event(Self.off2, "POWER_OFF")]))
        #expect(status == 200)
        #expect(nova.instances[Self.off2]?.vmState == "stopped")
        #expect(nova.received.map(\.outcome) == [.applied, .applied])
    }

    @Test func busy_or_inconsistent_instances_get_200_and_a_no_op() {
        var nova = Self.nova()
        nova.instances[Self.on1]?.taskState = "powering-off"
        nova.add(FakeNovaInstance(uuid: Self.unknown, vmState: "active", powerState: 4, host: "c1"))
        let (status, _) = Self.send(&nova, Self.body([Self.event(Self.on1, "POWER_OFF"), Self.event(Self.unknown, "POWER_OFF"),
                                                      Self.event(Self.unknown, "POWER_ON")]))
        #expect(status == 200)
        #expect(nova.received.map(\.outcome) == [.noOp, .noOp, .noOp])
        #expect(nova.instances[Self.on1]?.taskState == "powering-off")
    }

    @Test func task_state_changed_after_the_api_snapshot_is_possibly_preempted() {
        var nova = Self.nova()
        nova.applyImmediately = false
        _ = Self.send(&nova, Self.body([Self.event(Self.on1, "POWER_OFF")]))
        #expect(nova.received.map(\.outcome) == [.pending])
        nova.instances[Self.on1]?.taskState = "powering-on"
        nova.deliverPendingCompute()
        #expect(nova.received[0].outcome == .preempted)
        #expect(nova.received[0].log.contains("possibly preempted: Conflict updating instance \(Self.on1). "
            + "Expected: {'task_state': [None]}. Actual: {'task_state': 'powering-on'}"))
        #expect(nova.instances[Self.on1]?.vmState == "active")
    }

    @Test func invalid_tags_and_status_failed() {
        var nova = Self.nova()
        let (status, _) = Self.send(&nova, Self.body([Self.event(Self.on1, "power_off"), Self.event(Self.on1, ""),
                                                      ["name": "power-update", "server_uuid": Self.off2, "tag": "POWER_ON", "status": "failed"]]))
        #expect(status == 200, "the API does not check tag values")
        #expect(nova.received.map(\.outcome) == [.invalidTag, .invalidTag, .applied], "status is ignored for power-update")
        #expect(nova.instances[Self.on1]?.vmState == "active")
    }

    @Test func keystone_issues_tokens_with_a_compute_catalog() throws {
        var nova = FakeNova(endpoint: "http://127.0.0.1:9999")
        let now = Date(timeIntervalSince1970: 1_000_000)
        let password: [String: Any] = ["auth": ["identity": ["methods": ["password"], "password": ["user": [
            "name": "ironic", "domain": ["name": "Default"], "password": "s3cret"]]],
            "scope": ["project": ["name": "service", "domain": ["name": "Default"]]]]]
        let answer = nova.authenticate(body: Self.json(password), now: now)
        #expect(answer.status == 201)
        let token = try #require(answer.headers["X-Subject-Token"])
        #expect(nova.isLive(token: token, now: now))
        #expect(!nova.isLive(token: token, now: now.addingTimeInterval(3600)), "expires after the TTL")
        let body = try #require(try JSONSerialization.jsonObject(with: Data(answer.body)) as? [String: Any])
        let catalog = ((body["token"] as? [String: Any])?["catalog"] as? [[String: Any]]) ?? []
        let compute = try #require(catalog.first { $0["type"] as? String == "compute" })
        let endpoints = (compute["endpoints"] as? [[String: Any]]) ?? []
        #expect(Set(endpoints.compactMap { $0["interface"] as? String }) == ["internal", "public"])
        #expect(endpoints.allSatisfy { $0["url"] as? String == "http://127.0.0.1:9999/v2.1" })

        let credential: [String: Any] = ["auth": ["identity": ["methods": ["application_credential"],
                                                               "application_credential": ["id": "ac1", "secret": "x"]]]]
        #expect(nova.authenticate(body: Self.json(credential), now: now).status == 201)
        var scoped = credential
        scoped["auth"] = (credential["auth"] as! [String: Any]).merging(["scope": ["project": ["id": "p1"]]]) { $1 }
        #expect(nova.authenticate(body: Self.json(scoped), now: now).status == 401)
        nova.keystoneSecret = "right"
        #expect(nova.authenticate(body: Self.json(credential), now: now).status == 401)
        nova.revokeTokens()
        #expect(!nova.isLive(token: token, now: now))
    }

    @Test func fault_knobs_gate_requests_in_order() throws {
        var nova = Self.nova()
        let now = Date()
        let token = try #require(nova.authenticate(body: Self.json(["auth": ["identity": ["methods": ["application_credential"],
            "application_credential": ["id": "ac1", "secret": "x"]]]]), now: now).headers["X-Subject-Token"])
        #expect(nova.admitExternalEvents(token: token, now: now) == nil)
        #expect(nova.admitExternalEvents(token: nil, now: now)?.status == 401)
        #expect(nova.admitExternalEvents(token: "forged", now: now)?.status == 401)
        nova.faults.unauthorizedNext = 1
        nova.faults.failNext = 2
        nova.faults.failStatus = 502
        #expect([0, 1, 2, 3].map { _ in nova.admitExternalEvents(token: token, now: now)?.status } == [401, 502, 502, nil])
        nova.faults.outage = true
        #expect(nova.admitExternalEvents(token: token, now: now)?.status == 503)
        #expect(nova.outageResponse()?.status == 503)
    }
}
