import Foundation
import Hummingbird
import Storage
import WalkaroundCore

/// `/v1/keys`: list API keys and revoke a leaked one at once (admin keys only).
struct KeysController {
    let keys: APIKeyRepository

    func addRoutes(to group: RouterGroup<WalkaroundRequestContext>) {
        group.get("keys", use: list)
        group.post("keys/:id/revoke", use: revoke)
    }

    @Sendable func list(request: Request, context: WalkaroundRequestContext) async throws -> KeyPage {
        try Access.require(try context.requireKey(), .manage, .keys)
        return KeyPage(items: try await keys.list().map(KeyResource.init))
    }

    @Sendable func revoke(request: Request, context: WalkaroundRequestContext) async throws -> KeyResource {
        let key = try context.requireKey()
        try Access.require(key, .manage, .keys)
        let id = try InspectionsController.parseID(context.parameters.require("id"))
        guard let revoked = try await keys.revoke(id) else {
            throw APIError.notFound("live key")
        }
        context.logger.notice("API key revoked", metadata: ["key": "\(revoked.id)", "by": "\(key.id)"])
        return KeyResource(revoked)
    }
}

/// An API key as the API shows it: never its secret or hash.
struct KeyResource: ResponseCodable {
    var id: String
    var name: String?
    var role: Role
    var station: String?
    var createdAt: Date
    var revokedAt: Date?

    init(_ key: APIKey) {
        id = key.id.apiString
        name = key.name
        role = key.role
        station = key.station
        createdAt = key.createdAt
        revokedAt = key.revokedAt
    }
}

struct KeyPage: ResponseCodable {
    var items: [KeyResource]
}
