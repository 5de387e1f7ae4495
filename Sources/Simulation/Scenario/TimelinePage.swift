/// The HTML of a timeline: a sticky header row naming the columns, one SVG body, a legend, and zoom buttons.
struct TimelinePage {
    let layout: TimelineLayout
    let title: String

    /// Room on the right for the last column's labels.
    private var width: Int { TimelineRenderer.left + layout.lanes.count * TimelineRenderer.laneWidth + 160 }

    func html() -> String {
        var out = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>\(htmlEscaped(title))</title>
        <style>
        body{font:13px system-ui,sans-serif;margin:0;background:#fafafa;color:#222}
        header.top{padding:8px 12px;background:#fff;border-bottom:1px solid #ddd}
        h1{font-size:16px;margin:0 0 4px} .notice{color:#8a5a00} .bad{color:#c00;font-weight:bold}
        #lanes{position:sticky;top:0;z-index:2;background:#fff;border-bottom:1px solid #bbb;overflow:hidden}
        #scroller{overflow:auto;height:calc(100vh - 150px)} svg text{font:11px system-ui,sans-serif}
        .lane-name{font-weight:bold} .time{fill:#555;font-variant-numeric:tabular-nums}
        .arrow line{stroke:#2b6cb0;stroke-width:1.3} .arrow.drop line{stroke:#b7791f;stroke-dasharray:4 3}
        .arrow text{fill:#2b4c80} .dot text{fill:#333} .gap text{fill:#888;font-style:italic}
        .violation-band rect{fill:#e53e3e;opacity:.85} .violation-band text{fill:#fff;font-weight:bold;font-size:12px}
        .legend span{margin-right:14px} button{margin-right:4px}
        </style></head><body>
        <header class="top"><h1>\(htmlEscaped(title))</h1>
        <div class="legend"><span>→ message (send → receive)</span><span>⇢✕ message lost</span>
        <span>● state change</span><span>◆ scenario step</span><span>○ note</span>
        <span class="bad">red band: invariant violated</span>
        <button onclick="zoom(1.25)">zoom +</button><button onclick="zoom(0.8)">zoom −</button>
        \(layout.bands.isEmpty ? "" : "<button onclick=\"jump()\">go to violation</button>")</div>

        """
        for notice in layout.notices { out += "<div class=\"notice\">\(htmlEscaped(notice))</div>\n" }
        for band in layout.bands { out += "<div class=\"bad\">\(htmlEscaped(band.text))</div>\n" }
        out += "</header>\n<div id=\"scroller\"><div id=\"lanes\">" + header() + "</div>\n" + body() + "</div>\n"
        out += """
        <script>
        let scale=1;const svgs=[...document.querySelectorAll('svg[data-w]')];
        function zoom(f){scale=Math.min(4,Math.max(0.25,scale*f));for(const s of svgs){s.setAttribute('width',s.dataset.w*scale);s.setAttribute('height',s.dataset.h*scale);}}
        function jump(){const b=document.querySelector('.violation-band');if(b){const sc=document.getElementById('scroller');sc.scrollTop=b.getBBox().y*scale-120;}}
        </script>
        </body></html>

        """
        return out
    }

    private func header() -> String {
        var out = "<svg data-w=\"\(width)\" data-h=\"28\" width=\"\(width)\" height=\"28\" viewBox=\"0 0 \(width) 28\">"
        out += "<text x=\"6\" y=\"18\" class=\"lane-name\">virtual time</text>"
        for lane in layout.lanes {
            let short = lane.count > 22 ? String(lane.prefix(21)) + "…" : lane
            out += "<g class=\"lane\"><title>\(htmlEscaped(lane))</title><text x=\"\(layout.x(of: lane))\" y=\"18\" "
                + "text-anchor=\"middle\" class=\"lane-name\" fill=\"\(color(of: lane))\">\(htmlEscaped(short))</text></g>"
        }
        return out + "</svg>"
    }

    private func body() -> String {
        let height = layout.height
        var out = "<svg data-w=\"\(width)\" data-h=\"\(height)\" width=\"\(width)\" height=\"\(height)\" "
            + "viewBox=\"0 0 \(width) \(height)\" xmlns=\"http://www.w3.org/2000/svg\">\n"
        out += "<defs><marker id=\"head\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" "
            + "orient=\"auto-start-reverse\"><path d=\"M0,0L10,5L0,10z\" fill=\"#2b6cb0\"/></marker></defs>\n"
        for (index, lane) in layout.lanes.enumerated() {
            let x = layout.x(of: lane)
            if index % 2 == 1 {
                out += "<rect x=\"\(x - TimelineRenderer.laneWidth / 2)\" y=\"0\" width=\"\(TimelineRenderer.laneWidth)\" "
                    + "height=\"\(height)\" fill=\"#f0f0f0\"/>"
            }
            out += "<line x1=\"\(x)\" y1=\"0\" x2=\"\(x)\" y2=\"\(height)\" stroke=\"\(color(of: lane))\" "
                + "stroke-opacity=\".45\"/>\n"
        }
        var lastLabelY = -1_000
        for label in layout.timeLabels where label.y - lastLabelY >= 14 {
            out += "<text class=\"time\" x=\"6\" y=\"\(label.y + 4)\">\(htmlEscaped(label.text))</text>\n"
            lastLabelY = label.y
        }
        for gap in layout.gaps {
            out += "<g class=\"gap\"><line x1=\"0\" y1=\"\(gap.y)\" x2=\"\(width)\" y2=\"\(gap.y)\" stroke=\"#bbb\" "
                + "stroke-dasharray=\"2 6\"/><text x=\"\(TimelineRenderer.left + 4)\" y=\"\(gap.y - 3)\">"
                + "\(htmlEscaped(gap.text))</text></g>\n"
        }
        for arrow in layout.arrows { out += self.arrow(arrow) }
        for dot in layout.dots { out += self.dot(dot) }
        for band in layout.bands {
            out += "<g class=\"violation-band\"><title>\(htmlEscaped(band.text))</title><rect x=\"\(TimelineRenderer.left - 6)\" "
                + "y=\"\(band.y - 10)\" width=\"\(width - TimelineRenderer.left + 6)\" height=\"20\"/><text x=\"\(TimelineRenderer.left + 4)\" y=\"\(band.y + 4)\">"
                + "\(htmlEscaped(band.text))</text></g>\n"
        }
        return out + "</svg>\n"
    }

    private func arrow(_ arrow: TimelineLayout.Arrow) -> String {
        let (x1, x2) = (layout.x(of: arrow.fromLane), layout.x(of: arrow.toLane))
        // A message to the same column (or a stub) bends out to the right so it stays visible.
        let endX = x1 == x2 ? x1 + 24 : x2
        var out = "<g class=\"arrow\(arrow.dropped ? " drop" : "")\"><title>\(htmlEscaped(arrow.label))"
            + "\(arrow.dropped ? " (lost)" : "")</title>"
        out += "<line x1=\"\(x1)\" y1=\"\(arrow.fromY)\" x2=\"\(endX)\" y2=\"\(arrow.toY)\""
            + (arrow.dropped ? "/>" : " marker-end=\"url(#head)\"/>")
        if arrow.dropped {
            out += "<path d=\"M\(endX - 5),\(arrow.toY - 5)L\(endX + 5),\(arrow.toY + 5)M\(endX - 5),\(arrow.toY + 5)"
                + "L\(endX + 5),\(arrow.toY - 5)\" stroke=\"#c00\" stroke-width=\"2\"/>"
        }
        let midX = (x1 + endX) / 2, midY = (arrow.fromY + arrow.toY) / 2 - 3
        out += "<text x=\"\(midX)\" y=\"\(midY)\" text-anchor=\"middle\">\(htmlEscaped(truncated(arrow.label, 26)))</text></g>\n"
        return out
    }

    private func dot(_ dot: TimelineLayout.Dot) -> String {
        let x = layout.x(of: dot.lane)
        let shape = switch dot.kind {
        case .step: "<path d=\"M\(x),\(dot.y - 6)L\(x + 6),\(dot.y)L\(x),\(dot.y + 6)L\(x - 6),\(dot.y)z\" fill=\"#444\"/>"
        case .note: "<circle cx=\"\(x)\" cy=\"\(dot.y)\" r=\"4\" fill=\"#fff\" stroke=\"#666\"/>"
        default: "<circle cx=\"\(x)\" cy=\"\(dot.y)\" r=\"4.5\" fill=\"\(color(of: dot.lane))\"/>"
        }
        return "<g class=\"dot \(dot.kind.rawValue)\"><title>\(htmlEscaped(dot.label))</title>\(shape)<text x=\"\(x + 8)\" "
            + "y=\"\(dot.y + 4)\">\(htmlEscaped(truncated(Self.shortLabel(dot.label), 26)))</text></g>\n"
    }

    private func color(of lane: String) -> String {
        if lane.hasPrefix("node") { return "#2f855a" }
        if lane.hasPrefix("bmc") { return "#c05621" }
        if lane.hasPrefix("nova") { return "#6b46c1" }
        if lane == "controller" || lane == "notifier" { return "#2b6cb0" }
        return "#444"
    }

    /// Nova's log levels take room the label needs: DEBUG and INFO go, WARNING becomes a sign (the title keeps all).
    static func shortLabel(_ label: String) -> String {
        for (prefix, replacement) in [("DEBUG ", ""), ("INFO ", ""), ("WARNING ", "⚠ ")] where label.hasPrefix(prefix) {
            return replacement + label.dropFirst(prefix.count)
        }
        return label
    }

    private func truncated(_ text: String, _ limit: Int) -> String {
        text.count > limit ? String(text.prefix(limit - 1)) + "…" : text
    }
}

/// Text for HTML and SVG, in element content and in double- or single-quoted attributes.
func htmlEscaped(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for character in text {
        switch character {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&#39;"
        default: out.append(character)
        }
    }
    return out
}
