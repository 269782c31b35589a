import AsyncHTTPClient
import Configuration
import Foundation
import Inference
import NIOCore
import Testing

@testable import Pipeline
@testable import WalkaroundServer

/// `walkaround serve --role inference`, run from the built executable on a free port.
struct InferencePod {
    let child: ChildProcess
    let url: String

    static func freePort() async throws -> Int {
        let found = try await ChildProcess.run(
            "/usr/bin/python3", ["-c", "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"], timeout: .seconds(30)
        )
        return try #require(Int(found.output.trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    static func start(port: Int? = nil, model: String = DemoModel.path) async throws -> InferencePod {
        var chosen = port
        if chosen == nil { chosen = try await freePort() }
        let port = chosen!
        let folder = NSTemporaryDirectory() + "walkaround-pod-\(UUID().uuidString.prefix(8))"
        let child = try ChildProcess(
            walkaroundExecutable, ["serve", "--role", "inference", "--host", "127.0.0.1", "--port", "\(port)", "--metrics-port", "0", "--data-dir", folder],
            environment: [
                "WALKAROUND_MODEL_PATH": model, "ORT_LIBRARY_PATH": DemoModel.library, "WALKAROUND_INFERENCE_THREADS": "1", "LOG_LEVEL": "warning",
                "WALKAROUND_INFERENCE_MAX_DELAY_MS": "20",
            ]
        )
        let pod = InferencePod(child: child, url: "http://127.0.0.1:\(port)")
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline, child.isRunning {
            if (try? await pod.get("/v2/health/ready").status) == 200 { return pod }
            try await Task.sleep(for: .milliseconds(100))
        }
        child.signal(SIGKILL)
        Issue.record("the inference pod did not become ready: \(child.output + child.errors)")
        throw CancellationError()
    }

    func stop() async {
        child.signal(SIGTERM)
        _ = try? await child.waitForExit(timeout: .seconds(30))
        if child.isRunning { child.signal(SIGKILL) }
    }

    func get(_ path: String) async throws -> (status: Int, body: [String: Any]) {
        try await send(HTTPClientRequest(url: url + path))
    }

    func send(_ request: HTTPClientRequest) async throws -> (status: Int, body: [String: Any]) {
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        let body = try await response.body.collect(upTo: 64 << 20)
        return (Int(response.status.code), (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any]) ?? [:])
    }

    func infer(_ json: String, binary: [UInt8] = [], model: String = "damage", headerLength: String? = nil) async throws -> (status: Int, body: [String: Any]) {
        var request = HTTPClientRequest(url: url + "/v2/models/\(model)/infer")
        request.method = .POST
        var body = ByteBuffer(string: json)
        body.writeBytes(binary)
        request.body = .bytes(body)
        if let headerLength { request.headers.add(name: "Inference-Header-Content-Length", value: headerLength) }
        else if !binary.isEmpty { request.headers.add(name: "Inference-Header-Content-Length", value: "\(json.utf8.count)") }
        return try await send(request)
    }
}

/// The models in their own pods, behind the Open Inference Protocol: NVIDIA's client against our
/// server, our workers through it with the same findings, and a pod that goes away.
@Suite("Open Inference Protocol", .serialized)
struct InferenceProtocolTests {
    @Test func nvidiasClientConformsToOurServer() async throws {
        let pod = try await InferencePod.start()
        let outcome = await Result {
            let checked = try await ChildProcess.run(
                #filePath.components(separatedBy: "/Tests/")[0] + "/tools/oip/check.sh", [pod.url, "damage", DemoModel.fixtures], timeout: .seconds(600)
            )
            print("tritonclient against serve --role inference: \(checked.output)")
            #expect(checked.status == 0, "\(checked.output)\(checked.errors.suffix(3000))")
            let metadata = try await pod.get("/v2/models/damage")
            #expect(metadata.status == 200 && metadata.body["platform"] as? String == "onnxruntime_onnx")
            #expect(try await pod.get("/v2/models/nope").status == 404)
            #expect(try await pod.get("/v2/models/damage/versions/7").status == 404)
            #expect(try await pod.get("/v2/health/live").status == 200)
        }
        await pod.stop()
        try outcome.get()
    }

