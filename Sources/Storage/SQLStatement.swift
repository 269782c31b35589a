/// A statement whose interpolated values become bound parameters, never SQL text.
///
/// ```swift
/// let statement: SQLStatement = "SELECT * FROM photos WHERE id = \(id)"
/// ```
/// The driver renders placeholders in its own dialect (`$1` for PostgreSQL, `?1` for SQLite).
public struct SQLStatement: Sendable, ExpressibleByStringInterpolation {
    /// The SQL split around its parameters: `fragments.count == values.count + 1`.
    public private(set) var fragments: [String]
    public private(set) var values: [SQLValue]

    public init(stringLiteral value: String) {
        fragments = [value]
        values = []
    }

    public init(stringInterpolation: Interpolation) {
        fragments = stringInterpolation.fragments
        values = stringInterpolation.values
    }

    /// Renders the SQL with numbered placeholders made by `placeholder(index)` (1-based).
    public func render(placeholder: (Int) -> String) -> String {
        var sql = fragments[0]
        for index in values.indices {
            sql += placeholder(index + 1)
            sql += fragments[index + 1]
        }
        return sql
    }

    /// Appends another statement, keeping both sets of bindings.
    public static func + (lhs: SQLStatement, rhs: SQLStatement) -> SQLStatement {
        var result = lhs
        result.fragments[result.fragments.count - 1] += rhs.fragments[0]
        result.fragments += rhs.fragments.dropFirst()
        result.values += rhs.values
        return result
    }

    public struct Interpolation: StringInterpolationProtocol {
        var fragments: [String] = [""]
        var values: [SQLValue] = []

        public init(literalCapacity: Int, interpolationCount: Int) {}

        public mutating func appendLiteral(_ literal: String) {
            fragments[fragments.count - 1] += literal
        }

        public mutating func appendInterpolation(_ value: some SQLBindable) {
            values.append(value.sqlValue)
            fragments.append("")
        }

        /// Binds an optional value, NULL when nil.
        public mutating func appendInterpolation<T: SQLBindable>(_ value: T?) {
            values.append(value?.sqlValue ?? .null)
            fragments.append("")
        }

        /// Splices in SQL text chosen by the code (a dialect-specific clause), never user input.
        public mutating func appendInterpolation(unsafeSQL sql: String) {
            fragments[fragments.count - 1] += sql
        }
    }
}
