import Controller
import ControllerCore
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import TestSupport
import VirtualBMCCore

/// `GET /metrics` against a controller driving virtual BMCs: the values a test can know exactly, and the text format.
@Suite("Metrics")
struct MetricsTests {
    @Test("after a sync pass and a power action /metrics reports exact counts in valid Prometheus text")
    func scrapeAfterSyncAndAction() async throws {
        try await withController(count: 3, customize: { specs in
            for index in specs.indices { specs[index].powerOn = index != 2 }
        }) { harness in
            #expect(await harness.controller.syncPass().checked == 3)
            try await harness.controller.requestPowerAction(.powerOff, on: harness.nodeID(0))
            await harness.waitForAction(0)
            try await harness.controller.setMaintenance(true, reason: "disk swap", on: harness.nodeID(2))
            let queued = try await harness.store.outbox(state: nil, limit: 100).count
            #expect(queued == 4, "three unknown states recorded, one action")

            try await withAPI(harness.controller) { base in
                let (data, response) = try await URLSession.shared.data(from: URL(string: "\(base)/metrics")!)
                let http = try #require(response as? HTTPURLResponse)
                #expect(http.statusCode == 200)
                #expect(http.value(forHTTPHeaderField: "Content-Type") == "text/plain; version=0.0.4; charset=utf-8")
                let scrape = try PrometheusText(String(decoding: data, as: UTF8.self))

                #expect(scrape["ferrum_sync_passes_total"] == 1)
                #expect(scrape["ferrum_sync_pass_duration_seconds_count"] == 1)
                #expect(scrape["ferrum_sync_last_pass_checked"] == 3)
                #expect(scrape["ferrum_sync_last_pass_skipped"] == 0)
                #expect(scrape["ferrum_sync_last_pass_failures"] == 0)
                // Node 0 was switched off; node 2 is off and in maintenance.
                #expect(scrape[#"ferrum_nodes{power_state="power on"}"#] == 1)
                #expect(scrape[#"ferrum_nodes{power_state="power off"}"#] == 2)
                #expect(scrape[#"ferrum_nodes{power_state="error"}"#] == 0)
                #expect(scrape[#"ferrum_nodes{power_state="none"}"#] == 0)
                #expect(scrape["ferrum_nodes_maintenance"] == 1)
                #expect(scrape[#"ferrum_power_actions_started_total{action="power off"}"#] == 1)
                #expect(scrape[#"ferrum_power_actions_succeeded_total{action="power off"}"#] == 1)
                for action in PowerAction.allCases {
                    #expect(scrape[#"ferrum_power_actions_failed_total{action="\#(action.rawValue)"}"#] == 0)
                }
                #expect(scrape[#"ferrum_power_actions_started_total{action="power on"}"#] == 0)
                #expect(scrape["ferrum_nova_events_queued_total"] == Double(queued))
                // Three reads, then the action's Chassis Control and at least one read confirming it.
                #expect(try #require(scrape["ferrum_bmc_request_duration_seconds_count"]) >= 5)
                for kind in BMCErrorKind.allCases {
                    #expect(scrape[#"ferrum_bmc_request_errors_total{kind="\#(kind.rawValue)"}"#] == 0)
                }
                #expect(scrape["ferrum_bmc_sessions_open"] == 3, "one persistent session per BMC")
            }
        }
    }

    @Test("a dead BMC counts a timeout; wrong credentials count once, then the back-off refusal")
    func errorKinds() async throws {
        try await withController(count: 3, nodes: { specs in
            specs.enumerated().map { makeNode($0.offset, spec: $0.element, password: $0.offset == 2 ? "wrong" : nil) }
        }) { harness in
            try harness.fleet.setFaults(FaultSpec(dead: true), on: harness.specs[1].name)
            await harness.controller.syncPass()
            var scrape = try PrometheusText(String(decoding: await harness.controller.metrics.scrape(), as: UTF8.self))
            #expect(scrape[#"ferrum_bmc_request_errors_total{kind="timeout"}"#] == 1)
            #expect(scrape[#"ferrum_bmc_request_errors_total{kind="credentials"}"#] == 1)
            #expect(scrape[#"ferrum_bmc_request_errors_total{kind="backing_off"}"#] == 0)
            #expect(scrape["ferrum_sync_last_pass_checked"] == 3)
            #expect(scrape["ferrum_sync_last_pass_failures"] == 2)
            #expect(scrape["ferrum_bmc_sessions_open"] == 1, "failed handshakes leave no session")
            #expect(scrape[#"ferrum_nodes{power_state="none"}"#] == 2)

            await harness.controller.syncPass()
            scrape = try PrometheusText(String(decoding: await harness.controller.metrics.scrape(), as: UTF8.self))
            #expect(scrape[#"ferrum_bmc_request_errors_total{kind="timeout"}"#] == 2)
            #expect(scrape[#"ferrum_bmc_request_errors_total{kind="credentials"}"#] == 1, "not sent again")
            #expect(scrape[#"ferrum_bmc_request_errors_total{kind="backing_off"}"#] == 1)
            #expect(scrape["ferrum_sync_passes_total"] == 2)
            // Refused requests never went on the wire: no latency sample for them.
            #expect(scrape["ferrum_bmc_request_duration_seconds_count"] == 5)
        }
    }

    @Test("every family is registered at zero with HELP and TYPE, documented, and the Nova API records")
    func catalogue() async throws {
        let metrics = ControllerMetrics()
        var scrape = try PrometheusText(String(decoding: await metrics.scrape(), as: UTF8.self))
        let docs = try String(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../docs/metrics.md"), encoding: .utf8)
        for family in MetricFamily.all {
            #expect(scrape.types[family.name] == family.kind.rawValue, "\(family.name)")
            #expect(scrape.help[family.name] == family.help, "\(family.name)")
            #expect(docs.contains("`\(family.name)`"), "docs/metrics.md lists \(family.name)")
        }
        #expect(scrape["ferrum_nova_events_sent_total"] == 0)
        #expect(scrape["ferrum_nova_batch_size_count"] == 0)
        for reason in NovaEventFailure.allCases {
            #expect(scrape[#"ferrum_nova_events_failed_total{reason="\#(reason.rawValue)"}"#] == 0)
        }

        metrics.recordNovaBatch(size: 3)
        metrics.recordNovaEventsSent(2)
        metrics.recordNovaEventsFailed(1, reason: .notFound)
        scrape = try PrometheusText(String(decoding: await metrics.scrape(), as: UTF8.self))
        #expect(scrape["ferrum_nova_events_sent_total"] == 2)
        #expect(scrape[#"ferrum_nova_events_failed_total{reason="not_found"}"#] == 1)
        #expect(scrape[#"ferrum_nova_batch_size_bucket{le="2.0"}"#] == 0)
        #expect(scrape[#"ferrum_nova_batch_size_bucket{le="5.0"}"#] == 1)
        #expect(scrape["ferrum_nova_batch_size_sum"] == 3)

        #expect(throws: PrometheusText.Invalid.self) { try PrometheusText("ferrum_x 1\n") }
        #expect(throws: PrometheusText.Invalid.self) { try PrometheusText("# TYPE ferrum_x gauge\nferrum_x{a=b} 1\n") }
    }
}
