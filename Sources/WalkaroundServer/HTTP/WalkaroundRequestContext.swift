import Foundation
import Hummingbird
import UseCases
import WalkaroundCore

/// The request context: Hummingbird's core storage plus the caller's API key once authenticated.
public struct WalkaroundRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by `AuthMiddleware`; routes behind it can rely on it.
    public var apiKey: APIKey?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        apiKey = nil
    }

    /// Uploads are bounded by the configured limit in the photo route, not by this default.
    public var maxUploadSize: Int { Int.max }

    public var requestDecoder: JSONDecoder { APIJSON.decoder }
    public var responseEncoder: JSONEncoder { APIJSON.encoder }

    /// The authenticated key; throws 401 when a route is reached without one (a wiring bug would otherwise open it).
    func requireKey() throws -> APIKey {
        guard let apiKey else { throw APIError.unauthorized }
        return apiKey
    }
}


