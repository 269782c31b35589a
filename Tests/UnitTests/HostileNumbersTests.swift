import Foundation
import Imaging
import Reporting
import Storage
import TestFixtures
import Testing
import WalkaroundCore

/// Numbers from outside (headers, cursors, model output, HTTP headers) never trap: each is refused
/// or clamped before any arithmetic that could overflow.
@Suite("Hostile numbers")
struct HostileNumbersTests {
    /// The upload that killed the process: a PNG whose IHDR declares 0xFFFFFFFF × 0xFFFFFFFF.
    @Test func aPNGDeclaringFourBillionSquaredIsRefusedNotTrapped() throws {
        let bomb = PNGWriter.file(width: 0xFFFF_FFFF, height: 0xFFFF_FFFF, bitDepth: 8, colourType: 2, raw: [])
        #expect(throws: ImageHeaderError.self) { try ImageHeader.read(bomb) }
        #expect(throws: ImageDecodingError.self) { try PhotoDecoder().decode(bomb, cover: 320) }
        let analysis = PhotoAnalyzer().analyze(bomb)
        #expect(analysis.report.accepted == false)
    }

    @Test(arguments: [
        (0x7FFF_FFFF, 0x7FFF_FFFF), (0x7FFF_FFFF, 1), (1, 0x7FFF_FFFF), (65_500, 65_500), (200_000, 300_000),
    ])
    func largeButLegalPNGSidesAreOverTheLimit(_ width: Int, _ height: Int) throws {
        let png = PNGWriter.file(width: width, height: height, bitDepth: 8, colourType: 2, raw: [])
        let header = try ImageHeader.read(png)
        #expect(header.pixelCount == width * height)
        #expect(throws: ImageDecodingError.tooManyPixels(width: width, height: height, limit: 50_000_000)) {
            try PhotoDecoder().header(png)
        }
    }

    @Test func pixelCountSaturatesInsteadOfOverflowing() {
        let header = ImageHeader(format: .png, width: Int.max / 2, height: 3, components: 3)
        #expect(header.pixelCount == Int.max)
        #expect(ImageHeader(format: .png, width: -1, height: 5, components: 3).pixelCount == Int.max)
    }

    @Test func aPNGChunkLengthBeyondTheFileEndsTheWalk() throws {
        // IHDR, then a chunk that claims 4 GiB before any IDAT.
        var png = PNGWriter.file(width: 8, height: 8, bitDepth: 8, colourType: 2, raw: [])
        let ihdrEnd = 8 + 25
        png.insert(contentsOf: [0xFF, 0xFF, 0xFF, 0xFF] + Array("tEXt".utf8) + [0, 0], at: ihdrEnd)
        let header = try ImageHeader.read(png)
        #expect(header.width == 8 && header.orientation == .up)
    }

    /// The cursor that killed a SQLite deployment: Int64.max microseconds.
    @Test(arguments: [
        "9223372036854775807", "-9223372036854775808", "253402300800000000", "-62135596800000001", "99999999999999999999",
    ])
    func cursorsOutsideStorableTimesAreRefused(_ micros: String) {
        let token = Data("\(micros).\(UUID().uuidString)".utf8).base64EncodedString()
        #expect(InspectionCursor(token: token) == nil)
    }

    @Test func cursorsThisServerIssuesRoundTrip() throws {
        let cursor = InspectionCursor(createdAt: Date().truncatedToMicroseconds, id: UUID())
        #expect(InspectionCursor(token: cursor.token) == cursor)
        #expect(InspectionCursor(token: String(repeating: "A", count: 5000)) == nil)
    }

    @Test func datesBeyondTheStorableRangeAreClampedNotTrapped() {
        let far = Date(timeIntervalSince1970: 1e300)
        #expect(far.truncatedToMicroseconds.timeIntervalSince1970 < 2.6e11)
        #expect(Date(timeIntervalSince1970: -.infinity).truncatedToMicroseconds.timeIntervalSince1970 > -6.3e10)
    }

    @Test(arguments: [
        ("nan", nil), ("-1e30", nil), ("1e400", nil), ("inf", nil), ("Wed, 21 Oct 2015 07:28:00 GMT", nil), ("", nil),
        ("2", 2.0), ("0.5", 0.5), ("99999999", 3600.0),
    ] as [(String, Double?)])
    func retryAfterIsReadAsASaneDelay(_ header: String, _ expected: Double?) {
        #expect(ChatCompletionsClient.retryAfterSeconds(header) == expected)
    }

    @Test func nonFiniteBoxesClampToFiniteOnes() {
        let box = Box(x1: .nan, y1: -.infinity, x2: .infinity, y2: 1e300).clamped(width: 640, height: 480)
        #expect(box == Box(x1: 0, y1: 0, x2: 640, y2: 480))
        #expect(!Box(x1: .nan, y1: 0, x2: 1, y2: 1).isFinite)
    }

    /// An annotated image of a box far outside the photo, as a hostile model could report.
    @Test func annotatingABoxOutsideThePhotoDoesNotTrap() throws {
        let photo = try PhotoDecoder().decode(SyntheticPhoto.acceptableJPEG(width: 320, height: 240, seed: 1, orientation: nil))
        let image = Annotator.draw([Annotation(box: Box(x1: -1e300, y1: -5, x2: 1e300, y2: 1e18), label: "dent", colour: RGB(255, 0, 0))], on: photo)
        #expect(image.width == 320)
        #expect(photo.crop(Box(x1: -1e300, y1: 0, x2: 1e300, y2: 1e300)) != nil)
    }
}

