import Hummingbird
import NIOCore

/// `GET /metrics`: every `ControllerMetrics` family in Prometheus text format.
public enum MetricsAPI {
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    public static func register<Context: RequestContext>(on router: Router<Context>, metrics: ControllerMetrics) {
        router.get("metrics") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = contentType
            return Response(status: .ok, headers: headers,
                            body: .init(byteBuffer: ByteBuffer(bytes: await metrics.scrape())))
        }
    }
}
