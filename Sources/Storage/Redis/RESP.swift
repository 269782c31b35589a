import NIOCore

/// A RESP3 value (Redis's wire protocol, version 3: the reply types of RESP2 plus maps, sets,
/// doubles, booleans, nulls, big numbers, verbatim strings and out-of-band push messages).
public indirect enum RESPValue: Sendable, Equatable {
    case simpleString(String)
    case error(String)
    case integer(Int64)
    case bulkString([UInt8])
    case array([RESPValue])
    case null
    case double(Double)
    case boolean(Bool)
    case bigNumber(String)
    case map([(RESPValue, RESPValue)])
    case set([RESPValue])
    /// Out of band: pub/sub messages and invalidations, never the reply to a command.
    case push([RESPValue])

    public static func == (a: RESPValue, b: RESPValue) -> Bool {
        switch (a, b) {
        case (.simpleString(let x), .simpleString(let y)), (.error(let x), .error(let y)), (.bigNumber(let x), .bigNumber(let y)): x == y
        case (.integer(let x), .integer(let y)): x == y
        case (.bulkString(let x), .bulkString(let y)): x == y
        case (.array(let x), .array(let y)), (.set(let x), .set(let y)), (.push(let x), .push(let y)): x == y
        case (.null, .null): true
        case (.double(let x), .double(let y)): x == y || (x.isNaN && y.isNaN)
        case (.boolean(let x), .boolean(let y)): x == y
        case (.map(let x), .map(let y)): x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: false
        }
    }

    /// The text of a string reply (simple, bulk or verbatim), nil otherwise.
    public var string: String? {
        switch self {
        case .simpleString(let text): text
        case .bulkString(let bytes): String(decoding: bytes, as: UTF8.self)
        default: nil
        }
    }

    public var bytes: [UInt8]? {
        switch self {
        case .bulkString(let bytes): bytes
        case .simpleString(let text): Array(text.utf8)
        default: nil
        }
    }

    public var int: Int64? {
        switch self {
        case .integer(let value): value
        case .bulkString, .simpleString: string.flatMap { Int64($0) }
        default: nil
        }
    }
}

/// Limits on what a server may send (every number on the wire is checked before it is used).
public struct RESPLimits: Sendable {
    /// The longest bulk string accepted.
    public var maxBulkBytes: Int
    /// The most elements in one aggregate (array, map, set, push).
    public var maxElements: Int
    /// The deepest nesting of aggregates.
    public var maxDepth: Int

    public init(maxBulkBytes: Int = 64 << 20, maxElements: Int = 1 << 20, maxDepth: Int = 16) {
        self.maxBulkBytes = maxBulkBytes
        self.maxElements = maxElements
        self.maxDepth = maxDepth
    }
}

