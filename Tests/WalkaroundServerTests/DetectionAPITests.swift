import Configuration
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import WalkaroundServer

/// The demo model and the reference detections Ultralytics made for it (tools/demo-model).
enum DemoModel {
    static let root = #filePath.components(separatedBy: "/Tests/")[0]
    static let path = root + "/models/walkaround-demo.onnx"
    static let library = ProcessInfo.processInfo.environment["ORT_LIBRARY_PATH"] ?? root + "/.ort/lib/libonnxruntime.so"
    static let fixtures = root + "/Tests/InferenceTests/Fixtures"

    static func overrides(modelPath: String = path) -> [AbsoluteConfigKey: ConfigValue] {
        [
            "walkaround.model.path": ConfigValue(.string(modelPath), isSecret: false),
            "ort.library.path": ConfigValue(.string(library), isSecret: false),
            "walkaround.job.retryBaseMs": ConfigValue(.int(100), isSecret: false),
        ]
    }

    /// The reference cases: image file name → detections (class, confidence, box).
    static func reference() throws -> [(image: String, detections: [[String: Any]])] {
        let data = try Data(contentsOf: URL(fileURLWithPath: fixtures + "/reference.json"))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let cases = try #require(object["cases"] as? [[String: Any]])
        return cases.map { ($0["image"] as? String ?? "", $0["detections"] as? [[String: Any]] ?? []) }
    }
}

@Suite("Detection through the pipeline")
struct DetectionAPITests {
    static func waitForReady(_ app: TestApp) async throws -> [String: Any] {
        // Loading the models while every other suite runs can take far longer than alone.
        let deadline = ContinuousClock.now + .seconds(120)
        var last: [String: Any] = [:]
        while ContinuousClock.now < deadline {
            let response = try await app.operations("/ready")
            last = response.object
            if response.status == .ok || (last["models"] as? String)?.hasPrefix("failed") == true { return last }
            try await Task.sleep(for: .milliseconds(50))
        }
        return last
    }

    @Test(arguments: Backend.available)
    func detectionsAreStoredAndShownForEveryDecodablePhoto(_ backend: Backend) async throws {
        try await TestApp.run(backend, DemoModel.overrides()) { app in
            let ready = try await Self.waitForReady(app)
            #expect(ready["models"] as? String == "ready", "\(ready)")
            let id = try await app.createInspection()
            let reference = try DemoModel.reference()
            let withDamage = try #require(reference.first { !$0.detections.isEmpty })
            let png = [UInt8](try Data(contentsOf: URL(fileURLWithPath: DemoModel.fixtures + "/reference/" + withDamage.image)))
            #expect(try await app.upload(png, to: id, view: "front", contentType: "image/png").status == .accepted)
            let photo = try #require(try await app.waitUntilSettled(id).first)
            // The reference scenes are small (the model's input size): rejected as evidence, yet detected.
            #expect(photo["status"] as? String == "rejected")
            let detections = try #require(photo["detections"] as? [[String: Any]])
            #expect(detections.count == withDamage.detections.count)
            let classes = detections.compactMap { $0["class_name"] as? String }.sorted()
            #expect(classes == withDamage.detections.compactMap { $0["class"] as? String }.sorted())
            #expect(detections.allSatisfy { $0["model"] == nil || $0["model"] is String })

            let metrics = try await app.operations("/metrics").text
            #expect(metrics.contains("inference_duration_seconds_bucket"), "the inference histogram is exported")
            let jobLines = metrics.split(separator: "\n").filter { $0.hasPrefix("walkaround_jobs_total{") }
            #expect(jobLines.contains { $0.contains(#"kind="process_photo""#) && $0.contains(#"outcome="done""#) && $0.hasSuffix(" 1") }, "\(jobLines)")
        }
    }

    @Test func aModelThatCannotLoadKeepsTheServiceNotReady() async throws {
        var overrides = DemoModel.overrides(modelPath: "/nonexistent/model.onnx")
        overrides["walkaround.job.maxAttempts"] = ConfigValue(.int(2), isSecret: false)
        try await TestApp.run(.sqlite, overrides) { app in
            let ready = try await Self.waitForReady(app)
            #expect((ready["models"] as? String)?.contains("/nonexistent/model.onnx") == true, "\(ready)")
            #expect(try await app.request(.get, "/ready", key: nil).status == .serviceUnavailable)
            #expect(try await app.request(.get, "/health", key: nil).status == .ok, "alive, only not ready")

            // A photo's job fails, is retried once, then fails for good: both ends are counted.
            let id = try await app.createInspection()
            #expect(try await app.upload(TestImages.jpeg(seed: 3), to: id, view: "front").status == .accepted)
            #expect(try await app.waitUntilSettled(id).first?["status"] as? String == "failed")
            let metrics = try await app.operations("/metrics").text
            let jobLines = metrics.split(separator: "\n").filter { $0.hasPrefix("walkaround_jobs_total{") }
            #expect(jobLines.contains { $0.contains(#"outcome="retry""#) && $0.hasSuffix(" 1") }, "\(jobLines)")
            #expect(jobLines.contains { $0.contains(#"outcome="failed""#) && $0.hasSuffix(" 1") }, "\(jobLines)")
        }
    }
}
