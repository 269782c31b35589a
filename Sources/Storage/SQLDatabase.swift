/// The SQL dialects Walkaround runs on.
public enum SQLDialect: String, Sendable {
    case postgres
    case sqlite
}

/// Something that runs statements: a database, or a connection inside a transaction.
public protocol SQLExecutor: Sendable {
    var dialect: SQLDialect { get }
    /// Runs one statement and returns its rows (empty for statements without a result).
    @discardableResult
    func execute(_ statement: SQLStatement) async throws -> [SQLRow]
}

/// A database: PostgreSQL through postgres-nio, or SQLite through sqlite-nio.
///
/// Repositories are written once against this protocol; the two drivers are where the
/// databases differ (placeholders, value types, locking, transactions).
public protocol SQLDatabase: SQLExecutor {
    /// Runs `body` in a transaction that takes the write lock at once
    /// (PostgreSQL `BEGIN`; SQLite `BEGIN IMMEDIATE`), committing when it returns and rolling back when it throws.
    func transaction<T: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> T) async throws -> T
    /// Whether the database answers a trivial query.
    func ping() async -> Bool
    /// Releases connections; the database is unusable afterwards.
    func close() async
}

extension SQLExecutor {
    /// The first row of a query, if any.
    public func first(_ statement: SQLStatement) async throws -> SQLRow? {
        try await execute(statement).first
    }

    /// SQL text that differs between dialects.
    public func dialectSQL(postgres: String, sqlite: String) -> String {
        switch dialect {
        case .postgres: postgres
        case .sqlite: sqlite
        }
    }
}
