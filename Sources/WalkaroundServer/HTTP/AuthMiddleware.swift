import Hummingbird
import Storage

/// Authenticates `Authorization: Bearer <key>` against the stored key hashes. Default deny:
/// every route behind it answers 401 without a valid, unrevoked key.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = WalkaroundRequestContext
    let keys: APIKeyRepository

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else { throw APIError.unauthorized }
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
