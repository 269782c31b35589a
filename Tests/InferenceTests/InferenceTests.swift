import Foundation
import Imaging
import Inference
import Metrics
import Testing
import WalkaroundCore

/// Paths in the repository, found from this file.
enum Repository {
    static let root = #filePath.components(separatedBy: "/Tests/")[0]
    static let library = ProcessInfo.processInfo.environment["ORT_LIBRARY_PATH"] ?? root + "/.ort/lib/libonnxruntime.so"
    static let fixtures = root + "/Tests/InferenceTests/Fixtures"
    static let demoModel = root + "/models/walkaround-demo.onnx"
    /// The same model quantised to INT8 (tools/demo-model/quantize.sh).
    static let demoModelInt8 = root + "/models/walkaround-demo-int8.onnx"

    /// One runtime for the whole test process, as in the service.
    static let runtime: Result<ONNXRuntime, any Error> = Result { try ONNXRuntime(path: library) }
}

@Suite("ONNX Runtime binding")
struct RuntimeTests {
    @Test func loadsThePinnedLibrary() throws {
        let runtime = try Repository.runtime.get()
        #expect(runtime.version == "1.31.1")
        #expect(try runtime.availableProviders().contains("CPUExecutionProvider"))
    }

    @Test func aMissingLibraryOrModelIsAClearError() throws {
        #expect {
            try ONNXRuntime(path: "/nonexistent/libonnxruntime.so")
        } throws: { ($0 as? ONNXRuntimeError)?.message.contains("cannot load ONNX Runtime from /nonexistent") == true }
        let runtime = try Repository.runtime.get()
        #expect {
            try ONNXSession(runtime: runtime, modelPath: "/nonexistent/model.onnx")
        } throws: { error in
            guard let error = error as? ONNXRuntimeError else { return false }
            return error.code == 3 && error.message.contains("/nonexistent/model.onnx")  // ORT_NO_SUCHFILE
        }
    }

    /// The CPU build has no CUDA provider: preferring CUDA falls back, requiring it refuses.
    @Test func requiredCUDAIsRefusedByTheCPUBuild() throws {
        let runtime = try Repository.runtime.get()
        let preferred = try ONNXSession(runtime: runtime, modelPath: Repository.demoModel, settings: SessionSettings(intraOpThreads: 1, preferCUDA: true))
        #expect(preferred.provider == "CPUExecutionProvider")
        #expect {
            try ONNXSession(runtime: runtime, modelPath: Repository.demoModel, settings: SessionSettings(intraOpThreads: 1, requireCUDA: true))
        } throws: { ($0 as? ONNXRuntimeError)?.message.contains("CUDA is required") == true }
    }

    @Test func aModelWithoutTheDetectLayoutIsRefused() throws {
        let runtime = try Repository.runtime.get()
        #expect {
            try YOLODetector(runtime: runtime, configuration: ModelConfiguration(name: "x", path: Repository.fixtures + "/not-a-detector.onnx"))
        } throws: { error in
            "\(error)".contains("is not a YOLO detection model: its output is [1, 3, 1, 1], expected [1, 5, anchors]")
        }
    }

    @Test func ultralyticsMetadataIsParsed() throws {
        let info = try YOLOModelInfo(imgsz: "[640, 640]", names: "{0: 'dent', 1: \"scratch\", 2: 'license_plate'}", stride: "32", task: "detect")
        #expect(info.inputSize == 640 && info.classNames == ["dent", "scratch", "license_plate"] && info.stride == 32)
        #expect(throws: ONNXRuntimeError.self) { try YOLOModelInfo(imgsz: "[640, 480]", names: "{0: 'a'}", stride: nil, task: nil) }
        #expect(throws: ONNXRuntimeError.self) { try YOLOModelInfo(imgsz: "[640, 640]", names: "{1: 'a'}", stride: nil, task: nil) }
        #expect(throws: ONNXRuntimeError.self) { try YOLOModelInfo(imgsz: "[640, 640]", names: "{0: 'a'}", stride: nil, task: "segment") }
        #expect(throws: ONNXRuntimeError.self) { try YOLOModelInfo(imgsz: nil, names: "{0: 'a'}", stride: nil, task: nil) }
        #expect(ModelConfiguration(name: "m", path: "p").role(of: "license_plate") == .plate)
        #expect(ModelConfiguration(name: "m", path: "p", roles: ["dent": .ignore]).role(of: "dent") == .ignore)
    }

    /// A hand-made `[1, 4 + 2, 4]` output: per anchor cx, cy, w, h, then two class scores.
    @Test func decodingTurnsAnchorsIntoPhotoBoxes() {
        let anchors: [[Float]] = [
            [320, 300, 100, 60, 0.10, 0.90],  // class 1, kept
            [322, 302, 100, 60, 0.05, 0.80],  // overlaps the first, same class: suppressed
            [100, 400, 40, 40, 0.70, 0.20],  // class 0, kept
            [500, 200, 50, 50, 0.25, 0.10],  // at the threshold, not above it: dropped
        ]
        var values = [Float](repeating: 0, count: 6 * 4)
        for (anchor, row) in anchors.enumerated() { for (channel, value) in row.enumerated() { values[channel * 4 + anchor] = value } }
        // A 1280×960 photo in a 640 canvas: scale 0.5, 80 px of padding above and below.
        let letterbox = Letterbox(sourceWidth: 1280, sourceHeight: 960, size: 640)
        let found = YOLODetector.decode(
            Tensor(shape: [1, 6, 4], values: values), image: 0, letterbox: letterbox, classNames: ["dent", "scratch"],
            confidenceThreshold: 0.25, iouThreshold: 0.7, maxDetections: 300
        )
        #expect(found.map(\.className) == ["scratch", "dent"])
        #expect(found.map(\.confidence) == [0.9, 0.7])
        #expect(found.first?.box == Box(x1: 540, y1: 380, x2: 740, y2: 500), "(270…370, 270…330) in the canvas, minus the padding, times 2")
        #expect(found.last?.box == Box(x1: 160, y1: 600, x2: 240, y2: 680))
    }

    @Test func aWrongInputShapeIsAClearError() throws {
        let session = try ONNXSession(runtime: try Repository.runtime.get(), modelPath: Repository.demoModel)
        #expect {
            try session.run(Tensor(shape: [3, 8, 8], values: [Float](repeating: 0, count: 192)))
        } throws: { error in
            guard let error = error as? ONNXRuntimeError else { return false }
            return error.code == 2 && error.message.lowercased().contains("rank")  // ORT_INVALID_ARGUMENT
        }
    }

    @Test func nmsKeepsTheBestBoxPerClassAndOverlap() {
        func object(_ cls: Int, _ conf: Float, _ x: Double) -> FoundObject {
            FoundObject(classIndex: cls, className: "c\(cls)", confidence: conf, box: Box(x1: x, y1: 0, x2: x + 100, y2: 100))
        }
        let kept = YOLODetector.nonMaximumSuppression(
            [object(0, 0.5, 10), object(0, 0.9, 0), object(1, 0.8, 5), object(0, 0.7, 300), object(0, 0.6, 5)], iouThreshold: 0.7, limit: 300
        )
        // 0.9 at x 0 suppresses 0.5 at x 10 (IoU 0.82) and 0.6 at x 5 (0.90); another class survives.
        #expect(kept.map(\.confidence) == [0.9, 0.8, 0.7])
        #expect(YOLODetector.nonMaximumSuppression([object(0, 0.9, 0), object(0, 0.8, 500)], iouThreshold: 0.7, limit: 1).count == 1)
    }
}

