import Foundation

/// A JSON value, parsed to be written again in one canonical form: what a signature covers, so
/// a document that is re-indented or has its keys reordered still verifies, and one whose values
/// changed does not.
///
/// The canonical form: no whitespace, object keys sorted by their UTF-8 bytes, strings with only
/// `"`, `\` and control characters escaped (as `\uXXXX`, or `\n`, `\r`, `\t`, `\b`, `\f`), whole
/// numbers up to 2⁶³ in decimal digits, other numbers in the shortest form that reads back to the
/// same double.
public indirect enum JSONValue: Sendable, Equatable, Decodable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// The deepest nesting read; deeper documents are refused rather than recursed into.
    public static let maxDepth = 64

    public init(from decoder: any Decoder) throws {
        guard decoder.codingPath.count <= Self.maxDepth else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "nested deeper than \(Self.maxDepth) levels"))
        }
        if var array = try? decoder.unkeyedContainer() {
            var values: [JSONValue] = []
            while !array.isAtEnd { values.append(try array.decode(JSONValue.self)) }
            self = .array(values)
        } else if let object = try? decoder.container(keyedBy: AnyKey.self) {
            var values: [String: JSONValue] = [:]
            for key in object.allKeys { values[key.stringValue] = try object.decode(JSONValue.self, forKey: key) }
            self = .object(values)
        } else {
            let value = try decoder.singleValueContainer()
            if value.decodeNil() {
                self = .null
            } else if let bool = try? value.decode(Bool.self) {
                self = .bool(bool)
            } else if let integer = try? value.decode(Int64.self) {
                self = .integer(integer)
            } else if let number = try? value.decode(Double.self) {
                guard number.isFinite else { throw DecodingError.dataCorruptedError(in: value, debugDescription: "a number must be finite") }
                self = .number(number)
            } else {
                self = .string(try value.decode(String.self))
            }
        }
    }

    /// Parses a JSON document (a plain decoder: keys stay as written).
    public static func parse(_ data: Data) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: data)
    }

    /// The first object key that appears twice in one object of `data` (a JSON document that
    /// parsed), by its decoded text, or nil. Parsers disagree on which of two values they keep
    /// (Foundation the first, most others the last), so a signed document with one is ambiguous.
    public static func duplicateKey(in data: Data) -> String? {
        struct Frame {
            var isObject: Bool
            var keys: Set<String> = []
            var expectingKey = false
        }
        var stack: [Frame] = []
        let bytes = [UInt8](data)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "{"): stack.append(Frame(isObject: true, expectingKey: true))
            case UInt8(ascii: "["): stack.append(Frame(isObject: false))
            case UInt8(ascii: "}"), UInt8(ascii: "]"): _ = stack.popLast()
            case UInt8(ascii: ","): if !stack.isEmpty, stack[stack.count - 1].isObject { stack[stack.count - 1].expectingKey = true }
            case UInt8(ascii: "\""):
                let start = index
                index += 1
                while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
                    index += bytes[index] == UInt8(ascii: "\\") ? 2 : 1
                }
                if !stack.isEmpty, stack[stack.count - 1].isObject, stack[stack.count - 1].expectingKey, index < bytes.count {
                    let key = (try? JSONDecoder().decode(String.self, from: Data(bytes[start...index]))) ?? String(decoding: bytes[start...index], as: UTF8.self)
                    if !stack[stack.count - 1].keys.insert(key).inserted { return key }
                    stack[stack.count - 1].expectingKey = false
                }
            default: break
            }
            index += 1
        }
        return nil
    }

    public subscript(key: String) -> JSONValue? {
        if case .object(let object) = self { return object[key] }
        return nil
    }

    public var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    /// This value in canonical form.
    public var canonical: [UInt8] {
        var out: [UInt8] = []
        write(to: &out)
        return out
    }

    private func write(to out: inout [UInt8]) {
        switch self {
        case .null: out += Array("null".utf8)
        case .bool(let value): out += Array((value ? "true" : "false").utf8)
        case .integer(let value): out += Array(String(value).utf8)
        case .number(let value):
            if value == value.rounded(), abs(value) < 9.2e18 {
                out += Array(String(Int64(value)).utf8)
            } else {
                out += Array("\(value)".utf8)
            }
        case .string(let text): Self.writeString(text, to: &out)
        case .array(let values):
            out.append(UInt8(ascii: "["))
            for (index, value) in values.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                value.write(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let object):
            out.append(UInt8(ascii: "{"))
            for (index, key) in Self.sortedKeys(object).enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                Self.writeString(key, to: &out)
                out.append(UInt8(ascii: ":"))
                object[key]!.write(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    static func sortedKeys(_ object: [String: JSONValue]) -> [String] {
        object.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }

    private static func writeString(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += Array("\\\"".utf8)
            case UInt8(ascii: "\\"): out += Array("\\\\".utf8)
            case 0x0A: out += Array("\\n".utf8)
            case 0x0D: out += Array("\\r".utf8)
            case 0x09: out += Array("\\t".utf8)
            case 0x08: out += Array("\\b".utf8)
            case 0x0C: out += Array("\\f".utf8)
            case 0..<0x20:
                let hex = String(byte, radix: 16)
                out += Array(("\\u" + String(repeating: "0", count: 4 - hex.count) + hex).utf8)
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Every leaf (scalar, empty array, empty object) with its path: `.key` for object members
    /// (`["key"]` when the key is not a plain name), `[i]` for array elements.
    public func leaves(at path: String = "") -> [(path: String, value: JSONValue)] {
        switch self {
        case .array(let values) where !values.isEmpty:
            return values.enumerated().flatMap { index, value in value.leaves(at: "\(path)[\(index)]") }
        case .object(let object) where !object.isEmpty:
            return Self.sortedKeys(object).flatMap { key in
                let plain = key.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") } && !key.isEmpty
                let escaped = String(decoding: JSONValue.string(key).canonical, as: UTF8.self)
                return object[key]!.leaves(at: plain ? "\(path).\(key)" : "\(path)[\(escaped)]")
            }
        default:
            return [(path, self)]
        }
    }
}

struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
