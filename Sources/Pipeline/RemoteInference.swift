import AsyncHTTPClient
import Foundation
import Imaging
import Inference
import Logging
import Metrics
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Synchronization
import Tracing
import WalkaroundCore

/// The detection models in inference pods, over the Open Inference Protocol (KServe V2 HTTP,
/// with the binary tensor extension where the server lists it in its metadata, JSON tensors
/// where it does not, as MLServer): the worker letterboxes the photo, sends the model's input
/// tensor to `WALKAROUND_INFERENCE_URL`, and decodes the boxes from the raw output itself, so any
/// conforming server (Walkaround's `--role inference`, Triton, KServe) can serve the model.
/// The class names and input size come from the model file's own metadata (read here without
/// loading the model); the thresholds from the same configuration as local models.
///
/// Failures are transient for the job (it retries later): no answer within the timeout, 5xx,
/// 503 overload. After `breakerThreshold` failures in a row the client stops calling for
/// `breakerCooldown` (a circuit breaker: a dead pool of pods is not hammered by every worker).
public final class RemoteInference: DetectionModels, Service {
    public struct Settings: Sendable {
        public var url: String
        public var models: [ModelConfiguration]
        public var timeout: Duration
        public var attempts: Int
        public var breakerThreshold: Int
        public var breakerCooldown: Duration

        public init(
            url: String, models: [ModelConfiguration], timeout: Duration = .seconds(10), attempts: Int = 2, breakerThreshold: Int = 5,
            breakerCooldown: Duration = .seconds(10)
        ) {
            self.url = url.hasSuffix("/") ? String(url.dropLast()) : url
            self.models = models
            self.timeout = timeout
            self.attempts = max(1, min(attempts, 5))
            self.breakerThreshold = max(1, breakerThreshold)
            self.breakerCooldown = breakerCooldown
        }
    }

    public struct Unavailable: Error, CustomStringConvertible {
        public let description: String
        /// This call could not reach a pod, or the pod said it cannot take work now (no answer in
        /// time, 429, 502, 503, 504), as opposed to an answer that is wrong.
        public var unreachable = false
        /// The pods as a whole are down: the breaker is open after failures in a row of which the
        /// last could not reach a pod, or the models' metadata never came. A job waits this out
        /// without using attempts; one call's failure (a photo that crashes its pod, a wrong
        /// answer, a misconfigured model) is counted.
        public var podsDown = false
    }

    public let settings: Settings
    private let logger: Logger
    private let metrics: any MetricsFactory
    private let client: HTTPClient
    struct RemoteModel: Sendable {
        var configuration: ModelConfiguration
        var info: YOLOModelInfo
        /// The tensors' names as the server describes the model.
        var input = "images"
        var output = "output0"
    }
    private struct Loaded {
        var state: InferenceService.State = .loading
        var models: [RemoteModel] = []
        var digest: String?
        var failures = 0
        var openUntil: ContinuousClock.Instant?
        /// Whether the failure that opened the breaker could not reach a pod.
        var openedUnreachable = false
        /// The server lists `binary_tensor_data` among its extensions (`GET /v2`).
        var binaryTensors = false
    }
    private let loaded = Mutex(Loaded())

    public static let sharedClient: HTTPClient = {
        var configuration = HTTPClient.Configuration(timeout: .init(connect: .seconds(2), read: .seconds(60)))
        configuration.redirectConfiguration = .disallow
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 32)
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    public init(settings: Settings, logger: Logger, metrics: any MetricsFactory, client: HTTPClient = RemoteInference.sharedClient) {
        self.settings = settings
        self.logger = logger
        self.metrics = metrics
        self.client = client
    }

    public var state: InferenceService.State { loaded.withLock { $0.state } }
    public var inputSizes: [Int] { loaded.withLock { $0.models.map(\.info.inputSize) } }
    public var modelsDigest: String? { loaded.withLock { $0.digest } }
    public var modelNames: Set<String> { Set(settings.models.map(\.name)) }
    public func expectPhoto() async -> PhotoExpectation? { nil }

