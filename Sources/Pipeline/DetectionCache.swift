import Foundation
import Inference
import Metrics
import Storage
import WalkaroundCore

/// The models' detections on a photo, kept in Redis by the photo's SHA-256 and the models'
/// digest (`InferenceService.modelsDigest`): the same bytes uploaded again (a retake of nothing,
/// a re-sent inspection, another station's copy) skip the models. Another model, threshold or
/// role changes the digest, so stale entries are never used; they expire after `lifetime`.
/// What comes back from Redis is checked like any outside input: an entry that does not decode
/// into finite boxes and known roles is a miss. Redis down or flushed: a miss, never an error.
public struct DetectionCache: Sendable {
    public let redis: RedisClient
    public var lifetime: Duration
    private let metrics: any MetricsFactory

    public init(redis: RedisClient, lifetime: Duration = .seconds(7 * 86_400), metrics: any MetricsFactory = MetricsSystem.factory) {
        self.redis = redis
        self.lifetime = lifetime
        self.metrics = metrics
    }

    struct Entry: Codable {
        var model: String
        var role: String
        var classIndex: Int
        var className: String
        var confidence: Float
        var box: [Double]
        var part: String?
    }

    static func key(sha256: String, digest: String) -> String {
        "walkaround:detections:\(digest.prefix(32)):\(sha256)"
    }

    /// The cached detections of these bytes, when every box lies within the photo
    /// (`width` × `height`, upright) and names one of `models`.
    public func get(sha256: String, digest: String, width: Int, height: Int, models: Set<String>) async -> [ModelDetection]? {
        guard let value = try? await redis.command(["GET", Self.key(sha256: sha256, digest: digest)]) else {
            count("error")
            return nil
        }
        guard let bytes = value.bytes else {
            count("miss")
            return nil
        }
        guard let found = Self.decode(bytes, width: width, height: height, models: models) else {
            count("invalid")
            return nil
        }
        count("hit")
        return found
    }

    public func set(_ found: [ModelDetection], sha256: String, digest: String) async {
        let entries = found.map {
            Entry(
                model: $0.model, role: $0.role.rawValue, classIndex: $0.object.classIndex, className: $0.object.className,
                confidence: $0.object.confidence, box: [$0.object.box.x1, $0.object.box.y1, $0.object.box.x2, $0.object.box.y2], part: $0.part?.rawValue
            )
        }
        guard let data = try? JSONEncoder().encode(entries) else { return }
        let milliseconds = max(1, lifetime.components.seconds) * 1000
        _ = try? await redis.command([Array("SET".utf8), Array(Self.key(sha256: sha256, digest: digest).utf8), [UInt8](data), Array("PX".utf8), Array("\(milliseconds)".utf8)])
    }

    /// Entries as the models would have given them, or nil when anything is off.
    static func decode(_ bytes: [UInt8], width: Int, height: Int, models: Set<String>) -> [ModelDetection]? {
        guard bytes.count <= 4 << 20, let entries = try? JSONDecoder().decode([Entry].self, from: Data(bytes)), entries.count <= 10_000 else { return nil }
        var found: [ModelDetection] = []
        for entry in entries {
            // A box as the models give it: inside the photo (later stages cut crops from it).
            guard let role = ClassRole(rawValue: entry.role), entry.box.count == 4, entry.box.allSatisfy(\.isFinite),
                entry.box[0] >= 0, entry.box[1] >= 0, entry.box[0] <= entry.box[2], entry.box[1] <= entry.box[3],
                entry.box[2] <= Double(width), entry.box[3] <= Double(height), entry.confidence.isFinite,
                (0...1).contains(entry.confidence), (0..<10_000).contains(entry.classIndex), !entry.className.isEmpty, entry.className.count <= 200,
                models.contains(entry.model)
            else { return nil }
            var part: CarPart?
            if let name = entry.part {
                guard let known = CarPart(rawValue: name) else { return nil }
                part = known
            }
            let box = Box(x1: entry.box[0], y1: entry.box[1], x2: entry.box[2], y2: entry.box[3])
            found.append(
                ModelDetection(
                    model: entry.model, role: role, object: FoundObject(classIndex: entry.classIndex, className: entry.className, confidence: entry.confidence, box: box),
                    part: part
                )
            )
        }
        return found
    }

    private func count(_ outcome: String) {
        Counter(label: "walkaround_detection_cache_total", dimensions: [("outcome", outcome)], factory: metrics).increment()
    }
}
