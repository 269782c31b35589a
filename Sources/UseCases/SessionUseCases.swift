import Crypto
import Foundation
import Logging
import Storage
import WalkaroundCore

/// Signing in to the web app with an API key, once per browser: the rules of a session (who may
/// sign in, how long it lasts, what ends it, the CSRF check) for the pages and for the JSON API
/// when it is called with the session's cookie.
public struct SessionUseCases: Sendable {
    public typealias Session = WebSessionRepository.Session
    let keys: APIKeyRepository
    let sessions: WebSessionRepository
    /// How long a session lasts from sign-in (a working day by default).
    public var lifetime: TimeInterval

    public init(database: any SQLDatabase, lifetime: TimeInterval = 12 * 3600) {
        keys = APIKeyRepository(database: database)
        sessions = WebSessionRepository(database: database)
        self.lifetime = lifetime
    }

    /// A session for the key whose secret was typed in; `unauthorized` (not found) for an unknown
    /// or revoked key, with no hint which.
    public func signIn(secret: String, logger: Logger) async throws -> (token: String, session: Session) {
        let secret = secret.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...256).contains(secret.utf8.count), let key = try await keys.authenticate(secret: secret) else {
            throw UseCaseError(.forbidden, code: "sign_in_failed", message: "that key is not a valid, unrevoked Walkaround key")
        }
        let created = try await sessions.create(keyID: key.id, lifetime: lifetime)
        logger.notice("signed in", metadata: ["key": "\(key.id)", "role": "\(key.role.rawValue)"])
        return (created.token, Session(key: key, csrfToken: created.csrfToken, expiresAt: created.expiresAt))
    }

    /// The live session of a cookie, or nil (expired, signed out, key revoked, never existed).
    public func session(token: String) async throws -> Session? {
        try await sessions.authenticate(token: token)
    }

    public func signOut(token: String) async throws {
        try await sessions.end(token: token)
    }

    /// A write made with a session's cookie must carry its CSRF token (a form field or the
    /// `X-CSRF-Token` header); compared in constant time.
    public static func csrfMatches(_ given: String?, _ session: Session) -> Bool {
        given.map { constantTimeEqual($0, session.csrfToken) } ?? false
    }

    /// Equal strings, compared in time that depends on their length only.
    public static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        guard a.utf8.count == b.utf8.count else { return false }
        return zip(a.utf8, b.utf8).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