@Suite("YOLO detection against Ultralytics")
struct DetectionTests {
    struct Reference: Decodable {
        struct Case: Decodable {
            var image: String
            var detections: [Found]
        }

        struct Found: Decodable {
            var `class`: String
            var confidence: Double
            var box: [Double]
        }

        var model: String
        var inputSize: Int
        var confidence: Double
        var iou: Double
        var cases: [Case]
    }

    static func reference() throws -> (Reference, String) {
        let folder = ProcessInfo.processInfo.environment["WALKAROUND_TEST_REFERENCE"] ?? Repository.fixtures
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/reference.json"))
        return (try decoder.decode(Reference.self, from: data), folder)
    }

    static func detector(_ reference: Reference) throws -> YOLODetector {
        let model = ProcessInfo.processInfo.environment["WALKAROUND_TEST_MODEL"] ?? Repository.demoModel
        return try YOLODetector(
            runtime: try Repository.runtime.get(),
            configuration: ModelConfiguration(name: "demo", path: model, confidenceThreshold: reference.confidence, iouThreshold: reference.iou)
        )
    }

    /// The metadata a worker reads from the model file without loading it (for remote inference)
    /// is what ONNX Runtime reports; a cut or corrupted file is an error, never a crash.
    @Test func theModelsMetadataIsReadWithoutLoadingIt() throws {
        let (reference, _) = try Self.reference()
        let detector = try Self.detector(reference)
        let model = ProcessInfo.processInfo.environment["WALKAROUND_TEST_MODEL"] ?? Repository.demoModel
        #expect(try ONNXMetadata.modelInfo(path: model) == detector.info)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: model)))
        let full = try ONNXMetadata.parse(bytes)
        for cut in [1, 2, 7, 100, bytes.count / 3, bytes.count - 1] {
            // A cut at a field's end is valid protobuf; what it lacks is the metadata (written last).
            let read = (try? ONNXMetadata.parse(Array(bytes.prefix(cut))))?.count ?? 0
            #expect(read < full.count, "a file cut at \(cut) of \(bytes.count) bytes does not pass for the model")
        }
        #expect(throws: ONNXMetadata.Invalid.self) { try ONNXMetadata.parse(Array(bytes.prefix(bytes.count - 1))) }
        #expect(throws: ONNXMetadata.Invalid.self) { try ONNXMetadata.parse([0x72, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F]) }  // field 14, length 4 GiB
        #expect(throws: ONNXMetadata.Invalid.self) { try ONNXMetadata.parse([0x0F]) }  // wire type 7
        #expect(try ONNXMetadata.parse([]).isEmpty)
    }

