import CoreMetrics
import Metrics
import Prometheus

/// The Prometheus registry and the metrics factory that writes into it.
///
/// Components take the factory explicitly, so tests can give each application its own registry
/// instead of sharing the process-wide bootstrap.
public struct WalkaroundMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    public let factory: any MetricsFactory

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        var factory = PrometheusMetricsFactory(registry: registry)
        let latency: [Duration] = [5, 10, 25, 50, 100, 200, 300, 400, 500, 750, 1000, 2500, 5000, 10000, 30000].map { .milliseconds($0) }
        factory.durationHistogramBuckets = [
            "walkaround_photo_processing_seconds": latency,
            "http_request_duration_seconds": latency,
        ]
        self.factory = factory
    }

    /// The registry in Prometheus text format.
    public func exposition() -> [UInt8] {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }
}