    /// Reads the models' metadata, then waits until the server says every model is ready.
    public func run() async throws {
        do {
            let models = try settings.models.map { RemoteModel(configuration: $0, info: try ONNXMetadata.modelInfo(path: $0.path)) }
            let digest = try InferenceService.digest(of: settings.models)
            loaded.withLock { ($0.models, $0.digest) = (models, digest) }
        } catch {
            logger.error("the models' metadata could not be read", metadata: ["error": "\(error)"])
            loaded.withLock { $0.state = .failed("\(error)") }
            return
        }
        var announced = false
        while !Task.isCancelled, state == .loading {
            // The server's metadata says whether it takes binary tensors (an extension, not the core protocol).
            let extensions = try? await client.execute(HTTPClientRequest(url: "\(settings.url)/v2"), timeout: .seconds(5))
            var binary = false, metadataRead = false
            if let extensions, extensions.status == .ok, let body = try? await extensions.body.collect(upTo: 1 << 20),
                let object = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any] {
                binary = (object["extensions"] as? [Any])?.contains { $0 as? String == "binary_tensor_data" } ?? false
                metadataRead = true
            }
            // Not ready until the metadata was read: a misread would send JSON to a binary server for good.
            var ready = metadataRead
            var described: [RemoteModel] = []
            for var model in loaded.withLock({ $0.models }) {
                // Ready, and its metadata names the tensors.
                guard let response = try? await client.execute(
                    HTTPClientRequest(url: "\(settings.url)/v2/models/\(Self.path(model.configuration.name))"), timeout: .seconds(5)
                ), response.status == .ok, let body = try? await response.body.collect(upTo: 1 << 20),
                    let object = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any],
                    let input = (object["inputs"] as? [[String: Any]])?.first?["name"] as? String,
                    let output = (object["outputs"] as? [[String: Any]])?.first?["name"] as? String
                else {
                    ready = false
                    break
                }
                (model.input, model.output) = (input, output)
                described.append(model)
            }
            if ready {
                loaded.withLock { ($0.models, $0.state, $0.binaryTensors) = (described, .ready, binary) }
                logger.info(
                    "remote inference ready",
                    metadata: ["url": "\(settings.url)", "models": "\(settings.models.map(\.name))", "tensors": "\(binary ? "binary" : "json")"]
                )
            } else {
                if !announced { logger.notice("waiting for the inference pods", metadata: ["url": "\(settings.url)"]) }
                announced = true
                try? await Task.sleep(for: .milliseconds(500))
            }
        }
        try? await gracefulShutdown()
    }

    public func detect(expectation: PhotoExpectation?, _ letterbox: (Int) -> LetterboxedPhoto) async throws -> [ModelDetection] {
        let models = loaded.withLock { $0.models }
        guard !models.isEmpty else { throw Unavailable(description: "the models' metadata is not loaded", unreachable: true, podsDown: true) }
        var found: [ModelDetection] = []
        for remote in models {
            let (model, info) = (remote.configuration, remote.info)
            let photo = letterbox(info.inputSize)
            let (output, version) = try await infer(remote, input: YOLODetector.tensor([photo]))
            do {
                try YOLODetector.checkLayout(output.shape, classes: info.classNames.count, batch: 1, model: model.name)
            } catch {
                throw Unavailable(description: "the inference server answered an output the model does not make: \(error)")
            }
            let objects = YOLODetector.decode(
                output, image: 0, letterbox: photo.letterbox, classNames: info.classNames, confidenceThreshold: model.confidenceThreshold,
                iouThreshold: model.iouThreshold, maxDetections: model.maxDetections
            )
            found += objects.map { ModelDetection(model: model.name, role: model.role(of: $0.className), object: $0, part: model.part(of: $0.className)) }
            DetectionCounts.record(objects, model: model.name, version: version ?? "remote", metrics: metrics)
        }
        return found
    }

    /// One infer call with retries on transient failures; the breaker opens after repeated ones.
    func infer(_ remote: RemoteModel, input: Tensor) async throws -> (Tensor, version: String?) {
        let model = remote.configuration
        if let (until, unreachable) = loaded.withLock({ state in state.openUntil.map { ($0, state.openedUnreachable) } }), ContinuousClock.now < until {
            throw Unavailable(
                description: "inference pods failed \(settings.breakerThreshold) times in a row; not calling them until the cool-down ends",
                unreachable: unreachable, podsDown: unreachable
            )
        }
        var lastError: any Error = Unavailable(description: "no attempt")
        for attempt in 1...settings.attempts {
            let start = ContinuousClock.now
            do {
                let output = try await withSpan("infer \(model.name)", ofKind: .client) { span in
                    span.attributes["walkaround.model"] = model.name
                    span.attributes["walkaround.attempt"] = attempt
                    return try await call(remote, input: input)
                }
                Timer(label: "walkaround_remote_inference_seconds", dimensions: [("model", model.name)], factory: metrics).record(duration: ContinuousClock.now - start)
                loaded.withLock { ($0.failures, $0.openUntil) = (0, nil) }
                return output
            } catch var error as Unavailable {
                Counter(label: "walkaround_remote_inference_failures_total", dimensions: [("model", model.name)], factory: metrics).increment()
                let opened = loaded.withLock { state -> Bool in
                    state.failures += 1
                    guard state.failures >= settings.breakerThreshold else { return false }
                    state.openUntil = ContinuousClock.now + settings.breakerCooldown
                    state.openedUnreachable = error.unreachable
                    return true
                }
                error.podsDown = opened && error.unreachable
                lastError = error
                if opened {
                    logger.warning("inference pods keep failing; pausing calls", metadata: ["error": "\(error)", "cooldown": "\(settings.breakerCooldown)"])
                    break
                }
                if attempt < settings.attempts { try await Task.sleep(for: .milliseconds(100 * attempt)) }
            }
        }
        throw lastError
    }

    private func call(_ remote: RemoteModel, input: Tensor) async throws -> (Tensor, version: String?) {
        let model = remote.configuration
        var request = HTTPClientRequest(url: "\(settings.url)/v2/models/\(Self.path(model.name))/infer")
        request.method = .POST
        // AsyncHTTPClient opens the request's client span and sends its `traceparent`: the inference
        // pod's request span continues the trace.
        if loaded.withLock({ $0.binaryTensors }) {
            let header: [String: Any] = [
                "inputs": [["name": remote.input, "shape": input.shape, "datatype": "FP32", "parameters": ["binary_data_size": input.values.count * 4]]],
                "outputs": [["name": remote.output, "parameters": ["binary_data": true]]],
            ]
            let json = try JSONSerialization.data(withJSONObject: header)
            var body = ByteBuffer(bytes: json)
            input.values.withUnsafeBytes { body.writeBytes($0) }
            request.headers.add(name: "Content-Type", value: "application/octet-stream")
            request.headers.add(name: "Inference-Header-Content-Length", value: "\(json.count)")
            request.body = .bytes(body)
        } else {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(try Self.jsonRequest(input: input, named: remote.input, output: remote.output))
        }
        let (status, headers, bytes): (Int, HTTPHeaders, [UInt8])
        let timeout = settings.timeout
        do {
            (status, headers, bytes) = try await withDeadline(
                timeout, orThrow: Unavailable(description: "the inference server did not answer within \(timeout)", unreachable: true)
            ) { [client, request, settings] in
                let response = try await client.execute(request, timeout: .seconds(Int64(max(1, settings.timeout.components.seconds))))
                var collected: [UInt8] = []
                for try await chunk in response.body {
                    guard collected.count + chunk.readableBytes <= 256 << 20 else { throw Unavailable(description: "the inference server's answer is over 256 MiB") }
                    collected.append(contentsOf: chunk.readableBytesView)
                }
                return (Int(response.status.code), response.headers, collected)
            }
        } catch let error as Unavailable {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw Unavailable(description: "the inference server at \(settings.url) did not answer: \(error)", unreachable: true)
        }
        guard status == 200 else {
            // `error` as the protocol says; `detail` as FastAPI-based servers (MLServer, KServe) answer a refused request.
            let object = try? JSONSerialization.jsonObject(with: Data(bytes.prefix(1 << 20))) as? [String: Any]
            let detail: String? = object?["detail"].map { String("\($0)".prefix(500)) }
            let message: String = (object?["error"] as? String) ?? detail ?? String(decoding: bytes.prefix(300), as: UTF8.self)
            throw Unavailable(
                description: "the inference server answered \(status)\(message.isEmpty ? "" : ": \(message)")", unreachable: [429, 502, 503, 504].contains(status)
            )
        }
        return try Self.answer(bytes, headerLength: headers.first(name: "Inference-Header-Content-Length"))
    }

    /// The first output of an infer answer and the model version the pod says it ran (our pods'
    /// `parameters.walkaround_model_version`: 1–64 characters of `[0-9A-Za-z._-]`; nil from other servers).
    static func answer(_ bytes: [UInt8], headerLength: String?) throws -> (Tensor, version: String?) {
        let tensor = try output(bytes, headerLength: headerLength)
        let end = headerLength.flatMap(Int.init).map { min(max(0, $0), bytes.count) } ?? bytes.count
        let object = try? JSONSerialization.jsonObject(with: Data(bytes[..<end])) as? [String: Any]
        guard let version = (object?["parameters"] as? [String: Any])?["walkaround_model_version"] as? String, (1...64).contains(version.count),
            version.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) })
        else { return (tensor, nil) }
        return (tensor, version)
    }

    /// An infer request with the tensor as JSON numbers, for servers without the binary extension.
    /// The names come from the server's metadata: written as JSON strings, never spliced raw.
    static func jsonRequest(input: Tensor, named inputName: String, output outputName: String) throws -> ByteBuffer {
        func quoted(_ name: String) throws -> String {
            String(decoding: try JSONSerialization.data(withJSONObject: name, options: .fragmentsAllowed), as: UTF8.self)
        }
        var body = ByteBuffer()
        body.reserveCapacity(input.values.count * 10 + 256)
        body.writeString(#"{"inputs":[{"name":\#(try quoted(inputName)),"shape":[\#(input.shape.map(String.init).joined(separator: ","))],"datatype":"FP32","data":["#)
        // Letterboxed pixels take at most 256 values (k/255): each one's text is made once.
        var texts: [UInt32: String] = [:]
        for (index, value) in input.values.enumerated() {
            if index > 0 { body.writeInteger(UInt8(ascii: ",")) }
            if let text = texts[value.bitPattern] {
                body.writeString(text)
            } else {
                // JSON has no NaN or infinity: a non-finite value could only be a bug; it is sent as 0.
                let text = value.isFinite ? value.description : "0"
                if texts.count < 4096 { texts[value.bitPattern] = text }
                body.writeString(text)
            }
        }
        body.writeString(#"]}],"outputs":[{"name":\#(try quoted(outputName))}]}"#)
        return body
    }

    /// The first output of an infer answer, binary or JSON; every number in it is checked.
    static func output(_ bytes: [UInt8], headerLength: String?) throws -> Tensor {
        var jsonEnd = bytes.count
        if let headerLength {
            guard let value = Int(headerLength), value >= 2, value <= bytes.count else {
                throw Unavailable(description: "Inference-Header-Content-Length \(headerLength.prefix(20)) is not within the answer's \(bytes.count) bytes")
            }
            jsonEnd = value
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes[..<jsonEnd])) as? [String: Any],
            let output = (object["outputs"] as? [[String: Any]])?.first, output["datatype"] as? String == "FP32",
            let shapeValues = output["shape"] as? [Any]
        else { throw Unavailable(description: "the inference server's answer has no FP32 output") }
        let shape = shapeValues.compactMap { ($0 as? NSNumber).flatMap { Int(exactly: $0.doubleValue) } }
        guard shape.count == 3, shape.allSatisfy({ (1...(1 << 24)).contains($0) }) else {
            throw Unavailable(description: "the output's shape \(shapeValues.map { "\($0)" }) is not [batch, values, anchors]")
        }
        let (product, overflow) = shape[0].multipliedReportingOverflow(by: shape[1])
        let (count, overflow2) = product.multipliedReportingOverflow(by: shape[2])
        guard !overflow, !overflow2, count <= 64 << 20 else { throw Unavailable(description: "the output's shape \(shape) is too large") }
        var values: [Float]
        if let size = ((output["parameters"] as? [String: Any])?["binary_data_size"] as? NSNumber).flatMap({ Int(exactly: $0.doubleValue) }) {
            guard size == count * 4, bytes.count - jsonEnd >= size else {
                throw Unavailable(description: "the output's binary_data_size \(size) does not fit its shape or the bytes sent")
            }
            values = [Float](repeating: 0, count: count)
            values.withUnsafeMutableBytes { $0.copyBytes(from: bytes[jsonEnd..<(jsonEnd + size)]) }
        } else {
            guard let data = output["data"] as? [Any], data.count == count else { throw Unavailable(description: "the output's data does not fit its shape") }
            values = data.map { ($0 as? NSNumber)?.floatValue ?? .nan }
        }
        return Tensor(shape: shape, values: values)
    }

    static func path(_ name: String) -> String {
        name.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? name
    }
}
