import Foundation
import WalkaroundCore

/// The repair cost matrices set through the API, each a version: the highest is in force. Kept,
/// not overwritten, so a report's `matrix_version` always names the prices it was given.
public struct CostMatrixRepository: Sendable {
    public let database: any SQLDatabase

    public init(database: any SQLDatabase) {
        self.database = database
    }

    /// One stored matrix: its document (as `CostMatrix.document` wrote it) and who set it when.
    public struct Stored: Sendable, Equatable {
        public var version: Int
        public var document: String
        public var setAt: Date
        public var keyID: UUID?
        public var keyName: String?
    }

    /// The version in force (nil: none was set through the API).
    public func latestVersion() async throws -> Int? {
        try await database.execute("SELECT version FROM cost_matrices ORDER BY version DESC LIMIT 1").first.map { try $0.int("version") }
    }

    public func get(version: Int) async throws -> Stored? {
        try await database.execute("SELECT * FROM cost_matrices WHERE version = \(version)").first.map(Stored.init(row:))
    }

    /// Stores `document` as the next version. Two admins setting a matrix at once both get a
    /// version: the one that loses the primary key tries the next number.
    public func add(document: String, at date: Date, keyID: UUID?, keyName: String?) async throws -> Stored {
        for attempt in 1...5 {
            do {
                return try await database.transaction { db in
                    let next = try await db.execute("SELECT COALESCE(MAX(version), 0) + 1 AS next FROM cost_matrices").first?.int("next") ?? 1
                    try await db.execute(
                        """
                        INSERT INTO cost_matrices (version, document, set_at, key_id, key_name)
                        VALUES (\(next), \(document), \(date), \(keyID), \(keyName))
                        """
                    )
                    return Stored(version: next, document: document, setAt: date, keyID: keyID, keyName: keyName)
                }
            } catch StorageError.uniqueViolation(let detail) {
                if attempt == 5 { throw StorageError.uniqueViolation(detail) }
            }
        }
        throw StorageError.unavailable("the cost matrix could not be stored")
    }
}

extension CostMatrixRepository.Stored {
    init(row: SQLRow) throws {
        self.init(
            version: try row.int("version"), document: try row.string("document"), setAt: try row.date("set_at"),
            keyID: try row.optionalUUID("key_id"), keyName: try row.optionalString("key_name")
        )
    }
}
