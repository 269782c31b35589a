import CoreMetrics
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Metrics
import Pipeline
import Tracing
import WalkaroundCore

/// Per request: a server span continuing the caller's W3C `traceparent` (the station agent's, a
/// browser's, another pod's), the `http_request_duration_seconds` histogram (method, route,
/// status), one access log line with the request id (and the trace id, written inside the span),
/// and the id echoed in `X-Request-Id` for support calls.
///
/// The span records the route, never the path or the query: a renter link's path is its credential.
struct RequestObservationMiddleware<Context: RequestContext>: RouterMiddleware {
    let factory: any MetricsFactory

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var parent = ServiceContext.current ?? .topLevel
        if let carrier = Self.traceCarrier(request) {
            InstrumentationSystem.instrument.extract(carrier, into: &parent, using: DictionaryExtractor())
        }
        let span = startSpan("HTTP \(request.method.rawValue)", context: parent, ofKind: .server)
        defer { span.end() }
        return try await ServiceContext.withValue(span.context) {
            try await observe(request, context: context, span: span, next: next)
        }
    }

    /// The caller's `traceparent` (and `tracestate`) to continue, or nil: only on the API (`/v1`)
    /// and the inference protocol (`/v2`), so anonymous pages and renter links cannot force
    /// sampling; only well-formed lengths (W3C: 55 characters, a state of at most 512); and only
    /// these two headers, never the others, reach the propagator (which logs its carrier when it
    /// cannot parse it: that would put the Authorization header in the logs).
    static func traceCarrier(_ request: Request) -> [String: String]? {
        let path = request.uri.path
        guard path.hasPrefix("/v1/") || path.hasPrefix("/v2/"), let parent = request.headers[.traceparent], parent.utf8.count == 55 else { return nil }
        var carrier = ["traceparent": parent]
        if let state = request.headers[.tracestate], !state.isEmpty, state.utf8.count <= 512 { carrier["tracestate"] = state }
        return carrier
    }

    private func observe(
        _ request: Request, context: Context, span: any Span, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let start = ContinuousClock.now
        var status = 500
        defer {
            let elapsed = ContinuousClock.now - start
            let route = context.endpointPath ?? "unmatched"
            Metrics.Timer(
                label: "http_request_duration_seconds",
                dimensions: [("method", request.method.rawValue), ("route", route), ("status", "\(status)")],
                factory: factory
            ).record(duration: elapsed)
            span.operationName = "\(request.method.rawValue) \(route)"
            span.attributes["http.request.method"] = request.method.rawValue
            span.attributes["http.route"] = route
            span.attributes["http.response.status_code"] = status
            if status >= 500 { span.setStatus(SpanStatus(code: .error)) }
            let level: Logger.Level = route.hasPrefix("/v1") || status >= 500 ? .info : .debug
            context.logger.log(
                level: level,
                "request",
                metadata: [
                    // A renter link's path is its credential: only its route is logged.
                    "method": "\(request.method)", "path": "\(request.uri.path.hasPrefix("/r/") ? route : request.uri.path)", "route": "\(route)", "status": "\(status)",
                    "ms": "\((elapsed.seconds * 1000 * 100).rounded() / 100)",
                ]
            )
        }
        do {
            var response = try await next(request, context)
            status = response.status.code
            response.headers[.requestID] = context.id
            return response
        } catch let error as any HTTPResponseError {
            status = error.status.code
            throw EditedHTTPError(originalError: error, context: context, requestID: context.id)
        }
    }
}

/// An error response that also carries the request id header.
private struct EditedHTTPError: HTTPResponseError {
    let originalError: any HTTPResponseError
    let requestID: String
    var status: HTTPResponse.Status { originalError.status }

    init(originalError: any HTTPResponseError, context: some RequestContext, requestID: String) {
        self.originalError = originalError
        self.requestID = requestID
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = try originalError.response(from: request, context: context)
        response.headers[.requestID] = requestID
        return response
    }
}

extension HTTPField.Name {
    static let requestID = HTTPField.Name("X-Request-Id")!
    static let traceparent = HTTPField.Name("traceparent")!
    static let tracestate = HTTPField.Name("tracestate")!
}
