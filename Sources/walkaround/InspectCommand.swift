import ArgumentParser
import Foundation
import Imaging
import Inference
import WalkaroundCore
import WalkaroundServer

/// `walkaround inspect PHOTO...`: runs the imaging stage and quality gate on local files, with the
/// thresholds the service would use (same environment variables), photos compared with each other
/// for near-duplicates in the order given.
struct Inspect: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Decode photos and run the quality gate on them; prints size, orientation, quality values and verdict."
    )

    @Argument(help: "JPEG or PNG files.")
    var photos: [String]

    @Flag(help: "Print JSON (an array, one object per photo) instead of a line per photo.")
    var json = false

    @Option(help: "The plate the station declared: the voted plate is checked against it.")
    var plate: String?

    @OptionGroup var common: CommonOptions

    /// Everything printed with --json: each photo, then the plate the photos agree on.
    struct Output: Encodable {
        var photos: [Result]
        var plate: PlateVerdict?
    }

    struct Plate: Encodable {
        var text: String
        var plate: String
        var formatted: String
        var country: String?
        var confidence: Double
        var box: Box
    }

    struct Result: Encodable {
        var file: String
        var format: ImageFormat?
        var width: Int?
        var height: Int?
        var orientation: Int?
        /// The stored (pre-orientation) size and the size the photo was decoded at for the model.
        var storedWidth: Int?
        var storedHeight: Int?
        var letterbox: Letterbox?
        var verdict: String
        var quality: QualityReport?
        var advice: String?
        var detections: [Found]?
        var plateReadings: [Plate]?
    }

    struct Found: Encodable {
        var model: String
        var className: String
        var confidence: Double
        var box: Box
    }

    func run() async throws {
        let settings = WalkaroundSettings(reader: common.reader())
        var analyzer = PhotoAnalyzer(decoder: PhotoDecoder(maxPixels: settings.maxImagePixels), thresholds: settings.quality)
        let detectors = try loadDetectors(settings.inference)
        // As the service: the gate measures at the model's input size, one decode for both.
        if let size = detectors.map(\.info.inputSize).max() { analyzer.modelSize = size }
        let reader = detectors.isEmpty ? nil : try settings.plates.map { try PlateReader(settings: $0) }
        let preferred = plate.flatMap { PlateGrammar.best($0)?.country }
        var results: [Result] = []
        var votes: [PlateReading] = []
        var accepted: [(file: String, hash: PerceptualHash)] = []
        for file in photos {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw ValidationError("cannot read \(file)")
            }
            let analysis = analyzer.analyze([UInt8](data))
            var report = analysis.report
            if report.accepted, let hash = report.measures.flatMap({ PerceptualHash(hex: $0.perceptualHash) }) {
                if let twin = accepted.first(where: { $0.hash.distance(to: hash) <= analyzer.thresholds.maxDuplicateDistance }) {
                    report = report.markingDuplicate(of: twin.file)
                } else {
                    accepted.append((file, hash))
                }
            }
            let header = analysis.header
            var found: [Found]? = detectors.isEmpty ? nil : []
            var plateBoxes: [Box] = []
            if analysis.header != nil {
                for detector in detectors {
                    guard let boxed = analysis.letterboxed(size: detector.info.inputSize) else { continue }
                    let objects = try detector.detect([boxed])[0]
                    found! += objects.map {
                        Found(model: detector.configuration.name, className: $0.className, confidence: Double($0.confidence), box: $0.box)
                    }
                    plateBoxes += objects.filter { detector.configuration.role(of: $0.className) == .plate }.map(\.box)
                }
            }
            var readings: [Plate]?
            if let reader {
                let read = await reader.readPlates(in: [UInt8](data), decoder: analyzer.decoder, boxes: plateBoxes, preferredCountry: preferred)
                readings = read.map {
                    Plate(text: $0.text.text, plate: $0.text.plate, formatted: $0.text.formatted, country: $0.text.country, confidence: $0.text.confidence, box: $0.box)
                }
                if report.accepted {
                    votes += read.map { PlateReading(photoID: UUID(), box: $0.box, read: $0.text, at: Date()) }
                }
            }
            results.append(
                Result(
                    file: file, format: header?.format, width: header?.uprightSize.width, height: header?.uprightSize.height,
                    orientation: header?.orientation.rawValue, storedWidth: header?.width, storedHeight: header?.height,
                    letterbox: analysis.letterboxed?.letterbox, verdict: report.accepted ? "accepted" : "rejected",
                    quality: report, advice: report.advice, detections: found, plateReadings: readings
                )
            )
        }
        if json {
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let output = Output(photos: results, plate: reader == nil ? nil : PlateVote.vote(votes, declared: plate))
            print(String(decoding: try encoder.encode(output), as: UTF8.self))
            return
        }
        for result in results {
            let size = result.width.map { "\($0)×\(result.height ?? 0)" } ?? "-"
            let measures = result.quality?.measures.map {
                String(format: "sharpness %.0f, luma %.0f, dark %.0f%%, bright %.0f%%", $0.sharpness, $0.meanLuminance, $0.darkClippedShare * 100, $0.brightClippedShare * 100)
            } ?? ""
            print("\(result.file): \(result.verdict), \(size), orientation \(result.orientation ?? 1), \(measures)\(result.advice.map { " — " + $0 } ?? "")")
            for found in result.detections ?? [] {
                let box = [found.box.x1, found.box.y1, found.box.x2, found.box.y2].map { String(Int($0.rounded())) }.joined(separator: ",")
                print("  \(found.className) \(found.confidence.wholePercent)% at \(box) (\(found.model))")
            }
            for reading in result.plateReadings ?? [] {
                print("  plate \(reading.formatted) (\(reading.country ?? "no format"), read \"\(reading.text)\", \(reading.confidence.wholePercent)%)")
            }
        }
        if reader != nil {
            let verdict = PlateVote.vote(votes, declared: plate)
            let read = verdict.formatted.map { "\($0) (\(verdict.country ?? "?"), \(verdict.confidence.wholePercent)%, \(verdict.agreeing) of \(verdict.readings) readings)" }
            print("plate: \(read ?? "none read"); check: \(verdict.check.rawValue)\(verdict.mismatch ? " — the photos show another car than declared" : "")")
        }
    }

    /// The configured models, loaded directly (no batching for a one-off command); none when
    /// detection is off (`WALKAROUND_MODEL_PATH=""`).
    private func loadDetectors(_ settings: InferenceSettings?) throws -> [YOLODetector] {
        guard let settings else { return [] }
        let runtime = try ONNXRuntime(path: settings.libraryPath)
        let models = try settings.modelsFile.map(InferenceService.readModels) ?? settings.models
        return try models.map { try YOLODetector(runtime: runtime, configuration: $0, settings: settings.session) }
    }
}
