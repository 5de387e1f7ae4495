/// Draws a scenario run as one self-contained HTML page (inline SVG, a little CSS and JS, nothing fetched): one
/// column per component, virtual time running down, messages as arrows from sender to receiver, state changes and
/// notes as labelled dots, violations as red bands. Pure: trace and violations in, text out.
///
/// Long runs stay readable: idle stretches longer than a second collapse into a marked gap, at most `maxEvents`
/// trace lines are drawn (a window around the first violation) and at most `maxNodeLanes` nodes get their own
/// columns (the rest share one); the page says what it left out.
public struct TimelineRenderer: Sendable {
    public struct Violation: Sendable, Equatable {
        public var invariant: String
        /// Virtual microseconds, as `TraceEvent.at`.
        public var at: Int64
        public var message: String
        /// Index of the trace line the violation was found at, when known.
        public var traceIndex: Int?

        public init(invariant: String, at: Int64, message: String, traceIndex: Int? = nil) {
            self.invariant = invariant
            self.at = at
            self.message = message
            self.traceIndex = traceIndex
        }
    }

    public var maxEvents: Int
    public var maxNodeLanes: Int

    public init(maxEvents: Int = 3000, maxNodeLanes: Int = 24) {
        self.maxEvents = max(1, maxEvents)
        self.maxNodeLanes = max(1, maxNodeLanes)
    }

    public func render(title: String, trace: [TraceEvent], violations: [Violation]) -> String {
        TimelinePage(layout: layout(trace: trace, violations: violations), title: title).html()
    }

    // MARK: Layout

    static let laneWidth = 150
    static let rowHeight = 16
    static let gapHeight = 34
    static let top = 12
    static let left = 96

    func layout(trace: [TraceEvent], violations: [Violation]) -> TimelineLayout {
        var layout = TimelineLayout()
        let focus = violations.compactMap(\.traceIndex).min()
            ?? trace.firstIndex { $0.kind == .violation }
            ?? violations.first.flatMap { violation in trace.firstIndex { $0.at >= violation.at } } ?? 0
        let start = trace.count > maxEvents ? max(0, min(focus - maxEvents / 2, trace.count - maxEvents)) : 0
        let window = trace[start..<min(trace.count, start + maxEvents)]
        if window.count < trace.count {
            layout.notices.append("Showing trace lines \(start + 1)–\(start + window.count) of \(trace.count) "
                + "(the drawing is capped at \(maxEvents); use --trace for all of them).")
        }
        let lanes = TimelineLanes(window: window, violations: violations, maxNodeLanes: maxNodeLanes)
        layout.lanes = lanes.ordered
        if lanes.folded > 0 {
            layout.notices.append("\(lanes.folded) more nodes share the “others” columns (at most \(maxNodeLanes) "
                + "nodes are drawn one by one).")
        }
        var y = Self.top
        var previousAt: Int64?
        var sends: [String: (y: Int, lane: String, peer: String, label: String)] = [:]
        for (index, event) in zip(window.indices, window) {
            if let previousAt {
                let gap = event.at - previousAt
                if gap > 1_000_000 {
                    layout.gaps.append(.init(y: y + Self.gapHeight / 2, text: "⋯ \(Self.durationText(gap)) later ⋯"))
                    y += Self.gapHeight
                } else if gap > 0 {
                    y += Self.rowHeight + Int(min(24, gap / 50_000))
                } else {
                    y += Self.rowHeight
                }
            } else {
                y += Self.rowHeight
            }
            if previousAt != event.at { layout.timeLabels.append(.init(y: y, text: Self.timeText(event.at))) }
            previousAt = event.at
            layout.rows[index] = y
            let lane = lanes.column(of: event.lane)
            switch event.kind {
            case .send:
                sends[event.id] = (y, lane, lanes.column(of: event.peer), event.label)
            case .receive, .drop:
                // A receive or drop names the message as its send did: lane is the sender, peer the receiver.
                let dropped = event.kind == .drop
                if let send = sends.removeValue(forKey: event.id) {
                    layout.arrows.append(.init(fromLane: send.lane, toLane: send.peer, fromY: send.y, toY: y,
                                               label: send.label, dropped: dropped))
                } else {
                    // The send fell outside the drawn window: a short stub into the receiver.
                    layout.arrows.append(.init(fromLane: lane, toLane: lanes.column(of: event.peer),
                                               fromY: y - Self.rowHeight / 2, toY: y, label: event.label,
                                               dropped: dropped))
                }
            case .step, .state, .note:
                layout.dots.append(.init(lane: lane, y: y, label: event.label, kind: event.kind))
            case .violation:
                layout.bands.append(.init(y: y, text: "✖ \(event.invariant): \(event.label)", traceIndex: index))
            }
        }
        for violation in violations where !layout.bands.contains(where: { $0.text.hasPrefix("✖ \(violation.invariant):") }) {
            let row = violation.traceIndex.flatMap { layout.rows[$0] }
            layout.bands.append(.init(y: row ?? y + Self.rowHeight, text: "✖ \(violation.invariant): \(violation.message)",
                                      traceIndex: violation.traceIndex))
        }
        layout.height = max(y, layout.bands.map(\.y).max() ?? 0) + Self.rowHeight * 3
        return layout
    }

    /// `12.345 s`, `3m 05.000 s`, `1h 02m 05.000 s`.
    static func timeText(_ micros: Int64) -> String {
        let milliseconds = micros / 1000
        let seconds = milliseconds / 1000 % 60, minutes = milliseconds / 60_000 % 60, hours = milliseconds / 3_600_000
        let fraction = pad(milliseconds % 1000, 3)
        if hours > 0 { return "\(hours)h \(pad(minutes, 2))m \(pad(seconds, 2)).\(fraction) s" }
        if minutes > 0 { return "\(minutes)m \(pad(seconds, 2)).\(fraction) s" }
        return "\(seconds).\(fraction) s"
    }

    static func durationText(_ micros: Int64) -> String {
        let seconds = micros / 1_000_000
        if seconds >= 3600 { return "\(seconds / 3600)h \(pad(seconds / 60 % 60, 2))m" }
        if seconds >= 60 { return "\(seconds / 60)m \(pad(seconds % 60, 2))s" }
        return "\(seconds).\(pad(micros / 1000 % 1000, 3)) s"
    }

    static func pad(_ value: Int64, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}

/// What the page draws, in pixels.
struct TimelineLayout {
    struct Mark { var y: Int; var text: String }
    struct Arrow { var fromLane: String; var toLane: String; var fromY: Int; var toY: Int; var label: String; var dropped: Bool }
    struct Dot { var lane: String; var y: Int; var label: String; var kind: TraceEvent.Kind }
    struct Band { var y: Int; var text: String; var traceIndex: Int? }

    var lanes: [String] = []
    var timeLabels: [Mark] = []
    var gaps: [Mark] = []
    var arrows: [Arrow] = []
    var dots: [Dot] = []
    var bands: [Band] = []
    var notices: [String] = []
    /// The y of each drawn trace line, by its index in the whole trace.
    var rows: [Int: Int] = [:]
    var height = 0

    func x(of lane: String) -> Int {
        TimelineRenderer.left + (lanes.firstIndex(of: lane) ?? 0) * TimelineRenderer.laneWidth + TimelineRenderer.laneWidth / 2
    }
}
