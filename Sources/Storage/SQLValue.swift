import Foundation

/// A value bound into or read out of a statement, in a form both PostgreSQL and SQLite can carry.
///
/// Each driver maps the cases to its own types: in PostgreSQL `uuid` is `UUID` and `date` is
/// `TIMESTAMPTZ`; in SQLite a UUID is stored as text and a date as integer microseconds since 1970.
public enum SQLValue: Sendable, Equatable {
    case null
    case int(Int64)
    case double(Double)
    case text(String)
    case bytes([UInt8])
    case uuid(UUID)
    case date(Date)
}

/// Types that can be bound into a statement through interpolation.
public protocol SQLBindable: Sendable {
    var sqlValue: SQLValue { get }
}

extension Int: SQLBindable { public var sqlValue: SQLValue { .int(Int64(self)) } }
extension Int64: SQLBindable { public var sqlValue: SQLValue { .int(self) } }
extension Double: SQLBindable { public var sqlValue: SQLValue { .double(self) } }
extension String: SQLBindable { public var sqlValue: SQLValue { .text(self) } }
extension UUID: SQLBindable { public var sqlValue: SQLValue { .uuid(self) } }
extension Date: SQLBindable { public var sqlValue: SQLValue { .date(self) } }
extension [UInt8]: SQLBindable { public var sqlValue: SQLValue { .bytes(self) } }
extension SQLValue: SQLBindable { public var sqlValue: SQLValue { self } }

extension Optional: SQLBindable where Wrapped: SQLBindable {
    public var sqlValue: SQLValue { self?.sqlValue ?? .null }
}

extension RawRepresentable where RawValue == String, Self: Sendable {
    /// Domain enums are stored by their raw value.
    public var sqlValue: SQLValue { .text(rawValue) }
}

extension Date {
    /// Microseconds since 1970, the precision both databases keep. Dates outside
    /// `Date.storableMicroseconds` (or NaN) are clamped to its ends: never a trap.
    var microsecondsSince1970: Int64 {
        let micros = (timeIntervalSince1970 * 1_000_000).rounded()
        guard micros.isFinite else { return micros > 0 ? Self.storableMicroseconds.upperBound : Self.storableMicroseconds.lowerBound }
        return Int64(min(max(micros, Double(Self.storableMicroseconds.lowerBound)), Double(Self.storableMicroseconds.upperBound)))
    }

    /// The times this service stores: from year 1 to the end of year 9999 in microseconds since
    /// 1970 (PostgreSQL's and SQLite's ranges both contain it).
    public static let storableMicroseconds: ClosedRange<Int64> = -62_135_596_800_000_000...253_402_300_799_999_999

    init(microsecondsSince1970 value: Int64) {
        self.init(timeIntervalSince1970: Double(value) / 1_000_000)
    }

    /// This date cut to the microsecond, so it compares equal after a round trip through either database.
    public var truncatedToMicroseconds: Date { Date(microsecondsSince1970: microsecondsSince1970) }
}
