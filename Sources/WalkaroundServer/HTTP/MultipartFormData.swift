/// The parts of a `multipart/form-data` body (RFC 7578), parsed from memory.
struct MultipartFormData {
    struct Part {
        var name: String?
        var filename: String?
        var contentType: String?
        var body: ArraySlice<UInt8>
    }

    var parts: [Part]

    func part(named name: String) -> Part? { parts.first { $0.name == name } }

    /// The boundary from a `Content-Type: multipart/form-data; boundary=...` header.
    static func boundary(fromContentType contentType: String) -> String? {
        for parameter in contentType.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if pair.count == 2, pair[0].lowercased() == "boundary" {
                let value = pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                return value.isEmpty || value.count > 70 ? nil : value
            }
        }
        return nil
    }

    /// Parses the body; nil when it is not well-formed multipart with this boundary.
    init?(body: [UInt8], boundary: String) {
        let delimiter = Array("--\(boundary)".utf8)
        let separator = Array("\r\n--\(boundary)".utf8)
        guard var cursor = Self.find(delimiter, in: body, from: 0) else { return nil }
        cursor += delimiter.count
        var parts: [Part] = []
        while true {
            // After a delimiter: "--" ends the body, otherwise CRLF starts a part.
            if body[cursor...].starts(with: [0x2D, 0x2D]) { break }
            guard body[cursor...].starts(with: [0x0D, 0x0A]) else { return nil }
            cursor += 2
            guard let headerEnd = Self.find([0x0D, 0x0A, 0x0D, 0x0A], in: body, from: cursor),
                let next = Self.find(separator, in: body, from: headerEnd + 4)
            else { return nil }
            guard let headers = String(validating: body[cursor..<headerEnd], as: UTF8.self) else { return nil }
            parts.append(Self.part(headers: headers, body: body[(headerEnd + 4)..<next]))
            cursor = next + separator.count
        }
        self.parts = parts
    }

    private static func part(headers: String, body: ArraySlice<UInt8>) -> Part {
        var part = Part(body: body)
        for line in headers.split(separator: "\r\n") {
            let pair = line.split(separator: ":", maxSplits: 1)
            guard pair.count == 2 else { continue }
            let value = pair[1].trimmingCharacters(in: .whitespaces)
            switch pair[0].lowercased() {
            case "content-type": part.contentType = value
            case "content-disposition":
                for parameter in value.split(separator: ";").dropFirst() {
                    let kv = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                    guard kv.count == 2 else { continue }
                    let unquoted = kv[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                    if kv[0].lowercased() == "name" { part.name = unquoted }
                    if kv[0].lowercased() == "filename" { part.filename = unquoted }
                }
            default: break
            }
        }
        return part
    }

    /// Index of the first occurrence of `needle` in `haystack` at or after `start`.
    private static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard let first = needle.first, haystack.count >= needle.count else { return nil }
        var index = start
        let last = haystack.count - needle.count
        while index <= last {
            if haystack[index] == first && haystack[index..<(index + needle.count)].elementsEqual(needle) {
                return index
            }
            index += 1
        }
        return nil
    }
}

import Foundation
