import Hummingbird
import Logging
import Storage
import UseCases

/// Gives every error the JSON shape `{"error": {"code", "message"}}`.
///
/// Errors the framework raises (no route, body too large) keep their status and get a code; any
/// other error is a bug: it is logged with the request id and answered with a bare 500.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch let error as UseCaseError {
            throw APIError(error)
        } catch let error as HTTPError {
            throw APIError(error.status, code: Self.code(for: error.status), message: error.body ?? error.status.reasonPhrase)
        } catch StorageError.unavailable(let detail) {
            // An outage, not a bug: nothing was committed, and the client is told to come back.
            context.logger.warning("storage unavailable", metadata: ["error": "\(detail)"])
            var error = APIError(.serviceUnavailable, code: "unavailable", message: "storage is unavailable; nothing was stored, retry shortly")
            error.headers[.retryAfter] = "1"
            throw error
        } catch let error as any HTTPResponseError {
            throw APIError(error.status, code: Self.code(for: error.status), message: error.status.reasonPhrase)
        } catch {
            context.logger.error("unhandled error", metadata: ["error": "\(String(reflecting: error))"])
            throw APIError(.internalServerError, code: "internal_error", message: "internal error; the request id is \(context.id)")
        }
    }

    static func code(for status: HTTPResponse.Status) -> String {
        switch status {
        case .badRequest: "bad_request"
        case .notFound: "not_found"
        case .methodNotAllowed: "method_not_allowed"
        case .contentTooLarge: "payload_too_large"
        case .unsupportedMediaType: "unsupported_media_type"
        case .tooManyRequests: "rate_limited"
        case .serviceUnavailable: "not_ready"
        default: status.code < 500 ? "bad_request" : "internal_error"
        }
    }
}
