import Dispatch
import Crypto
import Foundation
import Imaging
import Logging
import Metrics
import ServiceLifecycle
import Tracing
import Synchronization
import WalkaroundCore

/// Where the models come from and how they run.
public struct InferenceSettings: Sendable, Equatable {
    /// `libonnxruntime.so` (the pinned wheel's, installed by `make`; `ORT_LIBRARY_PATH` overrides).
    public var libraryPath: String
    public var models: [ModelConfiguration]
    /// A JSON file listing the models (replaces `models` when set):
    /// `[{"name", "path", "confidence"?, "iou"?, "max_detections"?, "roles"?: {"class": "damage|plate|part|ignore"},
    /// "role"?: "damage|plate|part|ignore" (every class not in roles), "parts"?: {"class": "car_part"}}]`.
    public var modelsFile: String?
    public var session: SessionSettings
    public var maxBatch: Int
    public var maxDelay: Duration
    public var queueLimit: Int

    public init(
        libraryPath: String, models: [ModelConfiguration], modelsFile: String? = nil, session: SessionSettings = SessionSettings(),
        maxBatch: Int = 8, maxDelay: Duration = .milliseconds(5), queueLimit: Int = 64
    ) {
        self.libraryPath = libraryPath
        self.models = models
        self.modelsFile = modelsFile
        self.session = session
        self.maxBatch = maxBatch
        self.maxDelay = maxDelay
        self.queueLimit = queueLimit
    }
}

/// One detection with the model that made it.
public struct ModelDetection: Sendable, Equatable {
    public var model: String
    public var role: ClassRole
    public var object: FoundObject
    /// For a `part` class: the car part it names.
    public var part: CarPart?

    public init(model: String, role: ClassRole, object: FoundObject, part: CarPart? = nil) {
        self.model = model
        self.role = role
        self.object = object
        self.part = part
    }
}

/// Loads the configured models when the service starts and runs their batchers until shutdown.
/// Until every model is loaded `state` is `.loading` (and `/ready` says not ready); a model that
/// cannot be loaded leaves it `.failed` with the reason, and the process stays up to report it.
public final class InferenceService: Service, Sendable {
    public enum State: Sendable, Equatable {
        case loading
        case ready
        case failed(String)
    }

    public let settings: InferenceSettings
    private let logger: Logger
    private let metrics: any MetricsFactory
    private let current = Mutex<(state: State, batchers: [InferenceBatcher], digest: String?)>((.loading, [], nil))

    public init(settings: InferenceSettings, logger: Logger, metrics: any MetricsFactory) {
        self.settings = settings
        self.logger = logger
        self.metrics = metrics
    }

    public var state: State { current.withLock { $0.state } }

    /// The loaded model named `name` (its batcher), nil before loading or for another name.
    public func batcher(named name: String) -> InferenceBatcher? {
        current.withLock { $0.batchers.first { $0.detector.configuration.name == name } }
    }

    public var modelNames: Set<String> { Set(current.withLock { $0.batchers.map { $0.detector.configuration.name } }) }

    /// The square input sizes of the loaded models (empty until loaded).
    public var inputSizes: [Int] { current.withLock { $0.batchers.map { $0.detector.info.inputSize } } }

    /// What the loaded models find depends on, hashed (SHA-256 of each model file, its name,
    /// thresholds and roles, and the session's precision settings): the key of cached detections.
    /// Nil until loaded.
    public var modelsDigest: String? { current.withLock { $0.digest } }

