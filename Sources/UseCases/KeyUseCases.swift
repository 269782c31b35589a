import Foundation
import Logging
import Storage
import WalkaroundCore

/// API keys: list them and revoke a leaked one at once (keys that may manage keys only).
public struct KeyUseCases: Sendable {
    let keys: APIKeyRepository

    public init(database: any SQLDatabase) {
        keys = APIKeyRepository(database: database)
    }

    public func list(by key: APIKey) async throws -> [APIKey] {
        try Access.require(key, .manage, .keys)
        return try await keys.list()
    }

    public func revoke(_ id: UUID, by key: APIKey, logger: Logger) async throws -> APIKey {
        try Access.require(key, .manage, .keys)
        guard let revoked = try await keys.revoke(id) else { throw UseCaseError.notFound("live key") }
        logger.notice("API key revoked", metadata: ["key": "\(revoked.id)", "by": "\(key.id)"])
        return revoked
    }
}