/// PNGs decoded row by row: a reduced decode is the block average of the full one.
@Suite("PNG rows")
struct PNGRowTests {
    @Test(arguments: [1, 2, 3, 4, 7])
    func aReducedDecodeIsTheBlockAverageOfTheFullOne(_ factor: Int) throws {
        let scene = SyntheticPhoto.scene(width: 61, height: 45, seed: 4)
        let png = PNGWriter.png(scene)
        let full = try PNGCodec.decode(png)
        #expect(full.pixels == scene.pixels, "lossless at full size")
        let cover = (61 + factor - 1) / factor
        let reduced = try PNGCodec.decode(png, cover: cover)
        let k = max(1, 61 / cover)
        #expect(reduced.width == (61 + k - 1) / k && reduced.height == (45 + k - 1) / k)
        #expect(max(reduced.width, reduced.height) >= cover)
        for y in 0..<reduced.height {
            for x in 0..<reduced.width {
                var sum = [0, 0, 0], count = 0
                for sy in (y * k)..<min(45, y * k + k) {
                    for sx in (x * k)..<min(61, x * k + k) {
                        let p = full[sx, sy]
                        sum[0] += Int(p.red); sum[1] += Int(p.green); sum[2] += Int(p.blue)
                        count += 1
                    }
                }
                let p = reduced[x, y]
                #expect(Int(p.red) == (sum[0] + count / 2) / count && Int(p.green) == (sum[1] + count / 2) / count && Int(p.blue) == (sum[2] + count / 2) / count)
            }
        }
    }

    @Test func aFlatPhotoAtTheLimitDecodesToAThumbnailWithoutTheFullImage() throws {
        let png = FlatPNG.png(width: 7_000, height: 7_000, value: 90)
        #expect(png.count < 1_000_000)
        let thumbnail = try PNGCodec.decode(png, cover: 320)
        #expect(thumbnail.width == 334 && thumbnail.height == 334)
        #expect(thumbnail[100, 100] == RGB(90, 90, 90))
    }

    @Test func truncatedRowsAreCorrupt() throws {
        let png = PNGWriter.png(SyntheticPhoto.scene(width: 40, height: 40, seed: 2))
        #expect(throws: ImageDecodingError.self) { try PNGCodec.decode(Array(png[0..<(png.count - 200)]), cover: 8) }
    }

    /// Confidences shown as percentages (labels, the report page) never trap on NaN or infinity.
    @Test(arguments: [(Double.nan, 0), (.infinity, 100), (-.infinity, 0), (-0.3, 0), (0.444, 44), (0.995, 100), (7, 100)])
    func confidencesBecomeWholePercentages(value: Double, percent: Int) {
        #expect(value.wholePercent == percent)
    }

    /// The report page names a merged damage's other classes, whatever their stored confidence.
    @Test func theReportPageShowsAlternatives() {
        var report = sampleReport()
        report.damages[0].alternatives = [DamageAlternative(className: "lamp_broken", confidence: .nan)]
        let prose = ReportProse(summary: "", damageNotes: [], provider: "template")
        let html = ReportPage().html(report: report, prose: prose, images: [:])
        #expect(html.contains("also detected as broken lamp 0%"), "\(html)")
    }
}

