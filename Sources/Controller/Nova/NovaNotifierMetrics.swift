import ControllerCore

/// Maps the notifier's outcomes onto the metric families (MetricFamily: nova_events_*).
enum NovaNotifierMetrics {
    static func record(_ settlements: [NovaSettlement], in metrics: ControllerMetrics) {
        var delivered = 0, notFound = 0, noHost = 0
        for settlement in settlements {
            switch settlement.outcome {
            case .delivered: delivered += 1
            case .dropped(let reason) where reason == NovaDropReason.instanceNotFound: notFound += 1
            case .dropped(let reason) where reason.contains("(422)"): noHost += 1
            case .dropped: break
            }
        }
        if delivered > 0 { metrics.recordNovaEventsSent(delivered) }
        if notFound > 0 { metrics.recordNovaEventsFailed(notFound, reason: .notFound) }
        if noHost > 0 { metrics.recordNovaEventsFailed(noHost, reason: .noHost) }
    }

    static func record(_ failure: NovaRequestFailure, size: Int, in metrics: ControllerMetrics) {
        guard size > 0 else { return }
        let reason: NovaEventFailure? = switch failure {
        case .timeout, .connectionRefused, .transport: .unreachable
        case .status(let code, _) where code >= 500: .serverError
        case .status(let code, _) where code >= 400: .rejected
        case .status, .invalidResponse: nil
        }
        if let reason { metrics.recordNovaEventsFailed(size, reason: reason) }
    }
}
