/// A strict reader of Prometheus' text format (0.0.4), for tests: every line is a HELP, a TYPE or a sample
/// `name{label="value",...} value` of a family whose TYPE came first; no series twice; histogram buckets cumulative
/// and ending at `_count`.
struct PrometheusText {
    struct Invalid: Error, CustomStringConvertible {
        let description: String
    }

    /// Value by series exactly as written: `name` or `name{label="value"}`.
    private(set) var samples: [String: Double] = [:]
    private(set) var types: [String: String] = [:]
    private(set) var help: [String: String] = [:]

    subscript(series: String) -> Double? { samples[series] }

    init(_ text: String) throws {
        let name = #"[a-zA-Z_:][a-zA-Z0-9_:]*"#
        let label = #"[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*""#
        let sample = try Regex(#"(\#(name))(\{\#(label)(?:,\#(label))*\})? (\S+)"#)
        let typeLine = try Regex(#"# TYPE (\#(name)) (counter|gauge|histogram|summary|untyped)"#)
        let helpLine = try Regex(#"# HELP (\#(name)) (.*)"#)
        let le = try Regex(#",?le="[^"]*""#)
        var buckets: [String: [Double]] = [:]
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            func invalid(_ why: String) -> Invalid { Invalid(description: "line \(number + 1) '\(line)': \(why)") }
            if line.isEmpty { continue }
            if let match = line.wholeMatch(of: typeLine) {
                let family = String(match.output[1].substring!)
                guard types[family] == nil else { throw invalid("a second TYPE") }
                types[family] = String(match.output[2].substring!)
            } else if let match = line.wholeMatch(of: helpLine) {
                help[String(match.output[1].substring!)] = String(match.output[2].substring!)
            } else if line.hasPrefix("#") {
                continue
            } else if let match = line.wholeMatch(of: sample) {
                let metric = String(match.output[1].substring!)
                let labels = match.output[2].substring.map(String.init) ?? ""
                guard let value = Double(String(match.output[3].substring!)) else { throw invalid("not a number") }
                guard Self.family(of: metric, in: types) != nil else { throw invalid("no TYPE before the sample") }
                guard samples.updateValue(value, forKey: metric + labels) == nil else { throw invalid("a series twice") }
                if metric.hasSuffix("_bucket") {
                    let series = String(metric.dropLast(7)) + labels.replacing(le, with: "").replacing("{}", with: "")
                    buckets[series, default: []].append(value)
                }
            } else {
                throw invalid("neither a comment nor a sample")
            }
        }
        for (series, counts) in buckets {
            guard zip(counts, counts.dropFirst()).allSatisfy({ $0 <= $1 }) else {
                throw Invalid(description: "\(series): buckets are not cumulative")
            }
            let count = series.firstIndex(of: "{").map { series[..<$0] + "_count" + series[$0...] } ?? series + "_count"
            guard samples[count] == counts.last else { throw Invalid(description: "\(series): +Inf bucket is not _count") }
        }
    }

    /// The declared family a sample belongs to: its own name, or a histogram's for `_bucket`, `_sum` and `_count`.
    private static func family(of metric: String, in types: [String: String]) -> String? {
        if types[metric] != nil { return metric }
        for suffix in ["_bucket", "_sum", "_count"] where metric.hasSuffix(suffix) {
            let base = String(metric.dropLast(suffix.count))
            if types[base] == "histogram" || types[base] == "summary" { return base }
        }
        return nil
    }
}
