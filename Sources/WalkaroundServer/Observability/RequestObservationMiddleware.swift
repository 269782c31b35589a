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
        InstrumentationSystem.instrument.extract(request.headers, into: &parent, using: HTTPFieldsExtractor())
        let span = startSpan("HTTP \(request.method.rawValue)", context: parent, ofKind: .server)
        defer { span.end() }
        return try await ServiceContext.withValue(span.context) {
            try await observe(request, context: context, span: span, next: next)
        }
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

/// Reads `traceparent`/`tracestate` from a request's headers.
struct HTTPFieldsExtractor: Extractor {
    func extract(key: String, from carrier: HTTPFields) -> String? {
        HTTPField.Name(key).flatMap { carrier[$0] }
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
}
