import Foundation

/// One result row, read by column name.
public struct SQLRow: Sendable {
    public var columns: [String: SQLValue]

    public init(columns: [String: SQLValue]) {
        self.columns = columns
    }

    public func isNull(_ name: String) -> Bool {
        (columns[name] ?? .null) == .null
    }

    public func string(_ name: String) throws(StorageError) -> String {
        guard case .text(let value) = columns[name] else { throw .decoding(column: name, expected: "text") }
        return value
    }

    public func optionalString(_ name: String) throws(StorageError) -> String? {
        isNull(name) ? nil : try string(name)
    }

    public func int(_ name: String) throws(StorageError) -> Int {
        switch columns[name] {
        case .int(let value): return Int(value)
        case .double(let value) where value == value.rounded(): return Int(value)
        default: throw .decoding(column: name, expected: "integer")
        }
    }

    public func optionalInt(_ name: String) throws(StorageError) -> Int? {
        isNull(name) ? nil : try int(name)
    }

    public func double(_ name: String) throws(StorageError) -> Double {
        switch columns[name] {
        case .double(let value): return value
        case .int(let value): return Double(value)
        default: throw .decoding(column: name, expected: "double")
        }
    }

    public func uuid(_ name: String) throws(StorageError) -> UUID {
        switch columns[name] {
        case .uuid(let value): return value
        case .text(let text):
            guard let value = UUID(uuidString: text) else { throw .decoding(column: name, expected: "uuid") }
            return value
        default: throw .decoding(column: name, expected: "uuid")
        }
    }

    public func optionalUUID(_ name: String) throws(StorageError) -> UUID? {
        isNull(name) ? nil : try uuid(name)
    }

    public func date(_ name: String) throws(StorageError) -> Date {
        switch columns[name] {
        case .date(let value): return value
        case .int(let micros): return Date(microsecondsSince1970: micros)
        default: throw .decoding(column: name, expected: "timestamp")
        }
    }

    public func optionalDate(_ name: String) throws(StorageError) -> Date? {
        isNull(name) ? nil : try date(name)
    }

    public func bytes(_ name: String) throws(StorageError) -> [UInt8] {
        guard case .bytes(let value) = columns[name] else { throw .decoding(column: name, expected: "bytes") }
        return value
    }

    /// Reads a domain enum stored by its raw value.
    public func value<T: RawRepresentable>(_ name: String, as type: T.Type = T.self) throws(StorageError) -> T
    where T.RawValue == String {
        let raw = try string(name)
        guard let value = T(rawValue: raw) else { throw .decoding(column: name, expected: "\(T.self)") }
        return value
    }
}
