import Foundation
import HTTPTypes
import Hummingbird
import Inference
import NIOCore
import Tracing

/// The Open Inference Protocol (KServe V2) over HTTP, served by `serve --role inference`: the
/// models' raw tensors in and out, so workers elsewhere (or Triton, or any conforming client) send
/// letterboxed photos and decode the boxes themselves. Concurrent requests share the dynamic
/// batcher. The binary tensor data extension carries tensors as raw little-endian bytes after the
/// JSON (`Inference-Header-Content-Length`). Errors are `{"error": "..."}` with 400, 404 or 503.
struct InferenceProtocolController {
    let inference: InferenceService
    let version: String

    static let headerLength = HTTPField.Name("Inference-Header-Content-Length")!

    func addRoutes(to router: Router<WalkaroundRequestContext>) {
        router.get("v2/health/live") { _, _ in Self.json(["live": true]) }
        router.get("v2/health/ready") { _, _ in
            let ready = inference.state == .ready
            return Self.json(["ready": ready], status: ready ? .ok : .serviceUnavailable)
        }
        router.get("v2") { _, _ in
            Self.json(["name": "walkaround", "version": version, "extensions": ["binary_tensor_data"]])
        }
        for suffix in ["", "/versions/:version"] {
            router.get("v2/models/:name\(suffix)") { _, context in await Self.answer { try metadata(context) } }
            router.get("v2/models/:name\(suffix)/ready") { _, context in
                await Self.answer {
                    let name = try context.parameters.require("name")
                    let ready = try model(context) != nil
                    return Self.json(["name": name, "ready": ready], status: ready ? .ok : .serviceUnavailable)
                }
            }
            router.post("v2/models/:name\(suffix)/infer") { request, context in await Self.answer { try await infer(request, context) } }
        }
    }

    /// The model named in the path, nil while models load; 404 for a name or version that is not served.
    private func model(_ context: WalkaroundRequestContext) throws -> InferenceBatcher? {
        let name = try context.parameters.require("name")
        if let version = context.parameters.get("version"), version != "1" { throw ProtocolError(.notFound, "model \(name) has no version \(version)") }
        guard inference.state == .ready else { return nil }
        guard let batcher = inference.batcher(named: name) else { throw ProtocolError(.notFound, "no model named \(name)") }
        return batcher
    }

    private func metadata(_ context: WalkaroundRequestContext) throws -> Response {
        guard let batcher = try model(context) else { throw ProtocolError(.serviceUnavailable, "the models are still loading") }
        let detector = batcher.detector, size = detector.info.inputSize
        return Self.json([
            "name": detector.configuration.name, "versions": ["1"], "platform": "onnxruntime_onnx",
            "inputs": [["name": detector.session.inputNames.first ?? "images", "datatype": "FP32", "shape": [-1, 3, size, size]]],
            "outputs": [["name": detector.session.outputNames.first ?? "output0", "datatype": "FP32", "shape": [-1, 4 + detector.info.classNames.count, -1]]],
        ])
    }

    private func infer(_ request: Request, _ context: WalkaroundRequestContext) async throws -> Response {
        guard let batcher = try model(context) else { throw ProtocolError(.serviceUnavailable, "the models are still loading") }
        let detector = batcher.detector, size = detector.info.inputSize
        let limit = batcher.maxBatch * 3 * size * size * 4 + (1 << 20)
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: limit)
        } catch {
            throw ProtocolError(.contentTooLarge, "the request is larger than \(limit) bytes (at most \(batcher.maxBatch) images of 3×\(size)×\(size) FP32)")
        }
        let bytes = Array(body.readableBytesView)
        var headerLength = bytes.count
        if let text = request.headers[Self.headerLength] {
            guard let value = Int(text), value >= 2, value <= bytes.count else {
                throw ProtocolError(.badRequest, "Inference-Header-Content-Length \(text.prefix(20)) is not within the body's \(bytes.count) bytes")
            }
            headerLength = value
        }
        let inference = try InferRequest.parse(
            json: Array(bytes[..<headerLength]), binary: Array(bytes[headerLength...]), inputName: detector.session.inputNames.first ?? "images",
            size: size, maxBatch: batcher.maxBatch
        )
        let output: Tensor
        do {
            output = try await withSpan("model \(detector.configuration.name)") { span in
                span.attributes["walkaround.model"] = detector.configuration.name
                span.attributes["walkaround.model.version"] = batcher.version
                span.attributes["walkaround.batch.images"] = inference.tensor.shape.first ?? 0
                return try await batcher.infer(inference.tensor)
            }
        } catch is InferenceOverloaded {
            throw ProtocolError(.serviceUnavailable, "the model's queue is full; retry shortly", retryAfter: 1)
        } catch let error as ONNXRuntimeError {
            throw ProtocolError(.badRequest, error.description)
        }
        let outputName = detector.session.outputNames.first ?? "output0"
        if let wanted = inference.outputs, !wanted.isEmpty, !wanted.contains(where: { $0.name == outputName }) {
            throw ProtocolError(.badRequest, "the model has one output, \(outputName)")
        }
        let binary = inference.binaryOutput
        var outputObject: [String: Any] = ["name": outputName, "datatype": "FP32", "shape": output.shape]
        if binary {
            outputObject["parameters"] = ["binary_data_size": output.values.count * 4]
        } else {
            outputObject["data"] = output.values.map { Double($0) }
        }
        var answer: [String: Any] = [
            "model_name": detector.configuration.name, "model_version": "1", "outputs": [outputObject],
            // The model file's version, for the workers' per-version detection counts (a canary model).
            "parameters": ["walkaround_model_version": batcher.version],
        ]
        if let id = inference.id { answer["id"] = id }
        let json = try JSONSerialization.data(withJSONObject: answer)
        guard binary else { return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: json))) }
        var buffer = ByteBuffer(bytes: json)
        output.values.withUnsafeBytes { buffer.writeBytes($0) }  // little-endian on every platform Swift runs servers on
        return Response(
            status: .ok, headers: [.contentType: "application/octet-stream", Self.headerLength: "\(json.count)"], body: .init(byteBuffer: buffer)
        )
    }

    /// The protocol's own error form, `{"error": "..."}`, whatever went wrong.
    static func answer(_ body: () async throws -> Response) async -> Response {
        do {
            return try await body()
        } catch let error as ProtocolError {
            return error.response()
        } catch {
            return ProtocolError(.internalServerError, "\(error)").response()
        }
    }

    static func json(_ object: [String: Any], status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object)) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// A protocol error: its status and `{"error": message}`.
