import Foundation
import Logging
import OTel
import ServiceLifecycle
import Tracing

/// Traces over OTLP/HTTP (swift-otel) when `WALKAROUND_TRACING=otlp`; otherwise no tracer is
/// bootstrapped and every span the code opens is the no-op tracer's (nothing recorded, nothing sent).
///
/// The standard `OTEL_*` variables configure it: `OTEL_EXPORTER_OTLP_ENDPOINT` (the collector,
/// default `http://localhost:4318`), `OTEL_TRACES_SAMPLER` and `OTEL_TRACES_SAMPLER_ARG` (default
/// `parentbased_traceidratio` at 0.1: a tenth of the traces that start here, and every trace whose
/// caller sampled it), `OTEL_SERVICE_NAME` (default `walkaround-<role>`). W3C `traceparent` is
/// the propagation format, in HTTP headers and in the jobs table.
public enum WalkaroundTracing {
    /// Bootstraps the process-wide tracer; the service exports the spans and must run for as long
    /// as the application (it flushes at shutdown). Nil when tracing is off.
    public static func bootstrap(settings: WalkaroundSettings, logger: Logger) throws -> (any Service)? {
        guard settings.tracing == "otlp" else { return nil }
        var configuration = OTel.Configuration.default
        configuration.serviceName = "walkaround-\(settings.role.rawValue)"
        configuration.propagators = [.traceContext]
        // Warnings and errors only: at info swift-otel logs each OTEL_* variable's value (a
        // collector's auth header among them).
        configuration.diagnosticLogger = .custom(logger)
        configuration.diagnosticLogLevel = .warning
        configuration.metrics.enabled = false
        configuration.logs.enabled = false
        configuration.traces.enabled = true
        configuration.traces.exporter = .otlp
        configuration.traces.sampler = .parentBasedTraceIDRatio(ratio: 0.1) ?? .parentBasedAlwaysOn
        let (tracer, service) = try OTel.makeTracingBackend(configuration: configuration)
        InstrumentationSystem.bootstrap(tracer)
        logger.info("tracing to OTLP", metadata: ["event": "tracing_started", "service": "\(configuration.serviceName)"])
        return service
    }

    /// Adds the current span's `trace_id` and `span_id` to every log line written inside it.
    public static let metadataProvider: Logger.MetadataProvider = {
        var keys = OTel.Configuration.LoggingMetadataProviderConfiguration.default
        keys.traceIDKey = "trace_id"
        keys.spanIDKey = "span_id"
        return OTel.makeLoggingMetadataProvider(configuration: keys)
    }()
}