    @Test func hostileRequestsGetClearErrors() async throws {
        let pod = try await InferencePod.start()
        let outcome = await Result {
            let cases: [(String, [UInt8], String?, Int)] = [
                ("not json", [], nil, 400),
                (#"{"inputs": []}"#, [], nil, 400),
                (#"{"inputs": [{"name": "images", "datatype": "FP32", "shape": [1, 3, 2, 2], "data": [0]}]}"#, [], nil, 400),
                (#"{"inputs": [{"name": "images", "datatype": "FP32", "shape": [99999999999, 3, 480, 480], "data": [0]}]}"#, [], nil, 400),
                (#"{"inputs": [{"name": "images", "datatype": "FP32", "shape": [1, 3, 480, 480], "parameters": {"binary_data_size": 12}}]}"#, [1, 2, 3], nil, 400),
                (#"{"inputs": [{"name": "images", "datatype": "FP64", "shape": [1, 3, 480, 480], "data": [0]}]}"#, [], nil, 400),
                (#"{"inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 3, 480, 480], "data": [0]}]}"#, [], nil, 400),
                (#"{"inputs": []}"#, [], "999999", 400),
                (#"{"inputs": []}"#, [], "-1", 400),
                ("", [], "5", 400),  // a header longer than an empty body (it trapped once)
            ]
            for (json, binary, header, status) in cases {
                let answer = try await pod.infer(json, binary: binary, headerLength: header)
                #expect(answer.status == status, "\(json.prefix(80)): \(answer)")
                #expect((answer.body["error"] as? String)?.isEmpty == false, "an error message for \(json.prefix(80))")
            }
            // NaN in a binary tensor is refused, not run.
            var nan = [Float](repeating: 0.5, count: 3 * 480 * 480)
            nan[7] = .nan
            let bytes = nan.withUnsafeBytes { Array($0) }
            let json = #"{"inputs": [{"name": "images", "datatype": "FP32", "shape": [1, 3, 480, 480], "parameters": {"binary_data_size": \#(bytes.count)}}]}"#
            #expect(try await pod.infer(json, binary: bytes).status == 400)
            #expect(try await pod.infer(json, binary: bytes, model: "other").status == 404)
            #expect(pod.child.isRunning, "the pod is still up")
        }
        await pod.stop()
        try outcome.get()
    }

    /// A worker app whose models are at `url`: the reference photo with damage gets the
    /// reference's findings; then `more` runs with the app, the inspection, the photo and the classes found.
    static func findTheReference(
        through url: String, extra: [AbsoluteConfigKey: ConfigValue] = [:], _ more: @Sendable (TestApp, String, [UInt8], [String]) async throws -> Void = { _, _, _, _ in }
    ) async throws {
        var overrides = DemoModel.overrides()
        overrides["walkaround.inference.url"] = ConfigValue(.string(url), isSecret: false)
        overrides["walkaround.inference.timeoutMs"] = ConfigValue(.int(30_000), isSecret: false)
        overrides.merge(extra) { $1 }
        let reference = try DemoModel.reference()
        let withDamage = try #require(reference.first { !$0.detections.isEmpty })
        let png = [UInt8](try Data(contentsOf: URL(fileURLWithPath: DemoModel.fixtures + "/reference/" + withDamage.image)))
        let expected = withDamage.detections.compactMap { $0["class"] as? String }.sorted()
        try await TestApp.run(.sqlite, overrides) { app in
            #expect(app.components.inference == nil && app.components.remoteInference != nil, "no local models in a worker with pods")
            let ready = try await DetectionAPITests.waitForReady(app)
            #expect(ready["models"] as? String == "ready", "\(ready)")
            let id = try await app.createInspection()
            #expect(try await app.upload(png, to: id, view: "front", contentType: "image/png").status == .accepted)
            let photo = try #require(try await app.waitUntilSettled(id, timeout: .seconds(120)).first)
            let found = ((photo["detections"] as? [[String: Any]]) ?? []).compactMap { $0["class_name"] as? String }.sorted()
            #expect(found == expected, "the pods' findings are the reference's: \(found) vs \(expected); \(photo["status"] ?? "") \(photo["error"] ?? "")")
            try await more(app, id, png, expected)
        }
    }

    @Test func workersFindTheSameThroughThePodsAndWaitOutAnOutage() async throws {
        let port = try await InferencePod.freePort()
        let pod = PodHolder(try await InferencePod.start(port: port))
        let outcome = await Result {
            // One attempt only, and the breaker opens at the first call that cannot reach the pod:
            // pods that are down are waited out without using the attempt (however long the whole
            // suite's load makes the restart), so only that keeps the photo alive.
            let oneAttempt: [AbsoluteConfigKey: ConfigValue] = [
                "walkaround.job.maxAttempts": ConfigValue(.int(1), isSecret: false),
                "walkaround.inference.breakerThreshold": ConfigValue(.int(1), isSecret: false),
            ]
            try await Self.findTheReference(through: "http://127.0.0.1:\(port)", extra: oneAttempt) { app, id, png, expected in
                // The pod goes away: the photo waits (its job retries), nothing is lost; back, it is processed.
                await pod.stop()
                #expect(try await app.upload(png, to: id, view: "rear", contentType: "image/png").status == .accepted)
                try await Task.sleep(for: .seconds(1))
                let waiting = try await app.inspection(id)["photos"] as? [[String: Any]] ?? []
                #expect(waiting.filter { $0["status"] as? String == "failed" }.isEmpty, "no photo failed for good while the pod was away")
                try await pod.restart(port: port)
                let settled = try await app.waitUntilSettled(id, timeout: .seconds(120))
                #expect(settled.count == 2 && settled.allSatisfy { $0["status"] as? String != "failed" }, "\(settled.map { $0["status"] ?? "" })")
                #expect(settled.allSatisfy { (($0["detections"] as? [[String: Any]]) ?? []).count == expected.count })
            }
        }
        await pod.stop()
        try outcome.get()
    }

    /// JSON tensors, for servers without the binary extension: valid JSON whatever names the
    /// server's metadata gave the tensors, every value in order.
    @Test func jsonTensorsAreValidJSONWhateverTheNames() throws {
        let values: [Float] = [0, 0.5, 1, 0.44705883, 1e-7, 0.25]
        let (input, output) = (#"im"ag\es"#, "out\u{1}put")
        let body = try RemoteInference.jsonRequest(input: Tensor(shape: [1, 3, 1, 2], values: values), named: input, output: output)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any])
        let tensor = try #require((object["inputs"] as? [[String: Any]])?.first)
        #expect(tensor["name"] as? String == input && tensor["datatype"] as? String == "FP32")
        #expect((tensor["shape"] as? [Int]) == [1, 3, 1, 2])
        #expect((tensor["data"] as? [NSNumber])?.map(\.floatValue) == values)
        #expect((object["outputs"] as? [[String: Any]])?.first?["name"] as? String == output)
    }

    /// Our client against a second implementation of the protocol: Seldon's MLServer (pinned,
    /// tools/oip/mlserver) with an ONNX Runtime model class. It lists no binary extension, so the
    /// workers send JSON tensors, and find the same.
    @Test func workersFindTheSameThroughMLServer() async throws {
        let port = try await InferencePod.freePort()
        let server = try ChildProcess(
            #filePath.components(separatedBy: "/Tests/")[0] + "/tools/oip/mlserver/run.sh", ["\(port)", "damage", DemoModel.path]
        )
        let outcome = await Result {
            // The first run installs MLServer into its cached venv.
            let deadline = ContinuousClock.now + .seconds(900)
            var ready = false
            while !ready, ContinuousClock.now < deadline, server.isRunning {
                let answer = try? await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/v2/health/ready"), timeout: .seconds(5))
                ready = answer?.status == .ok
                if !ready { try await Task.sleep(for: .milliseconds(500)) }
            }
            try #require(ready, "MLServer did not start: \((server.output + server.errors).suffix(3000))")
            try await Self.findTheReference(through: "http://127.0.0.1:\(port)")
        }
        server.signal(SIGTERM)
        _ = try? await server.waitForExit(timeout: .seconds(30))
        if server.isRunning { server.signal(SIGKILL) }
        #expect(server.exit?.signalled == false, "the script stopped MLServer and ended itself: \(server.errors.suffix(1000))")
        try outcome.get()
    }
}

/// An inference pod a test stops and starts again.
actor PodHolder {
    private var pod: InferencePod

    init(_ pod: InferencePod) { self.pod = pod }

    func stop() async { await pod.stop() }

    func restart(port: Int) async throws { pod = try await InferencePod.start(port: port) }
}
