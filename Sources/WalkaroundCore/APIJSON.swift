import Foundation

/// The API's JSON conventions: snake_case keys and ISO 8601 dates with milliseconds.
public enum APIJSON {
    public static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
        }
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    public static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }()

    /// The report's domain types encode UUIDs in Foundation's upper case; the API writes ids in lower case everywhere.
    public static func lowercasingIDs(_ json: Data) throws -> Data {
        func walk(_ value: Any) -> Any {
            switch value {
            case let text as String: UUID(uuidString: text) != nil ? text.lowercased() : text
            case let array as [Any]: array.map(walk)
            case let object as [String: Any]: object.mapValues(walk)
            default: value
            }
        }
        return try JSONSerialization.data(withJSONObject: walk(try JSONSerialization.jsonObject(with: json)), options: [.sortedKeys, .withoutEscapingSlashes])
    }
}
