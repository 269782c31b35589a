import Foundation
import Hummingbird
import UseCases
import WalkaroundCore

/// `/v1/keys`: list API keys and revoke a leaked one at once (admin keys only).
struct KeysController {
    let useCases: KeyUseCases

    func addRoutes(to group: RouterGroup<WalkaroundRequestContext>) {
        group.get("keys", use: list)
        group.post("keys/:id/revoke", use: revoke)
    }

    @Sendable func list(request: Request, context: WalkaroundRequestContext) async throws -> KeyPage {
        KeyPage(items: try await useCases.list(by: context.requireKey()).map(KeyResource.init))
    }

    @Sendable func revoke(request: Request, context: WalkaroundRequestContext) async throws -> KeyResource {
        KeyResource(try await useCases.revoke(InspectionsController.id(context), by: context.requireKey(), logger: context.logger))
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