/// The server sent something that is not RESP3 within the limits: the connection is closed.
public struct RESPProtocolError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Reads RESP3 values from a buffer; `nil` when the buffer does not hold a whole value yet (the
/// reader index is then left where it was).
public struct RESPParser: Sendable {
    public var limits: RESPLimits

    public init(limits: RESPLimits = RESPLimits()) {
        self.limits = limits
    }

    public func parse(_ buffer: inout ByteBuffer) throws -> RESPValue? {
        let start = buffer.readerIndex
        do {
            guard let value = try value(&buffer, depth: 0) else {
                buffer.moveReaderIndex(to: start)
                return nil
            }
            return value
        } catch {
            buffer.moveReaderIndex(to: start)
            throw error
        }
    }

    private func value(_ buffer: inout ByteBuffer, depth: Int) throws -> RESPValue? {
        guard depth <= limits.maxDepth else { throw RESPProtocolError("aggregates nested deeper than \(limits.maxDepth)") }
        guard let type = buffer.readInteger(as: UInt8.self) else { return nil }
        guard let line = try Self.line(&buffer) else { return nil }
        switch type {
        case UInt8(ascii: "+"): return .simpleString(line)
        case UInt8(ascii: "-"): return .error(line)
        case UInt8(ascii: ":"): return .integer(try Self.integer(line))
        case UInt8(ascii: "_"): return .null
        case UInt8(ascii: "#"):
            guard line == "t" || line == "f" else { throw RESPProtocolError("boolean \(line.prefix(20))") }
            return .boolean(line == "t")
        case UInt8(ascii: ","):
            switch line {
            case "inf": return .double(.infinity)
            case "-inf": return .double(-.infinity)
            case "nan": return .double(.nan)
            default:
                guard let number = Double(line) else { throw RESPProtocolError("double \(line.prefix(20))") }
                return .double(number)
            }
        case UInt8(ascii: "("): return .bigNumber(line)
        case UInt8(ascii: "$"), UInt8(ascii: "!"), UInt8(ascii: "="):
            let length = try Self.integer(line)
            if length == -1 { return .null }  // RESP2's null bulk string
            guard (0...Int64(limits.maxBulkBytes)).contains(length) else { throw RESPProtocolError("bulk length \(length)") }
            let count = Int(length)
            guard buffer.readableBytes >= count + 2, let bytes = buffer.readBytes(length: count) else { return nil }
            guard buffer.readInteger(as: UInt16.self) == 0x0D0A else { throw RESPProtocolError("bulk string not ended by CRLF") }
            if type == UInt8(ascii: "$") { return .bulkString(bytes) }
            // Verbatim (`=`) and blob errors (`!`): a verbatim string starts with a 3-letter format and a colon.
            if type == UInt8(ascii: "!") { return .error(String(decoding: bytes, as: UTF8.self)) }
            return .bulkString(bytes.count >= 4 ? Array(bytes.dropFirst(4)) : bytes)
        case UInt8(ascii: "*"), UInt8(ascii: "~"), UInt8(ascii: ">"), UInt8(ascii: "%"), UInt8(ascii: "|"):
            let declared = try Self.integer(line)
            if declared == -1 { return .null }  // RESP2's null array
            let isMap = type == UInt8(ascii: "%") || type == UInt8(ascii: "|")
            // A map's count is of pairs: twice as many values.
            guard (0...Int64(limits.maxElements / (isMap ? 2 : 1))).contains(declared) else {
                throw RESPProtocolError("aggregate of \(declared) elements")
            }
            let count = Int(declared)
            var elements: [RESPValue] = []
            elements.reserveCapacity(min(count * (isMap ? 2 : 1), 1024))
            for _ in 0..<(isMap ? count * 2 : count) {
                guard let element = try value(&buffer, depth: depth + 1) else { return nil }
                elements.append(element)
            }
            switch type {
            case UInt8(ascii: "*"): return .array(elements)
            case UInt8(ascii: "~"): return .set(elements)
            case UInt8(ascii: ">"): return .push(elements)
            case UInt8(ascii: "|"):
                // Attributes describe the reply that follows: read past them (deeper, so a chain of them ends).
                return try value(&buffer, depth: depth + 1)
            default: return .map(stride(from: 0, to: elements.count, by: 2).map { (elements[$0], elements[$0 + 1]) })
            }
        default:
            throw RESPProtocolError("unknown type byte \(type)")
        }
    }

    /// One line up to CRLF (at most 64 KiB), nil when incomplete.
    private static func line(_ buffer: inout ByteBuffer) throws -> String? {
        let view = buffer.readableBytesView
        guard let cr = view.firstIndex(of: 0x0D) else {
            if view.count > 65_536 { throw RESPProtocolError("line longer than 64 KiB") }
            return nil
        }
        let length = cr - view.startIndex
        guard buffer.readableBytes >= length + 2 else { return nil }
        let text = buffer.readString(length: length) ?? ""
        guard buffer.readInteger(as: UInt8.self) == 0x0D, buffer.readInteger(as: UInt8.self) == 0x0A else {
            throw RESPProtocolError("line not ended by CRLF")
        }
        return text
    }

    private static func integer(_ text: String) throws -> Int64 {
        guard let value = Int64(text) else { throw RESPProtocolError("integer \(text.prefix(24))") }
        return value
    }

    /// A command as RESP: an array of bulk strings.
    public static func encode(_ command: [[UInt8]], into buffer: inout ByteBuffer) {
        buffer.writeString("*\(command.count)\r\n")
        for argument in command {
            buffer.writeString("$\(argument.count)\r\n")
            buffer.writeBytes(argument)
            buffer.writeString("\r\n")
        }
    }
}
