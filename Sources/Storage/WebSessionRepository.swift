import Foundation
import WalkaroundCore

/// Browser sessions of the web app: a random token in an HttpOnly cookie, kept here only as its
/// SHA-256 (like API keys), tied to the key that signed in. A session is valid until it expires,
/// is ended (sign-out), or its key is revoked: the key's state is read with the session on every
/// request, so a revocation ends its sessions at once.
public struct WebSessionRepository: Sendable {
    /// A live session: the key it acts for and the token forms and scripts must echo (CSRF).
    public struct Session: Sendable, Equatable {
        public var key: APIKey
        public var csrfToken: String
        public var expiresAt: Date

        public init(key: APIKey, csrfToken: String, expiresAt: Date) {
            self.key = key
            self.csrfToken = csrfToken
            self.expiresAt = expiresAt
        }
    }

    public let database: any SQLDatabase

    public init(database: any SQLDatabase) {
        self.database = database
    }

    /// A random token: 32 bytes from the system's generator, hex.
    public static func randomToken() -> String {
        var random = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: .min ... .max, using: &random)) }.joined()
    }

    /// Starts a session for `keyID`; returns the cookie's token (shown once, never stored) and the session.
    public func create(keyID: UUID, lifetime: TimeInterval, at date: Date = Date()) async throws -> (token: String, csrfToken: String, expiresAt: Date) {
        let (token, csrf) = (Self.randomToken(), Self.randomToken())
        let now = date.truncatedToMicroseconds
        let expires = now.addingTimeInterval(lifetime).truncatedToMicroseconds
        try await database.execute(
            """
            INSERT INTO web_sessions (token_hash, api_key_id, csrf_token, created_at, expires_at)
            VALUES (\(APIKeyRepository.hash(token)), \(keyID), \(csrf), \(now), \(expires))
            """
        )
        return (token, csrf, expires)
    }

    /// The live session of a cookie's token, with its key; nil when unknown, expired, ended or the key is revoked.
    public func authenticate(token: String, at date: Date = Date()) async throws -> Session? {
        guard (1...128).contains(token.utf8.count) else { return nil }
        guard let row = try await database.first(
            """
            SELECT k.*, s.csrf_token, s.expires_at FROM web_sessions s JOIN api_keys k ON k.id = s.api_key_id
            WHERE s.token_hash = \(APIKeyRepository.hash(token)) AND s.ended_at IS NULL AND s.expires_at > \(date.truncatedToMicroseconds)
              AND k.revoked_at IS NULL
            """
        ) else { return nil }
        return Session(key: try APIKey(row: row), csrfToken: try row.string("csrf_token"), expiresAt: try row.date("expires_at"))
    }

    /// Ends the session (sign-out); true when it was live.
    @discardableResult
    public func end(token: String, at date: Date = Date()) async throws -> Bool {
        try await database.first(
            """
            UPDATE web_sessions SET ended_at = \(date.truncatedToMicroseconds)
            WHERE token_hash = \(APIKeyRepository.hash(token)) AND ended_at IS NULL RETURNING token_hash
            """
        ) != nil
    }

    /// Removes sessions that ended or expired before `date` (the janitor's sweep).
    public func removeExpired(before date: Date) async throws {
        let cut = date.truncatedToMicroseconds
        try await database.execute("DELETE FROM web_sessions WHERE expires_at < \(cut) OR ended_at < \(cut)")
    }
}
