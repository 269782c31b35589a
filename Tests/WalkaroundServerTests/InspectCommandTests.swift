import Foundation
import Imaging
import TestFixtures
import Testing

@Suite("walkaround inspect")
struct InspectCommandTests {
    /// Runs the executable and returns its standard output and exit status.
    static func run(_ arguments: [String], environment: [String: String] = [:]) async throws -> (output: String, status: Int32) {
        let result = try await ChildProcess.run(walkaroundExecutable, arguments, environment: environment)
        return (result.output, result.status)
    }

    @Test func printsSizeOrientationQualityAndVerdictPerPhoto() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("inspect-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let scene = SyntheticPhoto.scene(width: 1200, height: 900, seed: 60)
        let files: [(String, [UInt8])] = [
            ("side.jpg", try SyntheticPhoto.jpeg(scene.storedForm(for: .rotatedClockwise), orientation: .rotatedClockwise)),
            ("dark.png", PNGWriter.png(SyntheticPhoto.exposed(SyntheticPhoto.scene(width: 1024, height: 768, seed: 61), gain: 0.12))),
            ("again.jpg", try SyntheticPhoto.jpeg(scene, quality: 70)),
            ("broken.jpg", Array(try SyntheticPhoto.jpeg(scene).prefix(5000))),
        ]
        for (name, bytes) in files { #expect(FileManager.default.createFile(atPath: "\(folder)/\(name)", contents: Data(bytes))) }

        let reference = try #require(try DemoModel.reference().first { !$0.detections.isEmpty })
        try FileManager.default.copyItem(atPath: DemoModel.fixtures + "/reference/" + reference.image, toPath: "\(folder)/scene.png")
        let model = ["WALKAROUND_MODEL_PATH": DemoModel.path, "ORT_LIBRARY_PATH": DemoModel.library]
        let (output, status) = try await Self.run(["inspect", "--json"] + files.map { "\(folder)/\($0.0)" } + ["\(folder)/scene.png"], environment: model)
        #expect(status == 0)
        let printed = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any], "\(output)")
        let results = try #require(printed["photos"] as? [[String: Any]])
        #expect(results.count == 5)
        let detected = try #require(results[4]["detections"] as? [[String: Any]])
        #expect(detected.compactMap { $0["class_name"] as? String }.sorted() == reference.detections.compactMap { $0["class"] as? String }.sorted())
        #expect(results[0]["detections"] is [Any], "every decodable photo is run through the model")
        let side = results[0]
        #expect(side["width"] as? Int == 1200 && side["height"] as? Int == 900, "upright size")
        #expect(side["stored_width"] as? Int == 900 && side["orientation"] as? Int == 6)
        #expect(side["verdict"] as? String == "accepted")
        let measures = (side["quality"] as? [String: Any])?["measures"] as? [String: Any]
        #expect((measures?["sharpness"] as? Double ?? 0) > 40)
        #expect(results[1]["verdict"] as? String == "rejected")
        #expect((results[1]["advice"] as? String)?.contains("too dark") == true)
        #expect((results[2]["advice"] as? String)?.contains("side.jpg") == true, "a near-duplicate of the first photo")
        #expect(results[3]["verdict"] as? String == "rejected")
        #expect((results[3]["advice"] as? String)?.contains("damaged or incomplete") == true)

        // Thresholds come from the same configuration as the service.
        let strict = try await Self.run(
            ["inspect", "\(folder)/side.jpg"], environment: ["WALKAROUND_QUALITY_MIN_SHORT_SIDE": "2000", "WALKAROUND_MODEL_PATH": ""]
        )
        #expect(strict.output.contains("rejected") && strict.output.contains("too small"), "\(strict.output)")
    }

    @Test func readsThePlatesAndVotesAgainstTheDeclaredOne() async throws {
        let folder = DemoModel.fixtures + "/plates"
        let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/plates.json"))
        let cases = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        let scene = try #require(cases.first { $0["set"] as? String == "scenes" })
        let file = folder + "/" + (scene["image"] as? String ?? "")
        let truth = (scene["text"] as? String ?? "").uppercased().filter { $0.isLetter || $0.isNumber }
        let model = ["WALKAROUND_MODEL_PATH": DemoModel.path, "ORT_LIBRARY_PATH": DemoModel.library]

        let (output, status) = try await Self.run(["inspect", "--json", "--plate", "XX-999-XX", file], environment: model)
        #expect(status == 0)
        let printed = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any], "\(output)")
        let photo = try #require((printed["photos"] as? [[String: Any]])?.first)
        let readings = try #require(photo["plate_readings"] as? [[String: Any]])
        #expect(readings.first?["plate"] as? String == truth, "\(readings)")
        let vote = try #require(printed["plate"] as? [String: Any])
        #expect(vote["plate"] as? String == truth)
        #expect(vote["check"] as? String == "mismatch", "declared XX-999-XX, the car shows \(truth)")

        let text = try await Self.run(["inspect", "--plate", truth, file], environment: model)
        #expect(text.output.contains("check: match"), "\(text.output)")
    }
}
