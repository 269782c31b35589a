import Hummingbird
import Pipeline
import UseCases
import Storage

/// Authenticates `Authorization: Bearer <key>` against the stored key hashes, or else the web
/// app's session cookie (`WebCookies.session`), in which case every write must also carry the
/// session's CSRF token in `X-CSRF-Token` (403 `csrf_failed`). Default deny: every route behind it
/// answers 401 without a valid, unrevoked key.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = WalkaroundRequestContext
    let keys: APIKeyRepository
    let sessions: SessionUseCases

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else {
            guard let token = request.cookies[WebCookies.session]?.value, let session = try await sessions.session(token: token) else {
                throw APIError.unauthorized
            }
            if !WebCookies.isSafe(request.method), !SessionUseCases.csrfMatches(request.headers[WebCookies.csrfHeader], session) {
                throw APIError(.forbidden, code: "csrf_failed", message: "a write with the session's cookie needs its CSRF token in X-CSRF-Token")
            }
            var context = context
            (context.apiKey, context.session) = (session.key, session)
            context.logger[metadataKey: "api_key"] = "\(session.key.id)"
            return try await next(request, context)
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { throw APIError.unauthorized }
        let secret = parts[1].trimmingCharacters(in: .whitespaces)
        guard secret.count <= 256, let key = try await keys.authenticate(secret: secret) else { throw APIError.unauthorized }
        var context = context
        context.apiKey = key
        context.logger[metadataKey: "api_key"] = "\(key.id)"
        return try await next(request, context)
    }
}

/// Limits requests per key and per station (`RateLimiter`): over the limit, 429 `rate_limited`
/// with `Retry-After` (seconds until the minute's window ends). After authentication, so an
/// unknown key is 401 and uncounted.
struct RateLimitMiddleware: RouterMiddleware {
    typealias Context = WalkaroundRequestContext
    let limiter: RateLimiter

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let key = context.apiKey, let wait = await limiter.admit(keyID: key.id, station: key.station) {
            var error = APIError(.tooManyRequests, code: "rate_limited", message: "too many requests for this key or station; retry after the Retry-After seconds")
            error.headers[.retryAfter] = "\(wait.components.seconds)"
            throw error
        }
        return try await next(request, context)
    }
}