    public func run() async throws {
        let settings = self.settings, logger = self.logger
        let loaded: Result<([YOLODetector], (all: String, versions: [String])), any Error> = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(returning: Result {
                    let models = try settings.modelsFile.map(Self.readModels) ?? settings.models
                    guard !models.isEmpty else { throw ONNXRuntimeError("no detection model is configured") }
                    let runtime = try ONNXRuntime(path: settings.libraryPath)
                    logger.info("ONNX Runtime loaded", metadata: ["version": "\(runtime.version)", "path": "\(settings.libraryPath)"])
                    let detectors = try models.map { model in
                        let detector = try YOLODetector(runtime: runtime, configuration: model, settings: settings.session, logger: logger)
                        logger.info(
                            "model loaded",
                            metadata: [
                                "model": "\(model.name)", "path": "\(model.path)", "input": "\(detector.info.inputSize)",
                                "classes": "\(detector.info.classNames.joined(separator: ","))", "provider": "\(detector.session.provider)",
                            ]
                        )
                        return detector
                    }
                    return (detectors, try Self.digests(of: models))
                })
            }
        }
        let batchers: [InferenceBatcher]
        switch loaded {
        case .success(let (detectors, digests)):
            let digest = digests.all
            batchers = zip(detectors, digests.versions).map { detector, version in
                Gauge(
                    label: "walkaround_model_info",
                    dimensions: [
                        ("model", detector.configuration.name), ("version", version), ("role", detector.configuration.defaultRole?.rawValue ?? "mixed"),
                        ("execution", detector.session.provider == "CUDAExecutionProvider" ? "cuda" : "cpu"),
                    ],
                    factory: metrics
                ).record(1)
                return InferenceBatcher(
                    detector: detector, maxBatch: settings.maxBatch, maxDelay: settings.maxDelay, queueLimit: settings.queueLimit, version: version,
                    metrics: metrics
                )
            }
            current.withLock { $0 = (.ready, batchers, digest) }
        case .failure(let error):
            logger.error("models could not be loaded", metadata: ["error": "\(error)"])
            current.withLock { $0 = (.failed("\(error)"), [], nil) }
            try await gracefulShutdown()
            return
        }
        await withTaskGroup(of: Void.self) { group in
            for batcher in batchers { group.addTask { await batcher.run() } }
            group.addTask { try? await gracefulShutdown() }
            await group.next()
            group.cancelAll()
        }
    }

    /// The hash of what the models find depends on: each model file's bytes, its name,
    /// thresholds and roles (the key of cached detections).
    public static func digest(of models: [ModelConfiguration]) throws -> String {
        try digests(of: models).all
    }

    /// `digest(of:)` and each model file's version (the first 12 hex digits of its SHA-256, a label
    /// of the model's metrics), from one read of each file.
    static func digests(of models: [ModelConfiguration]) throws -> (all: String, versions: [String]) {
        var digest = SHA256()
        var versions: [String] = []
        for model in models {
            guard let file = FileManager.default.contents(atPath: model.path) else { throw ONNXRuntimeError("cannot read \(model.path)") }
            digest.update(data: file)
            versions.append(SHA256.hash(data: file).prefix(6).map { String(format: "%02x", $0) }.joined())
            let roles = model.roles.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.rawValue)" }.joined(separator: ",")
            let parts = model.parts.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.rawValue)" }.joined(separator: ",")
            let text = "\(model.name)|\(model.confidenceThreshold)|\(model.iouThreshold)|\(model.maxDetections)|\(roles)|\(model.defaultRole?.rawValue ?? "-")|\(parts)\n"
            digest.update(data: Data(text.utf8))
        }
        return (digest.finalize().map { String(format: "%02x", $0) }.joined(), versions)
    }

    /// Reads a models file (see `InferenceSettings.modelsFile`).
    public static func readModels(_ path: String) throws -> [ModelConfiguration] {
        struct Entry: Decodable {
            var name: String
            var path: String
            var confidence: Double?
            var iou: Double?
            var maxDetections: Int?
            var roles: [String: ClassRole]?
            var role: ClassRole?
            var parts: [String: String]?
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw ONNXRuntimeError("cannot read the models file \(path)") }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let entries: [Entry]
        do {
            entries = try decoder.decode([Entry].self, from: data)
        } catch {
            throw ONNXRuntimeError("the models file \(path) is not valid: \(error)")
        }
        let folder = (path as NSString).deletingLastPathComponent
        return try entries.map { entry in
            var parts: [String: CarPart] = [:]
            for (className, name) in entry.parts ?? [:] {
                guard let part = CarPart(rawValue: name), part != .unknown else {
                    throw ONNXRuntimeError("the models file \(path): model \(entry.name) maps class \(className) to \(name), which is not a documented car part")
                }
                parts[className] = part
            }
            return ModelConfiguration(
                name: entry.name, path: entry.path.hasPrefix("/") ? entry.path : (folder as NSString).appendingPathComponent(entry.path),
                confidenceThreshold: entry.confidence ?? 0.25, iouThreshold: entry.iou ?? 0.7, maxDetections: entry.maxDetections ?? 300,
                roles: entry.roles ?? [:], defaultRole: entry.role, parts: parts
            )
        }
    }

    /// Tells every model a photo is on its way (it is being read and decoded), so that a batch
    /// waits for it only when one is coming; nil before the models are loaded. `detect` with it
    /// consumes it; `abandon` it when the photo will not come (undecodable, a failure).
    public func expectPhoto() async -> PhotoExpectation? {
        let batchers = current.withLock { $0.batchers }
        guard !batchers.isEmpty else { return nil }
        for batcher in batchers { await batcher.expect() }
        return PhotoExpectation(batchers: batchers)
    }

    /// Every model's detections on a photo; each model sees the photo letterboxed to its own size
    /// (`letterbox(size)` makes it).
    public func detect(expectation: PhotoExpectation? = nil, _ letterbox: (Int) -> LetterboxedPhoto) async throws -> [ModelDetection] {
        let batchers = current.withLock { $0.batchers }
        guard !batchers.isEmpty else { throw ONNXRuntimeError("the detection models are not loaded") }
        // Each batcher counts the photo as arrived when it gets it; later ones after earlier models ran.
        let expected = expectation?.consume() ?? false
        var found: [ModelDetection] = []
        for (index, batcher) in batchers.enumerated() {
            let model = batcher.detector.configuration
            let objects: [FoundObject]
            do {
                let photo = letterbox(batcher.detector.info.inputSize)
                objects = try await withSpan("model \(model.name)") { span in
                    span.attributes["walkaround.model"] = model.name
                    span.attributes["walkaround.model.version"] = batcher.version
                    return try await batcher.detect(photo, expected: expected)
                }
            } catch {
                // The models after this one will not see the photo: none of them may wait for it.
                if expected { for later in batchers.dropFirst(index + 1) { await later.abandon() } }
                throw error
            }
            found += objects.map { ModelDetection(model: model.name, role: model.role(of: $0.className), object: $0, part: model.part(of: $0.className)) }
            DetectionCounts.record(objects, model: model.name, version: batcher.version, metrics: metrics)
        }
        return found
    }
}

