import Foundation
import Logging
import Metrics
import NIOSSL
import PostgresNIO
import ServiceLifecycle

/// PostgreSQL through postgres-nio's connection pool. It is a `Service`: `run()` must be running
/// (in the application's service group) for queries to get connections.
public final class PostgresDatabase: SQLDatabase, Service {
    public let dialect = SQLDialect.postgres
    private let client: PostgresClient
    private let logger: Logger
    private let observation: DatabaseObservation

    /// Connects to `postgres://user:password@host:port/database?sslmode=disable|prefer|require&sslrootcert=FILE`.
    /// `sslMode` and `rootCertificate` apply where the URL has no `sslmode` or `sslrootcert` (a
    /// connection string from a Secret, e.g. CloudNativePG's, that carries neither). With a root
    /// certificate the server's chain and host name are verified against it instead of the
    /// system's CAs (an operator's own CA); the file must be readable at start.
    public init(url: String, maxConnections: Int = 20, sslMode defaultSSLMode: String? = nil, rootCertificate defaultRootCertificate: String? = nil, logger: Logger,
        metrics: any MetricsFactory = MetricsSystem.factory
    ) throws {
        guard let components = URLComponents(string: url),
            ["postgres", "postgresql"].contains(components.scheme ?? ""),
            let host = components.host, !host.isEmpty
        else {
            throw StorageError.configuration("DATABASE_URL must look like postgres://user:password@host:5432/database")
        }
        func query(_ name: String) -> String? { components.queryItems?.first { $0.name == name }?.value.flatMap { $0.isEmpty ? nil : $0 } }
        let sslMode = query("sslmode") ?? defaultSSLMode ?? "prefer"
        var tlsConfiguration = TLSConfiguration.makeClientConfiguration()
        if let rootCertificate = query("sslrootcert") ?? defaultRootCertificate {
            guard FileManager.default.isReadableFile(atPath: rootCertificate) else {
                throw StorageError.configuration("the database's root certificate \(rootCertificate) cannot be read")
            }
            tlsConfiguration.trustRoots = .file(rootCertificate)
        }
        let tls: PostgresClient.Configuration.TLS
        switch sslMode {
        case "disable": tls = .disable
        case "prefer": tls = .prefer(tlsConfiguration)
        case "require", "verify-full": tls = .require(tlsConfiguration)
        default: throw StorageError.configuration("sslmode \(sslMode) is not one of disable, prefer, require")
        }
        var configuration = PostgresClient.Configuration(
            host: host,
            port: components.port ?? 5432,
            username: components.percentEncodedUser?.removingPercentEncoding ?? "postgres",
            password: components.percentEncodedPassword?.removingPercentEncoding,
            database: String(components.path.dropFirst()).isEmpty ? nil : String(components.path.dropFirst()),
            tls: tls
        )
        configuration.options.maximumConnections = maxConnections
        self.client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.logger = logger
        self.observation = DatabaseObservation(system: "postgresql", maxConnections: maxConnections, metrics: metrics)
    }

    public func run() async throws {
        await client.run()
    }

    @discardableResult
    public func execute(_ statement: SQLStatement) async throws -> [SQLRow] {
        try await observation.statement(statement, holding: false) {
            try await Self.mapErrors {
                try await client.withConnection { connection in
                    // Counted in use (and timed) from when the pool gave the connection, not while waiting for one.
                    try await observation.holding(transaction: false) {
                        try await Self.decode(connection.query(Self.query(statement), logger: logger).collect())
                    }
                }
            }
        }
    }

    public func transaction<T: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        do {
            return try await observation.transaction {
                try await client.withTransaction(logger: logger) { connection in
                    try await observation.holding(transaction: true) { try await body(Transaction(connection: connection, logger: logger, observation: observation)) }
                }
            }
        } catch let error as PostgresTransactionError {
            // Surface the cause: the closure's own error (a domain refusal, say) or the failed statement.
            throw error.closureError ?? error.commitError.map(Self.translate) ?? error.beginError.map(Self.translate) ?? error
        }
    }

    public func ping() async -> Bool {
        (try? await execute("SELECT 1 AS one")) != nil
    }

    public func close() async {}

    private struct Transaction: SQLExecutor {
        let connection: PostgresConnection
        let logger: Logger
        let observation: DatabaseObservation
        var dialect: SQLDialect { .postgres }

        func execute(_ statement: SQLStatement) async throws -> [SQLRow] {
            try await observation.statement(statement, holding: false) {
                try await PostgresDatabase.mapErrors {
                    try await PostgresDatabase.decode(connection.query(PostgresDatabase.query(statement), logger: logger).collect())
                }
            }
        }
    }

    static func query(_ statement: SQLStatement) -> PostgresQuery {
        var binds = PostgresBindings(capacity: statement.values.count)
        for value in statement.values {
            switch value {
            case .null: binds.appendNull()
            case .int(let int): binds.append(int)
            case .double(let double): binds.append(double)
            case .text(let text): binds.append(text)
            case .bytes(let bytes): binds.append(ByteBuffer(bytes: bytes))
            case .uuid(let uuid): binds.append(uuid)
            case .date(let date): binds.append(date)
            }
        }
        return PostgresQuery(unsafeSQL: statement.render { "$\($0)" }, binds: binds)
    }

    static func decode(_ rows: [PostgresRow]) throws -> [SQLRow] {
        try rows.map { row in
            var columns: [String: SQLValue] = [:]
            for cell in row where columns[cell.columnName] == nil {
                columns[cell.columnName] = try decode(cell)
            }
            return SQLRow(columns: columns)
        }
    }

    private static func decode(_ cell: PostgresCell) throws -> SQLValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .int2, .int4, .int8: return .int(try cell.decode(Int64.self))
        case .float4, .float8: return .double(try cell.decode(Double.self))
        case .bool: return .int(try cell.decode(Bool.self) ? 1 : 0)
        case .bytea: return .bytes(Array(try cell.decode(ByteBuffer.self).readableBytesView))
        case .uuid: return .uuid(try cell.decode(UUID.self))
        case .timestamptz, .timestamp: return .date(try cell.decode(Date.self))
        default: return .text(try cell.decode(String.self))
        }
    }

    static func mapErrors<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as PSQLError {
            throw translate(error)
        }
    }

    private static func translate(_ error: any Error) -> any Error {
        guard let error = error as? PSQLError else { return error }
        let state = error.serverInfo?[.sqlState]
        if state == "23505" {
            return StorageError.uniqueViolation(error.serverInfo?[.constraintName] ?? "unique constraint")
        }
        // Deadlock, serialisation failure, shutdown, too many connections, connection exceptions,
        // or no answer from the server at all: the request may be retried.
        if let state, ["40P01", "40001", "57P01", "57P02", "57P03", "53300"].contains(state) || state.hasPrefix("08") {
            return StorageError.unavailable("\(error.serverInfo?[.message] ?? state) (SQLSTATE \(state))")
        }
        if state == nil {
            return StorageError.unavailable("PostgreSQL: \(error.code)")
        }
        if let message = error.serverInfo?[.message] {
            return StorageError.database("\(message) (SQLSTATE \(error.serverInfo?[.sqlState] ?? "?"))")
        }
        return StorageError.database("\(error.code)")
    }
}
