import Foundation

/// Removes photo files that no photo references, without ever removing one that an upload is
/// about to reference.
///
/// Uploads write the file first and then, in their transaction, take the address lock, make sure
/// the file is still there (writing it again if a collection removed it meanwhile) and insert the
/// photo row. A collection takes the same lock, looks for a photo row and unlinks only when there
/// is none, before it releases the lock. Whichever comes second sees what the first did: the
/// collection sees the committed row, or the upload sees the missing file.
///
/// Addresses waiting for collection (an erasure's files, an unlink that failed) are kept in
/// `blob_garbage`, so the janitor retries them.
public struct PhotoFileCollector: Sendable {
    public let database: any SQLDatabase
    public let blobs: any PhotoStore

    public init(database: any SQLDatabase, blobs: any PhotoStore) {
        self.database = database
        self.blobs = blobs
    }

    /// Records addresses for collection, inside the caller's transaction.
    public func mark(_ addresses: [String], at date: Date, in db: any SQLExecutor) async throws {
        for address in addresses {
            try await db.execute("INSERT INTO blob_garbage (sha256, since) VALUES (\(address), \(date)) ON CONFLICT (sha256) DO NOTHING")
        }
    }

    /// What a collection did with one address.
    public enum Outcome: String, Sendable {
        /// The file was unlinked (or was already gone).
        case removed
        /// A photo references it: kept.
        case referenced
    }

    /// Removes the file at `address` unless a photo references it; the address leaves
    /// `blob_garbage` either way. Throws when the unlink fails; the address then stays marked, with
    /// the error, for the janitor.
    @discardableResult
    public func collect(_ address: String) async throws -> Outcome {
        do {
            return try await database.transaction { db in
                try await db.lockAddress(address)
                if try await db.first("SELECT id FROM photos WHERE sha256 = \(address) LIMIT 1") != nil {
                    try await db.execute("DELETE FROM blob_garbage WHERE sha256 = \(address)")
                    return .referenced
                }
                // A removal whose outcome is unknown (an object store that timed out) is tried again
                // under the lock until one answers for sure: an earlier request that lands late then
                // finds the object already gone, not an upload's re-stored one after the lock is released.
                for attempt in 1...3 {
                    do {
                        try await blobs.remove(sha256: address)
                        break
                    } catch where attempt < 3 {
                        continue
                    }
                }
                try await db.execute("DELETE FROM blob_garbage WHERE sha256 = \(address)")
                return .removed
            }
        } catch {
            let message = "\(error)"
            _ = try? await database.execute(
                """
                INSERT INTO blob_garbage (sha256, since, attempts, last_error) VALUES (\(address), \(Date()), 1, \(message))
                ON CONFLICT (sha256) DO UPDATE SET attempts = blob_garbage.attempts + 1, last_error = \(message)
                """
            )
            throw error
        }
    }

    /// Up to `limit` marked addresses, oldest first.
    public func marked(limit: Int) async throws -> [String] {
        try await database.execute("SELECT sha256 FROM blob_garbage ORDER BY since LIMIT \(limit)").map { try $0.string("sha256") }
    }

    /// Whether any photo references `address` (a read without the lock: a hint, not a decision).
    public func isReferenced(_ address: String) async throws -> Bool {
        try await database.first("SELECT id FROM photos WHERE sha256 = \(address) LIMIT 1") != nil
    }
}

extension SQLExecutor {
    /// Takes the lock of one photo address until the transaction ends (PostgreSQL: a transaction
    /// advisory lock on the address's hash). On SQLite a write transaction already excludes every
    /// other one.
    public func lockAddress(_ address: String) async throws {
        guard dialect == .postgres else { return }
        try await execute("SELECT 1 AS locked FROM (SELECT pg_advisory_xact_lock(hashtextextended(\(address), 0))) AS l")
    }
}
