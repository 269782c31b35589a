import Foundation

/// Reads an ONNX model file's `metadata_props` (Ultralytics writes `imgsz`, `names`, `stride`,
/// `task` there) by walking the protobuf itself, without loading the model: what a worker that
/// sends tensors to remote inference pods needs to letterbox photos and name the classes. The
/// file is outside input: every length and tag is checked against the bytes that are there.
public enum ONNXMetadata {
    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    /// The key/value pairs of the model's metadata.
    public static func read(path: String) throws -> [String: String] {
        guard let data = FileManager.default.contents(atPath: path) else { throw Invalid(description: "cannot read \(path)") }
        return try parse([UInt8](data))
    }

    public static func parse(_ bytes: [UInt8]) throws -> [String: String] {
        var reader = Reader(bytes: bytes[...])
        var properties: [String: String] = [:]
        while !reader.atEnd {
            let (field, wire) = try reader.tag()
            if field == 14, wire == 2 {  // ModelProto.metadata_props: StringStringEntryProto
                var entry = Reader(bytes: try reader.lengthDelimited())
                var key = "", value = ""
                while !entry.atEnd {
                    let (entryField, entryWire) = try entry.tag()
                    if entryWire == 2, entryField == 1 || entryField == 2 {
                        let text = String(decoding: try entry.lengthDelimited(), as: UTF8.self)
                        if entryField == 1 { key = text } else { value = text }
                    } else {
                        try entry.skip(wire: entryWire)
                    }
                }
                properties[key] = value
            } else {
                try reader.skip(wire: wire)
            }
        }
        return properties
    }

    /// The model's YOLO description from its metadata.
    public static func modelInfo(path: String) throws -> YOLOModelInfo {
        let properties = try read(path: path)
        return try YOLOModelInfo(imgsz: properties["imgsz"], names: properties["names"], stride: properties["stride"], task: properties["task"])
    }

    struct Reader {
        var bytes: ArraySlice<UInt8>
        var atEnd: Bool { bytes.isEmpty }

        mutating func varint() throws -> UInt64 {
            var value: UInt64 = 0
            for shift in stride(from: 0, to: 64, by: 7) {
                guard let byte = bytes.popFirst() else { throw Invalid(description: "the model file ends inside a number") }
                value |= UInt64(byte & 0x7F) << UInt64(shift)
                if byte & 0x80 == 0 { return value }
            }
            throw Invalid(description: "a number in the model file is longer than 10 bytes")
        }

        mutating func tag() throws -> (field: UInt64, wire: UInt64) {
            let key = try varint()
            return (key >> 3, key & 7)
        }

        mutating func lengthDelimited() throws -> ArraySlice<UInt8> {
            let length = try varint()
            guard length <= UInt64(bytes.count) else { throw Invalid(description: "a field of the model file claims \(length) bytes; \(bytes.count) are left") }
            let part = bytes.prefix(Int(length))
            bytes = bytes.dropFirst(Int(length))
            return part
        }

        mutating func skip(wire: UInt64) throws {
            switch wire {
            case 0: _ = try varint()
            case 1, 5:
                let count = wire == 1 ? 8 : 4
                guard bytes.count >= count else { throw Invalid(description: "the model file ends inside a fixed-size field") }
                bytes = bytes.dropFirst(count)
            case 2: _ = try lengthDelimited()
            default: throw Invalid(description: "the model file has a field of wire type \(wire), which ONNX does not use")
            }
        }
    }
}
