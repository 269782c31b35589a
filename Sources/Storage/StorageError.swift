/// Errors from the storage layer that callers act on.
public enum StorageError: Error, Equatable, CustomStringConvertible {
    /// A unique constraint refused the row (a duplicate key).
    case uniqueViolation(String)
    /// A column did not hold what the code expected: a schema or code bug, never user input.
    case decoding(column: String, expected: String)
    /// The database URL or path is not usable.
    case configuration(String)
    /// The database refused or failed the statement.
    case database(String)
    /// The database or the photo store cannot take the work now (connection lost, server shutting
    /// down, deadlock, disk full): worth retrying; nothing was committed.
    case unavailable(String)
    /// The photo store holds bytes that are not what their address says (changed, truncated, over
    /// the limits): not an outage, so trying again cannot help.
    case corrupt(String)

    public var description: String {
        switch self {
        case .uniqueViolation(let detail): "unique constraint violated: \(detail)"
        case .decoding(let column, let expected): "column \(column) does not hold \(expected)"
        case .configuration(let detail): "storage configuration: \(detail)"
        case .database(let detail): "database error: \(detail)"
        case .unavailable(let detail): "storage unavailable: \(detail)"
        case .corrupt(let detail): "stored photo corrupt: \(detail)"
        }
    }
}
