import Simulation
import Testing

@Suite("Scenario timeline page")
struct ScenarioTimelineTests {
    static let trace = [
        TraceEvent(at: 0, kind: .step, lane: "scenario", label: "power on node-0001"),
        TraceEvent(at: 1_000, kind: .send, lane: "controller", peer: "bmc:node-0001", id: "m1", label: "Chassis Control: power on"),
        TraceEvent(at: 2_000, kind: .receive, lane: "controller", peer: "bmc:node-0001", id: "m1", label: "Chassis Control: power on"),
        TraceEvent(at: 2_000, kind: .state, lane: "bmc:node-0001", label: "power off → power on"),
        TraceEvent(at: 3_000, kind: .send, lane: "controller", peer: "nova-api", id: "m2", label: "power-update POWER_ON"),
        TraceEvent(at: 4_000, kind: .drop, lane: "controller", peer: "nova-api", id: "m2", label: "power-update POWER_ON"),
        TraceEvent(at: 300_000_000, kind: .note, lane: "nova-sync", label: "force_stop <instance> & \"quoted\""),
        TraceEvent(at: 300_000_500, kind: .send, lane: "nova-compute:compute-1", peer: "controller", id: "m3", label: "power off"),
        TraceEvent(at: 300_001_000, kind: .receive, lane: "nova-compute:compute-1", peer: "controller", id: "m3", label: "power off"),
        TraceEvent(at: 900_000_000, kind: .violation, lane: "scenario", label: "node-0001 is power off, the operator asked for power on",
                   invariant: "operator-intent-holds"),
    ]

    static func count(_ needle: String, in text: String) -> Int {
        text.components(separatedBy: needle).count - 1
    }

    @Test func lanesArrowsDotsAndTheViolation() {
        let html = TimelineRenderer().render(title: "seed-race seed 7", trace: Self.trace, violations: [])
        #expect(html.hasPrefix("<!DOCTYPE html>") && html.hasSuffix("</html>\n"))
        // scenario, controller, node-less bmc lane, nova-api, nova-compute:compute-1, nova-sync.
        #expect(Self.count("<g class=\"lane\">", in: html) == 6)
        let lanes = ["scenario", "controller", "bmc:node-0001", "nova-api", "nova-compute:compute-1", "nova-sync"]
        let positions = lanes.map { html.range(of: ">\($0)</text>")?.lowerBound }
        #expect(positions.allSatisfy { $0 != nil } && positions.map { $0! } == positions.map { $0! }.sorted(), "lane order")
        #expect(Self.count("<g class=\"arrow\">", in: html) == 2)
        #expect(Self.count("<g class=\"arrow drop\">", in: html) == 1)
        // Sender → receiver: the controller's column (x 321) to the BMC's (x 471), never a stub within one column.
        #expect(html.contains("<line x1=\"321\" y1=\"44\" x2=\"471\" y2=\"60\" marker-end"), "\(html)")
        #expect(Self.count("<g class=\"dot ", in: html) == 3)
        #expect(Self.count("<g class=\"violation-band\">", in: html) == 1)
        #expect(html.contains("operator-intent-holds: node-0001 is power off"))
        #expect(html.contains("later ⋯"), "the five-minute idle stretch is collapsed")
        #expect(!html.contains("http://") || !html.contains("src=\"http"), "nothing fetched")
    }

    @Test func labelsAreEscaped() {
        let html = TimelineRenderer().render(title: "a <b> & \"c\"", trace: Self.trace, violations: [])
        #expect(html.contains("<title>a &lt;b&gt; &amp; &quot;c&quot;</title>"))
        #expect(html.contains("force_stop &lt;instance&gt; &amp; &quot;quoted&quot;"))
        #expect(!html.contains("<instance>") && !html.contains("<b>"))
    }

    @Test func violationsPassedInAreMarkedAtTheirTraceLine() {
        let trace = Array(Self.trace.dropLast())
        let violation = TimelineRenderer.Violation(invariant: "nova-agrees", at: 300_001_000,
                                                   message: "Nova says stopped, the node is on", traceIndex: 8)
        let html = TimelineRenderer().render(title: "t", trace: trace, violations: [violation])
        #expect(Self.count("<g class=\"violation-band\">", in: html) == 1)
        #expect(html.contains("nova-agrees: Nova says stopped, the node is on"))
        #expect(html.contains("go to violation"))
    }

    @Test func longRunsAreCappedAroundTheViolationAndSaySo() {
        var trace: [TraceEvent] = []
        for index in 0..<200 {
            let node = "node-\(1000 + index)"
            trace.append(TraceEvent(at: Int64(index) * 1000, kind: .send, lane: "controller", peer: "bmc:\(node)",
                                    id: "m\(index)", label: "Get Chassis Status"))
            trace.append(TraceEvent(at: Int64(index) * 1000 + 500, kind: .receive, lane: "controller",
                                    peer: "bmc:\(node)", id: "m\(index)", label: "Get Chassis Status"))
        }
        trace.insert(TraceEvent(at: 150_000, kind: .violation, lane: "scenario", label: "node-1150 bad",
                                invariant: "nova-agrees"), at: 300)
        let html = TimelineRenderer(maxEvents: 100, maxNodeLanes: 5).render(title: "t", trace: trace, violations: [])
        #expect(html.contains("Showing trace lines 251–350 of 401"))
        #expect(html.contains("more nodes share the “others” columns"))
        #expect(Self.count("<g class=\"violation-band\">", in: html) == 1)
        #expect(html.contains(">bmc:node-1150</text>"), "the node named in the violation keeps its column")
        #expect(Self.count("<g class=\"lane\">", in: html) <= 2 + 5 + 1)
        #expect(Self.count("<g class=\"arrow", in: html) == 49, "the last send has no receive in the window")
    }

    @Test func sameInputSamePage() {
        let renderer = TimelineRenderer()
        #expect(renderer.render(title: "t", trace: Self.trace, violations: [])
            == renderer.render(title: "t", trace: Self.trace, violations: []))
    }
}