    /// Same classes, boxes within 1 px and confidences within 1e-3 of the reference made by
    /// `tools/demo-model/make_reference.py` (Ultralytics' letterbox, NMS and box scaling on ONNX
    /// Runtime Python) for the same model and images.
    @Test func detectionsEqualTheUltralyticsReference() throws {
        let (reference, folder) = try Self.reference()
        let detector = try Self.detector(reference)
        #expect(detector.info.inputSize == reference.inputSize)
        var compared = 0
        for testCase in reference.cases {
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder + "/reference/" + testCase.image)))
            let (_, boxed) = try PhotoDecoder().decodeLetterboxed(bytes, size: detector.info.inputSize)
            let found = try #require(try detector.detect([boxed]).first)
            #expect(found.count == testCase.detections.count, "\(testCase.image): \(found.count) vs \(testCase.detections.count) detections")
            // Pair each reference detection with an unused one of the same class that agrees;
            // order alone is not enough where confidences tie.
            var unused = found
            for want in testCase.detections {
                let match = unused.firstIndex { got in
                    let box = [got.box.x1, got.box.y1, got.box.x2, got.box.y2]
                    return got.className == want.class && abs(Double(got.confidence) - want.confidence) <= 1e-3
                        && zip(box, want.box).allSatisfy { abs($0 - $1) <= 1 }
                }
                #expect(match != nil, "\(testCase.image): no detection matches \(want.class) \(want.confidence) \(want.box)")
                if let match {
                    unused.remove(at: match)
                    compared += 1
                }
            }
        }
        print("compared \(compared) detections with the Ultralytics reference")
        #expect(compared > 0, "the reference has detections to compare")
    }

    /// The INT8 model (the default) against the same float reference, with the tolerance its
    /// precision needs: every reference detection found with the same class, its box within 6 px
    /// (on scenes 480 px wide: 1.25 % of the width) and its confidence within 0.05, and no
    /// detection the reference lacks. Measured on the committed model: boxes within 3.3 px,
    /// confidences within 0.015 (printed).
    @Test func theInt8ModelAgreesWithTheFloatReferenceWithinItsTolerance() throws {
        let (reference, folder) = try Self.reference()
        let detector = try YOLODetector(
            runtime: try Repository.runtime.get(),
            configuration: ModelConfiguration(name: "demo-int8", path: Repository.demoModelInt8, confidenceThreshold: reference.confidence, iouThreshold: reference.iou)
        )
        var compared = 0, worstBox = 0.0, worstConfidence = 0.0
        for testCase in reference.cases {
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder + "/reference/" + testCase.image)))
            let (_, boxed) = try PhotoDecoder().decodeLetterboxed(bytes, size: detector.info.inputSize)
            var unused = try #require(try detector.detect([boxed]).first)
            for want in testCase.detections {
                let candidates = unused.enumerated().filter { $0.element.className == want.class }.map { index, got in
                    (index, zip([got.box.x1, got.box.y1, got.box.x2, got.box.y2], want.box).map { abs($0 - $1) }.max() ?? 0, abs(Double(got.confidence) - want.confidence))
                }
                guard let best = candidates.min(by: { $0.1 < $1.1 }), best.1 <= 6, best.2 <= 0.05 else {
                    Issue.record("\(testCase.image): no detection within tolerance of \(want.class) \(want.confidence) \(want.box): \(candidates)")
                    continue
                }
                worstBox = max(worstBox, best.1)
                worstConfidence = max(worstConfidence, best.2)
                unused.remove(at: best.0)
                compared += 1
            }
            #expect(unused.isEmpty, "\(testCase.image): detections the reference lacks: \(unused)")
        }
        print("int8 against the float reference: \(compared) detections, boxes within \(worstBox) px, confidences within \(worstConfidence)")
        #expect(compared == reference.cases.map(\.detections.count).reduce(0, +))
    }

    /// The recall the demo model must reach on the held-out scenes (the issue's aim; see
    /// models/README.md for what the committed model measures).
    static let minimumRecall = 0.9

    /// The demo model finds damage where `render_dataset.py` drew it, on held-out scenes (seeds
    /// never used in training): recall at IoU 0.5, class included.
    @Test(arguments: [Repository.demoModel, Repository.demoModelInt8])
    func theDemoModelFindsRenderedDamageWhereItWasDrawn(_ model: String) throws {
        struct Scene: Decodable {
            struct Object: Decodable {
                var `class`: String
                var box: [Double]
            }

            var image: String
            var objects: [Object]
        }
        let scenes = try JSONDecoder().decode([Scene].self, from: Data(contentsOf: URL(fileURLWithPath: Repository.fixtures + "/holdout.json")))
        let detector = try YOLODetector(runtime: try Repository.runtime.get(), configuration: ModelConfiguration(name: "demo", path: model))
        var found: [String: Int] = [:], total: [String: Int] = [:]
        for scene in scenes {
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Repository.fixtures + "/holdout/" + scene.image)))
            let detections = try detector.detect([try PhotoDecoder().decodeLetterboxed(bytes, size: detector.info.inputSize).letterboxed])[0]
            var unused = detections
            for object in scene.objects {
                total[object.class, default: 0] += 1
                let truth = Box(x1: object.box[0], y1: object.box[1], x2: object.box[2], y2: object.box[3])
                if let match = unused.firstIndex(where: { $0.className == object.class && YOLODetector.iou($0.box, truth) >= 0.5 }) {
                    unused.remove(at: match)
                    found[object.class, default: 0] += 1
                }
            }
        }
        let recall = Double(found.values.reduce(0, +)) / Double(max(1, total.values.reduce(0, +)))
        print("\((model as NSString).lastPathComponent) recall at IoU 0.5: \(recall) overall; by class \(total.keys.sorted().map { "\($0) \(found[$0, default: 0])/\(total[$0]!)" })")
        #expect(total.values.reduce(0, +) >= 20, "enough objects to measure")
        #expect(recall >= Self.minimumRecall, "recall \(recall)")
    }

    /// Concurrent photos are gathered into batches; each still gets its own detections.
    @Test func theBatcherGathersConcurrentPhotosAndKeepsTheirResults() async throws {
        let (reference, folder) = try Self.reference()
        let detector = try Self.detector(reference)
        let photos = try reference.cases.map { testCase in
            try PhotoDecoder().decodeLetterboxed(
                [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder + "/reference/" + testCase.image))), size: detector.info.inputSize
            ).letterboxed
        }
        let single = try photos.map { try detector.detect([$0])[0] }
        let batcher = InferenceBatcher(detector: detector, maxBatch: 4, maxDelay: .milliseconds(200), queueLimit: 64, metrics: NOOPMetricsHandler.instance)
        let runner = Task { await batcher.run() }
        defer { runner.cancel() }
        let batched = try await withThrowingTaskGroup(of: (Int, [FoundObject]).self) { group in
            for (index, photo) in photos.enumerated() { group.addTask { (index, try await batcher.detect(photo)) } }
            var results = [[FoundObject]](repeating: [], count: photos.count)
            for try await (index, found) in group { results[index] = found }
            return results
        }
        for (one, many) in zip(single, batched) {
            #expect(one.map(\.className) == many.map(\.className))
            #expect(zip(one, many).allSatisfy { abs($0.confidence - $1.confidence) <= 1e-4 && abs($0.box.x1 - $1.box.x1) <= 0.05 })
        }
        let sizes = await batcher.recentBatchSizes
        #expect(sizes.reduce(0, +) == photos.count)
        #expect(sizes.max() ?? 0 > 1, "photos arriving together ran together: \(sizes)")
    }

    /// Requests of several images each (a remote caller's batches) are batched whole, in order,
    /// and each gets its own share of the output: 5 + 5 + 1 with a batch of 8 runs [5] then [5, 1]
    /// (taking the third before the second dropped one request and answered another twice).
    @Test func multiImageRequestsAreBatchedWholeAndInOrder() async throws {
        let (reference, folder) = try Self.reference()
        let detector = try Self.detector(reference)
        let photo = try PhotoDecoder().decodeLetterboxed(
            [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder + "/reference/" + reference.cases[0].image))), size: detector.info.inputSize
        ).letterboxed
        let single = try detector.run([YOLODetector.tensor([photo])])[0]
        let batcher = InferenceBatcher(detector: detector, maxBatch: 8, maxDelay: .milliseconds(300), queueLimit: 64, metrics: NOOPMetricsHandler.instance)
        let runner = Task { await batcher.run() }
        defer { runner.cancel() }
        let outputs = try await withThrowingTaskGroup(of: (Int, Tensor).self) { group in
            for (index, count) in [5, 5, 1].enumerated() {
                group.addTask { (index, try await batcher.infer(YOLODetector.tensor(Array(repeating: photo, count: count)))) }
                try await Task.sleep(for: .milliseconds(20))
            }
            var outputs: [Int: Tensor] = [:]
            for try await (index, output) in group { outputs[index] = output }
            return outputs
        }
        #expect(outputs[0]?.shape[0] == 5 && outputs[1]?.shape[0] == 5 && outputs[2]?.shape[0] == 1)
        let perImage = single.values.count
        for output in outputs.values {
            for image in 0..<output.shape[0] {
                let values = output.values[(image * perImage)..<((image + 1) * perImage)]
                #expect(zip(values, single.values).allSatisfy { abs($0 - $1) <= 1e-3 }, "each image's share is its own output")
            }
        }
        let sizes = await batcher.recentBatchSizes
        #expect(sizes.reduce(0, +) == 11 && sizes.allSatisfy { $0 <= 8 }, "\(sizes)")
    }

    /// A pipeline photo that nothing else is coming after runs at once (it waited the whole
    /// `maxDelay` before); one announced photo still on its way is waited for and joins the batch.
    /// The deadline is an hour and the test has a 5-minute limit: waiting for the deadline fails
    /// the test, while a run queued behind the whole suite's model runs (the suite runs in
    /// parallel on 2 cores, and one run once took 20 s) still passes.
    @Test(.timeLimit(.minutes(5))) func anAnnouncedPhotoAloneRunsAtOnceAndWaitsOnlyForAnnouncedCompany() async throws {
        let (reference, folder) = try Self.reference()
        let detector = try Self.detector(reference)
        let photo = try PhotoDecoder().decodeLetterboxed(
            [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder + "/reference/" + reference.cases[0].image))), size: detector.info.inputSize
        ).letterboxed
        let batcher = InferenceBatcher(detector: detector, maxBatch: 4, maxDelay: .seconds(3600), queueLimit: 64, metrics: NOOPMetricsHandler.instance)
        let runner = Task { await batcher.run() }
        defer { runner.cancel() }
        await batcher.expect()
        let started = ContinuousClock.now
        _ = try await batcher.detect(photo, expected: true)
        #expect(ContinuousClock.now - started < .seconds(240), "alone, it did not wait the hour's deadline")
        // Two announced; the second arrives 300 ms after the first: one batch of two.
        await batcher.expect()
        await batcher.expect()
        async let first = batcher.detect(photo, expected: true)
        try await Task.sleep(for: .milliseconds(300))
        _ = try await batcher.detect(photo, expected: true)
        _ = try await first
        let sizes = await batcher.recentBatchSizes
        #expect(sizes.last == 2, "\(sizes)")
        // Announced, then abandoned: nobody waits for it.
        await batcher.expect()
        await batcher.abandon()
        let again = ContinuousClock.now
        _ = try await batcher.detect(photo, expected: true)
        #expect(ContinuousClock.now - again < .seconds(240))
    }

    @Test(.timeLimit(.minutes(5))) func aFullQueueRefusesInsteadOfGrowing() async throws {
        let (reference, folder) = try Self.reference()
        let detector = try Self.detector(reference)
        let testCase = try #require(reference.cases.first)
        let photo = try PhotoDecoder().decodeLetterboxed(
            [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder + "/reference/" + testCase.image))), size: detector.info.inputSize
        ).letterboxed
        // No runner: nothing leaves the queue.
        let batcher = InferenceBatcher(detector: detector, maxBatch: 8, maxDelay: .milliseconds(10), queueLimit: 2, metrics: NOOPMetricsHandler.instance)
        let waiting = (0..<2).map { _ in Task { try await batcher.detect(photo) } }
        // Both queued (however late their tasks start on a loaded machine), then a third is refused.
        let deadline = ContinuousClock.now + .seconds(60)
        while await batcher.waiting < 2, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        #expect(await batcher.waiting == 2)
        await #expect(throws: InferenceOverloaded.self) { try await batcher.detect(photo) }
        let runner = Task { await batcher.run() }
        for task in waiting { _ = try await task.value }
        runner.cancel()
    }
}