struct ProtocolError: Error {
    let status: HTTPResponse.Status
    let message: String
    var retryAfter: Int?

    init(_ status: HTTPResponse.Status, _ message: String, retryAfter: Int? = nil) {
        self.status = status
        self.message = message
        self.retryAfter = retryAfter
    }

    var headers: HTTPFields {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let retryAfter { headers[.retryAfter] = "\(retryAfter)" }
        return headers
    }

    func response() -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: ["error": message])) ?? Data()
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// An infer request, parsed and checked: every number in it is outside input.
struct InferRequest {
    struct Output {
        var name: String
        var binary: Bool
    }
    var id: String?
    var tensor: Tensor
    var outputs: [Output]?
    var binaryOutput: Bool

    static func parse(json: [UInt8], binary: [UInt8], inputName: String, size: Int, maxBatch: Int) throws -> InferRequest {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json)) as? [String: Any] else {
            throw ProtocolError(.badRequest, "the request is not a JSON object")
        }
        guard let inputs = object["inputs"] as? [[String: Any]], inputs.count == 1, let input = inputs.first else {
            throw ProtocolError(.badRequest, "the request needs exactly one input, \(inputName)")
        }
        guard input["name"] as? String == inputName else { throw ProtocolError(.badRequest, "the model's input is named \(inputName)") }
        guard input["datatype"] as? String == "FP32" else { throw ProtocolError(.badRequest, "the input's datatype must be FP32") }
        guard let shapeValues = input["shape"] as? [Any], shapeValues.count == 4 else {
            throw ProtocolError(.badRequest, "the input's shape must be [batch, 3, \(size), \(size)]")
        }
        let shape = shapeValues.compactMap { ($0 as? NSNumber).flatMap { Int(exactly: $0.doubleValue) } }
        guard shape.count == 4, (1...maxBatch).contains(shape[0]), shape[1] == 3, shape[2] == size, shape[3] == size else {
            throw ProtocolError(.badRequest, "the input's shape is \(shapeValues.map { "\($0)" }); this model takes [1...\(maxBatch), 3, \(size), \(size)]")
        }
        let count = shape[0] * 3 * size * size  // bounded by the checks above
        var values: [Float]
        if let parameters = input["parameters"] as? [String: Any], let declared = parameters["binary_data_size"] {
            guard let declaredSize = (declared as? NSNumber).flatMap({ Int(exactly: $0.doubleValue) }), declaredSize == count * 4, binary.count == declaredSize else {
                throw ProtocolError(.badRequest, "binary_data_size must be \(count * 4) (the shape's FP32 bytes) and match the bytes sent (\(binary.count))")
            }
            values = [Float](repeating: 0, count: count)
            values.withUnsafeMutableBytes { $0.copyBytes(from: binary) }
        } else {
            guard binary.isEmpty else { throw ProtocolError(.badRequest, "binary data was sent for no input that declares binary_data_size") }
            guard let data = input["data"] as? [Any] else { throw ProtocolError(.badRequest, "the input has no data") }
            values = []
            values.reserveCapacity(count)
            try flatten(data, into: &values, limit: count, depth: 0)
            guard values.count == count else { throw ProtocolError(.badRequest, "the input has \(values.count) values; its shape needs \(count)") }
        }
        guard values.allSatisfy(\.isFinite) else { throw ProtocolError(.badRequest, "the input holds NaN or infinite values") }
        var outputs: [Output]?
        if let requested = object["outputs"] as? [[String: Any]] {
            outputs = try requested.map { entry in
                guard let name = entry["name"] as? String else { throw ProtocolError(.badRequest, "an output without a name") }
                return Output(name: name, binary: ((entry["parameters"] as? [String: Any])?["binary_data"] as? Bool) ?? false)
            }
        }
        let requestBinary = ((object["parameters"] as? [String: Any])?["binary_data_output"] as? Bool) ?? false
        let id = object["id"] as? String
        guard (id?.count ?? 0) <= 256 else { throw ProtocolError(.badRequest, "the id is longer than 256 characters") }
        return InferRequest(
            id: id, tensor: Tensor(shape: shape, values: values), outputs: outputs,
            binaryOutput: requestBinary || (outputs?.contains { $0.binary } ?? false)
        )
    }

    /// Row-major values from nested or flat arrays of numbers, at most `limit`.
    private static func flatten(_ data: [Any], into values: inout [Float], limit: Int, depth: Int) throws {
        guard depth <= 4 else { throw ProtocolError(.badRequest, "the input's data is nested deeper than its shape") }
        for element in data {
            if let nested = element as? [Any] {
                try flatten(nested, into: &values, limit: limit, depth: depth + 1)
            } else if let number = element as? NSNumber {
                guard values.count < limit else { throw ProtocolError(.badRequest, "the input has more values than its shape") }
                values.append(number.floatValue)
            } else {
                throw ProtocolError(.badRequest, "the input's data holds something that is not a number")
            }
        }
    }
}
