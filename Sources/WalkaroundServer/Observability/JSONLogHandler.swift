import Foundation
import Logging
import Synchronization

/// Writes one JSON object per line: time, level, logger label, message, `event` (a stable name:
/// the `event` metadata when given, else the message in snake_case — messages are constants,
/// values go in metadata), the current span's `trace_id` and `span_id` (from the metadata
/// provider, when tracing is on), `request_id` (Hummingbird's `hb.request.id`), and the other
/// metadata (`inspection_id`, `photo_id`, `job_id`, `station`, … where known).
///
/// The service logs to standard output (the container convention); one-off commands log to
/// standard error so what they print (a new key) can be captured cleanly.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let stream: FileHandle
    private static let output = Mutex(())

    public init(label: String, level: Logger.Level = .info, stream: FileHandle = .standardOutput, metadataProvider: Logger.MetadataProvider? = nil) {
        self.label = label
        self.logLevel = level
        self.stream = stream
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var object: [String: Any] = [
            "time": Date().formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)),
            "level": "\(event.level)",
            "logger": label,
            "message": "\(event.message)",
        ]
        var all = metadata
        if let provided = metadataProvider?.get() { all.merge(provided) { $1 } }
        all.merge(event.metadata ?? [:]) { $1 }
        for (key, value) in all {
            object[key == "hb.request.id" ? "request_id" : key] = Self.plain(value)
        }
        if object["event"] == nil { object["event"] = Self.eventName("\(event.message)") }
        if event.level >= .error { object["source"] = "\(event.file):\(event.line)" }
        guard var line = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return }
        line.append(0x0A)
        Self.output.withLock { _ in stream.write(line) }
    }

    /// "job attempt failed" → "job_attempt_failed": letters and digits, lowercased, one `_` between words.
    static func eventName(_ message: String) -> String {
        var name = ""
        for scalar in message.unicodeScalars.prefix(80) {
            if CharacterSet.alphanumerics.contains(scalar) && scalar.isASCII {
                name.unicodeScalars.append(scalar)
            } else if !name.isEmpty, name.last != "_" {
                name.append("_")
            }
        }
        while name.last == "_" { name.removeLast() }
        return name.lowercased()
    }

    private static func plain(_ value: Logger.MetadataValue) -> Any {
        switch value {
        case .string(let string): string
        case .stringConvertible(let convertible): convertible.description
        case .array(let array): array.map(plain)
        case .dictionary(let dictionary): dictionary.mapValues(plain)
        }
    }
}
