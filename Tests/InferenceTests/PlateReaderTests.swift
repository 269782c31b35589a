import Foundation
import Imaging
import Inference
import Testing
import WalkaroundCore

/// The plates `tools/plates/render_plates.py` rendered (every country format, five fonts from
/// Debian packages), with their true text and the plate's box.
struct RenderedPlate: Decodable, Sendable {
    var image: String
    var set: String
    var country: String
    var text: String
    var box: [Double]
    var font: String

    static let folder = ProcessInfo.processInfo.environment["WALKAROUND_PLATE_FIXTURES"] ?? Repository.fixtures + "/plates"

    static func all() throws -> [RenderedPlate] {
        try JSONDecoder().decode([RenderedPlate].self, from: Data(contentsOf: URL(fileURLWithPath: folder + "/plates.json")))
    }

    func decoded() throws -> RGBImage {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.folder + "/" + image)))
        return try PhotoDecoder().decode(bytes).image
    }

    var plateBox: Box { Box(x1: box[0], y1: box[1], x2: box[2], y2: box[3]) }
}

enum PlateFixtures {
    static let reader: Result<PlateReader, any Error> = Result { try PlateReader(settings: .init(lanes: 2)) }

    /// Reads every plate of `set` (two at a time, as two workers would) and returns the share read
    /// exactly (normalised text equal to the truth), printing the misses.
    static func accuracy(_ set: String) async throws -> (Double, Int) {
        let reader = try reader.get()
        let plates = try RenderedPlate.all().filter { $0.set == set }
        let results = try await withThrowingTaskGroup(of: (RenderedPlate, PlateText?).self) { group in
            for plate in plates {
                group.addTask { (plate, await reader.read(try plate.decoded(), box: plate.plateBox)) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        var right = 0
        var misses: [String] = []
        for (plate, reading) in results {
            if reading?.plate == VehicleRef.normalisedPlate(plate.text) {
                right += 1
            } else {
                misses.append("\(plate.image) \(plate.text) → \(reading.map { "\($0.text) (\($0.plate))" } ?? "nothing")")
            }
        }
        let accuracy = Double(right) / Double(max(1, plates.count))
        print("plate accuracy (\(set)): \(right)/\(plates.count) = \(accuracy)")
        for miss in misses.sorted() { print("  miss: \(miss)") }
        return (accuracy, plates.count)
    }
}

@Suite("Plate reading (Tesseract)")
struct PlateReaderTests {
    @Test func cleanRendersAreReadExactly() async throws {
        let (accuracy, count) = try await PlateFixtures.accuracy("clean")
        #expect(count >= 100)
        #expect(accuracy >= 0.95, "exact-match accuracy on clean plates \(accuracy)")
    }

    @Test func degradedRendersAreMostlyReadExactly() async throws {
        let (accuracy, count) = try await PlateFixtures.accuracy("degraded")
        #expect(count >= 100)
        #expect(accuracy >= 0.85, "exact-match accuracy on degraded plates \(accuracy)")
    }

    @Test func missingDataIsAClearError() {
        #expect {
            try PlateReader(settings: .init(dataPath: "/nonexistent/tessdata"))
        } throws: { "\($0)".contains("no eng.traineddata in /nonexistent/tessdata") }
    }

    @Test func theBandIsPaintedOverAndTheTiltUndone() throws {
        // A tilted plate with an EU band: the preparer must find the band and most of the tilt.
        let plates = try RenderedPlate.all().filter { $0.set == "degraded" && !["CH", "GB"].contains($0.country) }
        var found = 0, angles: [Double] = []
        for plate in plates.prefix(30) {
            guard let prepared = PlatePreparer().prepare(try plate.decoded(), box: plate.plateBox) else { continue }
            if prepared.bandRemoved { found += 1 }
            angles.append(prepared.angle)
        }
        #expect(found >= 27, "EU band found on \(found) of 30 plates")
        #expect(angles.filter { abs($0) > 2 }.count >= 10, "tilts found: \(angles)")
    }

    @Test func aBoxWithoutAPlateReadsNothingPlateLike() async throws {
        let reader = try PlateFixtures.reader.get()
        let paint = RGBImage(width: 400, height: 200, fill: RGB(150, 20, 28))
        let reading = await reader.read(paint, box: Box(x1: 100, y1: 70, x2: 300, y2: 120))
        #expect(reading == nil || reading?.country == nil)
    }
}
