import Foundation

/// The first answer given to an `Idempotency-Key`, replayed when a client retries the same request.
public struct IdempotentResponse: Sendable, Equatable {
    /// What identifies the request (inspection, view and content hash), to tell a retry from a reused key.
    public var fingerprint: String
    public var status: Int
    public var body: String

    public init(fingerprint: String, status: Int, body: String) {
        self.fingerprint = fingerprint
        self.status = status
        self.body = body
    }
}

/// Idempotency keys, scoped to the API key that sent them.
public struct IdempotencyRepository: Sendable {
    public let database: any SQLDatabase

    public init(database: any SQLDatabase) {
        self.database = database
    }

    public func find(apiKeyID: UUID, key: String, in db: (any SQLExecutor)? = nil) async throws -> IdempotentResponse? {
        try await (db ?? database).first(
            "SELECT fingerprint, response_status, response_body FROM idempotency_keys WHERE api_key_id = \(apiKeyID) AND key = \(key)"
        ).map { row in
            IdempotentResponse(
                fingerprint: try row.string("fingerprint"),
                status: try row.int("response_status"),
                body: try row.string("response_body")
            )
        }
    }

    public func insert(
        apiKeyID: UUID,
        key: String,
        inspectionID: UUID,
        photoID: UUID,
        response: IdempotentResponse,
        at date: Date,
        in db: any SQLExecutor
    ) async throws {
        try await db.execute(
            """
            INSERT INTO idempotency_keys (api_key_id, key, inspection_id, photo_id, fingerprint, response_status, response_body, created_at)
            VALUES (\(apiKeyID), \(key), \(inspectionID), \(photoID), \(response.fingerprint), \(response.status), \(response.body), \(date))
            """
        )
    }
}
