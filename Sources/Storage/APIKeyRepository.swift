import Crypto
import Foundation
import WalkaroundCore

/// API keys, kept only as SHA-256 hashes.
///
/// Keys are 32 random bytes, so a fast hash is enough: there is no low-entropy secret for a slow
/// hash to protect, and looking a key up by its hash stays one indexed read per request.
public struct APIKeyRepository: Sendable {
    public let database: any SQLDatabase

    public init(database: any SQLDatabase) {
        self.database = database
    }

    /// Creates a key and returns it with its secret, which is shown once and never stored.
    public func create(role: Role, station: String?, name: String?, at date: Date = Date()) async throws -> (key: APIKey, secret: String) {
        let secret = "wk_" + WebSessionRepository.randomToken()
        let key = APIKey(name: name, role: role, station: station, createdAt: date.truncatedToMicroseconds)
        try await database.execute(
            """
            INSERT INTO api_keys (id, name, role, station, key_hash, created_at)
            VALUES (\(key.id), \(name), \(role.sqlValue), \(station), \(Self.hash(secret)), \(key.createdAt))
            """
        )
        return (key, secret)
    }

    /// The key a bearer secret belongs to, unless unknown or revoked. Looked up on every request,
    /// so a revocation takes effect on the next one.
    public func authenticate(secret: String) async throws -> APIKey? {
        try await database.first(
            "SELECT * FROM api_keys WHERE key_hash = \(Self.hash(secret)) AND revoked_at IS NULL"
        ).map(APIKey.init(row:))
    }

    /// Every key (revoked ones too), newest first.
    public func list() async throws -> [APIKey] {
        try await database.execute("SELECT * FROM api_keys ORDER BY created_at DESC, id DESC").map(APIKey.init(row:))
    }

    /// Revokes a key that is not revoked yet; returns it, or nil when there is no such live key.
    public func revoke(_ id: UUID, at date: Date = Date()) async throws -> APIKey? {
        try await database.first(
            "UPDATE api_keys SET revoked_at = \(date.truncatedToMicroseconds) WHERE id = \(id) AND revoked_at IS NULL RETURNING *"
        ).map(APIKey.init(row:))
    }

    static func hash(_ secret: String) -> String {
        PhotoBlobStore.address(of: Array(secret.utf8))
    }
}

extension APIKey {
    init(row: SQLRow) throws {
        self.init(
            id: try row.uuid("id"),
            name: try row.optionalString("name"),
            role: try row.value("role"),
            station: try row.optionalString("station"),
            createdAt: try row.date("created_at"),
            revokedAt: try row.optionalDate("revoked_at")
        )
    }
}