/// A photo announced to the batchers (`InferenceService.expectPhoto`): consumed by `detect`, or
/// abandoned when the photo will not come, so that no batch waits for it.
public final class PhotoExpectation: Sendable {
    let batchers: [InferenceBatcher]
    private let settled = Mutex(false)

    init(batchers: [InferenceBatcher]) {
        self.batchers = batchers
    }

    /// True the first time: the photo is handed over now.
    func consume() -> Bool {
        settled.withLock { done in
            defer { done = true }
            return !done
        }
    }

    /// The photo will not come (a no-op once consumed).
    public func abandon() {
        guard consume() else { return }
        for batcher in batchers { Task { await batcher.abandon() } }
    }
}

/// What each model version finds on a photo: `walkaround_detections_total{model,version,class}`
/// (classes are the model's fixed set) and `walkaround_model_photos_total{model,version}`, so a
/// canary model's findings per photo are compared with the stable one's. Counted where the
/// detections are decoded: the worker (local models, or the inference pods' answers with the
/// version they name).
public enum DetectionCounts {
    public static func record(_ objects: [FoundObject], model: String, version: String, metrics: any MetricsFactory) {
        for (className, count) in Dictionary(objects.map { ($0.className, 1) }, uniquingKeysWith: +) {
            Counter(label: "walkaround_detections_total", dimensions: [("model", model), ("version", version), ("class", className)], factory: metrics)
                .increment(by: count)
        }
        Counter(label: "walkaround_model_photos_total", dimensions: [("model", model), ("version", version)], factory: metrics).increment()
    }
}
