import CoreMetrics
import Prometheus

/// swift-metrics' factory over one injected Prometheus registry, with each family's HELP text and buckets taken
/// from `MetricFamily.all`. swift-prometheus's own `PrometheusMetricsFactory` registers every family with an empty
/// HELP, and the registry refuses a family whose HELP differs from the first registration, so the two cannot be
/// mixed; this one goes through the registry's public descriptor API instead.
struct PrometheusFamilyFactory: MetricsFactory {
    let registry: PrometheusCollectorRegistry
    private static let families = Dictionary(uniqueKeysWithValues: MetricFamily.all.map { ($0.name, $0) })

    private func descriptor(_ label: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: label, unitName: "", helpText: Self.families[label]?.help ?? "")
    }

    private func buckets(_ label: String) -> [Double] {
        Self.families[label]?.buckets ?? [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        registry.makeCounter(descriptor: descriptor(label), labels: dimensions)
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        guard aggregate else { return registry.makeGauge(descriptor: descriptor(label), labels: dimensions) }
        return registry.makeValueHistogram(descriptor: descriptor(label), labels: dimensions, buckets: buckets(label))
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        registry.makeDurationHistogram(descriptor: descriptor(label), labels: dimensions,
                                       buckets: buckets(label).map { .nanoseconds(Int64(($0 * 1e9).rounded())) })
    }

    func destroyCounter(_ handler: any CounterHandler) {
        if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
    }

    func destroyRecorder(_ handler: any RecorderHandler) {
        if let gauge = handler as? Prometheus.Gauge { registry.unregisterGauge(gauge) }
        if let histogram = handler as? ValueHistogram { registry.unregisterValueHistogram(histogram) }
    }

    func destroyTimer(_ handler: any TimerHandler) {
        if let histogram = handler as? DurationHistogram { registry.unregisterDurationHistogram(histogram) }
    }
}
