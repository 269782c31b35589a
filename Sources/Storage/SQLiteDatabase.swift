import Foundation
import Logging
import Metrics
import SQLiteNIO

/// The embedded database: one SQLite file in WAL mode, with `synchronous=FULL` so a commit that
/// returned survives a power cut.
///
/// All statements go through one connection, serialised by a lock so a transaction's statements
/// never interleave with another task's. Other processes on the same file (a worker next to the
/// API) take turns through SQLite's own file locks; `BEGIN IMMEDIATE` takes the write lock up front.
public final class SQLiteDatabase: SQLDatabase {
    public let dialect = SQLDialect.sqlite
    public let path: String
    private let connection: SQLiteConnection
    private let lock = AsyncMutex()
    private let observation: DatabaseObservation

    private init(path: String, connection: SQLiteConnection, metrics: any MetricsFactory) {
        self.path = path
        self.connection = connection
        self.observation = DatabaseObservation(system: "sqlite", maxConnections: 1, metrics: metrics)
    }

    /// Opens (creating if needed) the database file at `path`.
    public static func open(path: String, logger: Logger, metrics: any MetricsFactory = MetricsSystem.factory) async throws -> SQLiteDatabase {
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        let connection = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        let database = SQLiteDatabase(path: path, connection: connection, metrics: metrics)
        for pragma in ["PRAGMA journal_mode = WAL", "PRAGMA synchronous = FULL", "PRAGMA foreign_keys = ON"] {
            _ = try await connection.query(pragma)
        }
        return database
    }

    @discardableResult
    public func execute(_ statement: SQLStatement) async throws -> [SQLRow] {
        try await lock.withLock { try await observation.statement(statement, holding: true) { try await Self.run(statement, on: connection) } }
    }

    public func transaction<T: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        try await lock.withLock {
            try await observation.transaction {
                try await observation.holding(transaction: true) {
                    try await Self.control("BEGIN IMMEDIATE", on: connection)
                    do {
                        let result = try await body(Transaction(connection: connection, observation: observation))
                        try await Self.control("COMMIT", on: connection)
                        return result
                    } catch {
                        try? await Self.control("ROLLBACK", on: connection)
                        throw error
                    }
                }
            }
        }
    }

    /// Runs BEGIN, COMMIT or ROLLBACK. In a cancelled task it runs in a task of its own, which the
    /// cancellation does not reach: a cancelled caller (a drained or timed-out job) must never
    /// leave the one connection inside a transaction ("cannot start a transaction within a
    /// transaction" for everyone after it). Otherwise directly: no extra hop holding the lock.
    private static func control(_ sql: SQLStatement, on connection: SQLiteConnection) async throws {
        if Task.isCancelled {
            _ = try await Task { try await run(sql, on: connection) }.value
        } else {
            _ = try await run(sql, on: connection)
        }
    }

    public func ping() async -> Bool {
        (try? await execute("SELECT 1 AS one")) != nil
    }

    public func close() async {
        try? await lock.withLock { try await connection.close() }
    }

    /// Statements inside a transaction, which already holds the lock.
    private struct Transaction: SQLExecutor {
        let connection: SQLiteConnection
        let observation: DatabaseObservation
        var dialect: SQLDialect { .sqlite }

        func execute(_ statement: SQLStatement) async throws -> [SQLRow] {
            try await observation.statement(statement, holding: false) { try await SQLiteDatabase.run(statement, on: connection) }
        }
    }

    static func run(_ statement: SQLStatement, on connection: SQLiteConnection) async throws -> [SQLRow] {
        let sql = statement.render { "?\($0)" }
        let binds = statement.values.map(Self.encode)
        do {
            return try await connection.query(sql, binds).map { row in
                var columns: [String: SQLValue] = [:]
                for column in row.columns where columns[column.name] == nil {
                    columns[column.name] = Self.decode(column.data)
                }
                return SQLRow(columns: columns)
            }
        } catch let error as SQLiteError {
            // Extended result codes are on (sqlite-nio opens with SQLITE_OPEN_EXRESCODE): only these
            // two are unique violations; a foreign-key, NOT NULL or CHECK failure is a database error.
            if [.constraintUniqueFailed, .constraintPrimaryKeyFailed].contains(error.reason) {
                throw StorageError.uniqueViolation(error.message)
            }
            if [.busy, .busyTimeout, .busyInRecovery, .locked, .full, .ioError, .ioErrorFailedWrite, .ioErrorFailedSync].contains(error.reason) {
                throw StorageError.unavailable(error.description)
            }
            throw StorageError.database(error.description)
        }
    }

    private static func encode(_ value: SQLValue) -> SQLiteData {
        switch value {
        case .null: .null
        case .int(let int): .integer(Int(int))
        case .double(let double): .float(double)
        case .text(let text): .text(text)
        case .bytes(let bytes): .blob(ByteBuffer(bytes: bytes))
        case .uuid(let uuid): .text(uuid.uuidString)
        case .date(let date): .integer(Int(date.microsecondsSince1970))
        }
    }

    private static func decode(_ data: SQLiteData) -> SQLValue {
        switch data {
        case .integer(let int): .int(Int64(int))
        case .float(let double): .double(double)
        case .text(let text): .text(text)
        case .blob(let buffer): .bytes(Array(buffer.readableBytesView))
        case .null: .null
        }
    }
}
