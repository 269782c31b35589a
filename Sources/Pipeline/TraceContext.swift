import Storage
import Tracing

/// A span's W3C trace context as it travels with a job through the database: `traceparent`, and
/// `tracestate` after a newline when there is one. The request that queues a job stores its
/// context; the worker that runs it opens its spans as that request's children, so one photo's
/// upload and processing are one trace across pods.
public enum TraceContext {
    /// The longest stored context read back (W3C: 55 characters of traceparent, 512 of tracestate).
    static let maxLength = 1024

    /// The current span's context (outside the enclosing database transaction's span), nil
    /// without a tracer or outside any span (the no-op tracer writes nothing).
    public static func current() -> String? {
        guard let context = DatabaseObservation.outerContext ?? ServiceContext.current else { return nil }
        var carrier: [String: String] = [:]
        InstrumentationSystem.instrument.inject(context, into: &carrier, using: DictionaryInjector())
        guard let parent = carrier["traceparent"], !parent.isEmpty else { return nil }
        let stored = carrier["tracestate"].map { parent + "\n" + $0 } ?? parent
        return stored.utf8.count <= maxLength ? stored : parent
    }

    /// The context a stored value names, as the parent of the spans that continue it; the top
    /// level for nil or for what does not parse (the propagator checks the format).
    public static func context(_ stored: String?) -> ServiceContext {
        var context = ServiceContext.topLevel
        guard let stored, !stored.isEmpty, stored.utf8.count <= maxLength else { return context }
        let parts = stored.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
        var carrier = ["traceparent": String(parts[0])]
        if parts.count > 1 { carrier["tracestate"] = String(parts[1]) }
        InstrumentationSystem.instrument.extract(carrier, into: &context, using: DictionaryExtractor())
        return context
    }

}

struct DictionaryInjector: Injector {
    func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) {
        carrier[key] = value
    }
}

/// Reads a trace context from a `[name: value]` carrier (a stored job's, a request's two trace headers).
public struct DictionaryExtractor: Extractor {
    public init() {}

    public func extract(key: String, from carrier: [String: String]) -> String? {
        carrier[key]
    }
}