/// The models file's part role: classes must name documented parts (or be mapped to one).
@Suite struct PartRoleConfigurationTests {
    @Test func partClassesMustNameADocumentedPart() throws {
        let parts = ModelConfiguration(name: "parts", path: "p", defaultRole: .part, parts: ["door_l": .frontDoorLeft])
        #expect(parts.part(of: "bonnet") == .bonnet)
        #expect(parts.part(of: "door_l") == .frontDoorLeft)
        #expect(parts.role(of: "license_plate") == .part, "the model's default role covers every class")
        try parts.check(classes: ["bonnet", "door_l"])
        #expect(throws: ONNXRuntimeError.self) { try parts.check(classes: ["bonnet", "wheel_arch"]) }
        try ModelConfiguration(name: "damage", path: "p", roles: ["license_plate": .plate]).check(classes: ["dent"])  // harmless, as before
        #expect(ModelConfiguration(name: "damage", path: "p").part(of: "dent") == nil)
    }

    @Test func aModelsFileMappingToAnUnknownPartIsRefused() throws {
        let file = NSTemporaryDirectory() + "walkaround-models-\(UUID().uuidString).json"
        defer { try? FileManager.default.removeItem(atPath: file) }
        try Data(#"[{"name": "parts", "path": "m.onnx", "role": "part", "parts": {"door": "wheel_arch"}}]"#.utf8).write(to: URL(fileURLWithPath: file))
        #expect(throws: ONNXRuntimeError.self) { try InferenceService.readModels(file) }
        try Data(#"[{"name": "parts", "path": "m.onnx", "role": "part", "parts": {"door": "front_door_left"}}]"#.utf8).write(to: URL(fileURLWithPath: file))
        let read = try InferenceService.readModels(file)
        #expect(read.first?.defaultRole == .part && read.first?.parts == ["door": .frontDoorLeft])
    }
}
