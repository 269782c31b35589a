import Foundation
import Hummingbird
import NIOCore
import UseCases
import WalkaroundCore

/// The request context: Hummingbird's core storage plus the caller's API key once authenticated.
public struct WalkaroundRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by `AuthMiddleware`; routes behind it can rely on it.
    public var apiKey: APIKey?
    /// Set when the key came from a web session's cookie (not a bearer header).
    public var session: SessionUseCases.Session?
    /// The peer of the connection (the ingress, behind one).
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        apiKey = nil
        session = nil
        remoteAddress = source.channel.remoteAddress
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


