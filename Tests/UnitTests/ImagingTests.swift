import Foundation
import Imaging
import TestFixtures
import Testing
import WalkaroundCore

@Suite("Imaging: decoding and orientation")
struct DecodingTests {
    /// Mean colour of a block around (x, y).
    static func colour(_ image: RGBImage, _ x: Int, _ y: Int) -> RGB {
        var sums = (0, 0, 0), n = 0
        for dy in -3...3 {
            for dx in -3...3 {
                let p = image[x + dx, y + dy]
                sums = (sums.0 + Int(p.red), sums.1 + Int(p.green), sums.2 + Int(p.blue))
                n += 1
            }
        }
        return RGB(UInt8(sums.0 / n), UInt8(sums.1 / n), UInt8(sums.2 / n))
    }

    static func close(_ a: RGB, _ b: RGB, tolerance: Int = 24) -> Bool {
        abs(Int(a.red) - Int(b.red)) <= tolerance && abs(Int(a.green) - Int(b.green)) <= tolerance
            && abs(Int(a.blue) - Int(b.blue)) <= tolerance
    }

    /// The four quadrant centres of an upright image, compared with the reference.
    static func expectUpright(_ image: RGBImage, like reference: RGBImage, _ comment: Comment) {
        #expect(image.width == reference.width && image.height == reference.height, comment)
        guard image.width == reference.width, image.height == reference.height else { return }
        for (fx, fy) in [(1, 1), (3, 1), (1, 3), (3, 3)] {
            let x = image.width * fx / 4, y = image.height * fy / 4
            #expect(close(colour(image, x, y), reference[x, y]), "\(comment): quadrant at \(x),\(y) is \(colour(image, x, y))")
        }
    }

    @Test(arguments: Orientation.allCases)
    func everyEXIFOrientationIsTurnedUpright(_ orientation: Orientation) throws {
        let upright = SyntheticPhoto.quadrants(width: 320, height: 200)
        let stored = upright.storedForm(for: orientation)
        #expect(orientation.swapsAxes ? stored.width == 200 : stored.width == 320)
        let jpeg = try SyntheticPhoto.jpeg(stored, quality: 95, orientation: orientation)
        let decoded = try PhotoDecoder().decode(jpeg)
        #expect(decoded.header.orientation == orientation)
        #expect(decoded.uprightWidth == 320 && decoded.uprightHeight == 200)
        Self.expectUpright(decoded.image, like: upright, "JPEG, orientation \(orientation.rawValue)")

        let png = PNGWriter.png(stored, orientation: orientation)
        let fromPNG = try PhotoDecoder().decode(png)
        #expect(fromPNG.image == upright, "PNG with eXIf orientation \(orientation.rawValue) is exact")

        let (_, boxed) = try PhotoDecoder().decodeLetterboxed(jpeg, size: 160)
        #expect(boxed.letterbox.contentWidth == 160 && boxed.letterbox.contentHeight == 100)
        Self.expectUpright(boxed.content, like: upright.resized(width: 160, height: 100), "letterboxed, orientation \(orientation.rawValue)")
    }

    @Test func jpegIsDecodedAtTheSmallestDCTScaleThatCoversTheModel() throws {
        #expect(JPEGCodec.scaledSize(width: 4000, height: 3000, cover: 640) == (1000, 750))
        #expect(JPEGCodec.scaledSize(width: 1600, height: 1200, cover: 640) == (800, 600))
        #expect(JPEGCodec.scaledSize(width: 1600, height: 1200, cover: 300) == (400, 300))
        #expect(JPEGCodec.scaledSize(width: 600, height: 400, cover: 640) == (600, 400), "never upscaled")
        let jpeg = try SyntheticPhoto.jpeg(SyntheticPhoto.scene(width: 1600, height: 1200, seed: 3))
        let decoded = try PhotoDecoder().decode(jpeg, cover: 640)
        #expect(decoded.image.width == 800 && decoded.image.height == 600)
        #expect(decoded.uprightWidth == 1600, "geometry stays in original pixels")
    }

    @Test func greyscaleAndCMYKJPEGsDecodeToRGB() throws {
        let grey = [UInt8](repeating: 90, count: 64 * 48)
        let greyJPEG = try JPEGCodec.encode(pixels: grey, width: 64, height: 48, layout: .grey, quality: 95)
        #expect(try ImageHeader.read(greyJPEG).components == 1)
        let fromGrey = try PhotoDecoder().decode(greyJPEG).image
        #expect(Self.close(fromGrey[32, 24], RGB(90, 90, 90), tolerance: 2))

        // Photoshop writes CMYK inverted with an Adobe marker, as libjpeg does for CMYK input.
        // Inverted (c, m, y, k) = (255, 55, 155, 205) is C 0, M 200, Y 100, K 50: RGB ≈ (205, 44, 125).
        let cmyk = [UInt8](repeating: 0, count: 64 * 48 * 4).enumerated().map { index, _ in [255, 55, 155, 205][index % 4] as UInt8 }
        let cmykJPEG = try JPEGCodec.encode(pixels: cmyk, width: 64, height: 48, layout: .cmyk, quality: 95)
        let header = try ImageHeader.read(cmykJPEG)
        #expect(header.components == 4 && header.adobeMarker)
        let fromCMYK = try PhotoDecoder().decode(cmykJPEG).image
        #expect(Self.close(fromCMYK[32, 24], RGB(205, 44, 125), tolerance: 4), "got \(fromCMYK[32, 24])")
    }

    @Test func pngInEveryDepthAndColourTypeDecodes() throws {
        let scene = SyntheticPhoto.scene(width: 120, height: 90, seed: 4)
        #expect(try PhotoDecoder().decode(PNGWriter.png(scene)).image == scene)
        #expect(try PhotoDecoder().decode(PNGWriter.png(scene, colourType: .rgba)).image == scene)
        let sixteen = PNGWriter.png(scene, bitDepth: 16)
        #expect(sixteen[24] == 16, "the IHDR says 16 bits")
        #expect(try PhotoDecoder().decode(sixteen).image == scene, "16-bit samples v×257 come back as v")
        let grey = try PhotoDecoder().decode(PNGWriter.png(scene, colourType: .grey, bitDepth: 16)).image
        #expect(grey == RGBImage(width: 120, height: 90, pixels: scene.grey().pixels.flatMap { [$0, $0, $0] }))
    }

    @Test func truncatedAndCorruptFilesAreRefusedWithAReason() throws {
        let jpeg = try SyntheticPhoto.jpeg(SyntheticPhoto.scene(width: 800, height: 600, seed: 5))
        let png = PNGWriter.png(SyntheticPhoto.scene(width: 200, height: 150, seed: 6))
        var badCRC = png
        badCRC[png.count - 20] ^= 0xFF  // inside the IDAT data, so its CRC no longer matches
        var markerInData = jpeg
        let middle = jpeg.count / 2
        markerInData.replaceSubrange(middle..<middle + 8, with: [0xFF, 0xD5, 0xFF, 0xD1, 0xFF, 0xC4, 0x00, 0x02])
        let cases: [(String, [UInt8])] = [
            ("truncated JPEG", Array(jpeg.prefix(jpeg.count * 6 / 10))),
            ("JPEG with a marker inside its data", markerInData),
            ("JPEG header only", Array(jpeg.prefix(200))),
            ("truncated PNG", Array(png.prefix(png.count / 2))),
            ("PNG with a bad CRC", badCRC),
            ("no image at all", Array("GIF89a, not ours".utf8)),
        ]
        for (name, bytes) in cases {
            #expect(throws: ImageDecodingError.self, "\(name)") { try PhotoDecoder().decode(bytes) }
            let report = PhotoAnalyzer().analyze(bytes).report
            #expect(report.issues.map(\.code) == [.unreadable], "\(name): \(report.issues)")
            #expect(report.advice?.contains("upload the photo again") == true)
        }
    }

    @Test func decompressionBombsAreRefusedBeforeDecoding() throws {
        // A PNG declaring 100 000 × 100 000 pixels with a few bytes of data.
        let bomb = PNGWriter.file(width: 100_000, height: 100_000, bitDepth: 8, colourType: 2, raw: [0, 1, 2, 3])
        let start = ContinuousClock.now
        #expect(throws: ImageDecodingError.tooManyPixels(width: 100_000, height: 100_000, limit: 50_000_000)) {
            try PhotoDecoder().decode(bomb)
        }
        #expect(ContinuousClock.now - start < .seconds(10), "refused from the header, nothing allocated (decoding 10^10 pixels would take minutes)")
        let report = PhotoAnalyzer().analyze(bomb).report
        #expect(report.issues.map(\.code) == [.tooManyPixels])

        // A JPEG whose frame header declares 60 000 × 60 000, and a configurable limit.
        var jpeg = try SyntheticPhoto.jpeg(SyntheticPhoto.scene(width: 64, height: 64, seed: 1))
        let sof = try #require(jpeg.indices.first { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xC0 })
        jpeg.replaceSubrange(sof + 5..<sof + 9, with: [0xEA, 0x60, 0xEA, 0x60])
        #expect(throws: ImageDecodingError.tooManyPixels(width: 60_000, height: 60_000, limit: 50_000_000)) { try PhotoDecoder().decode(jpeg) }
        let small = try SyntheticPhoto.jpeg(SyntheticPhoto.scene(width: 200, height: 100, seed: 1))
        #expect(throws: ImageDecodingError.tooManyPixels(width: 200, height: 100, limit: 10_000)) { try PhotoDecoder(maxPixels: 10_000).decode(small) }
    }
}

@Suite("Imaging: geometry")
struct GeometryTests {
    @Test func letterboxMapsBoxesBothWaysExactly() {
        var random = SeededRandom(seed: 11)
        for (width, height) in [(4000, 3000), (3000, 4000), (1999, 1333), (641, 17), (500, 500), (300, 200)] {
            let box = Letterbox(sourceWidth: width, sourceHeight: height, size: 640)
            #expect(max(box.contentWidth, box.contentHeight) == 640)
            #expect(box.padLeft * 2 + box.contentWidth <= 640 && box.padLeft * 2 + box.contentWidth >= 639)
            for _ in 0..<50 {
                let x1 = Double(random.int(0...width - 2)), y1 = Double(random.int(0...height - 2))
                let original = Box(x1: x1, y1: y1, x2: Double(random.int(Int(x1) + 1...width)), y2: Double(random.int(Int(y1) + 1...height)))
                let back = box.toSource(box.toCanvas(original))
                #expect(abs(back.x1 - original.x1) < 1e-6 && abs(back.y2 - original.y2) < 1e-6, "\(width)×\(height): \(original) → \(back)")
            }
        }
    }

    /// A bright rectangle drawn at known original pixels is found where the letterbox geometry says,
    /// through JPEG, DCT scaling, orientation and resize; mapped back it lands within one canvas pixel.
    @Test(arguments: [Orientation.up, .rotatedClockwise, .transversed])
    func drawnBoxRoundTripsThroughTheModelInput(_ orientation: Orientation) throws {
        let width = 1999, height = 1333
        let truth = Box(x1: 600, y1: 300, x2: 1400, y2: 900)
        var upright = RGBImage(width: width, height: height, fill: RGB(10, 10, 10))
        SyntheticPhoto.fill(&upright, x: 600, y: 300, w: 800, h: 600, RGB(250, 250, 250))
        let jpeg = try SyntheticPhoto.jpeg(upright.storedForm(for: orientation), quality: 95, orientation: orientation)
        let (_, boxed) = try PhotoDecoder().decodeLetterboxed(jpeg, size: 640)
        var found = (x1: Int.max, y1: Int.max, x2: Int.min, y2: Int.min)
        for y in 0..<640 {
            for x in 0..<640 where boxed.canvas[x, y].green > 130 {
                found = (min(found.x1, x), min(found.y1, y), max(found.x2, x + 1), max(found.y2, y + 1))
            }
        }
        let back = boxed.letterbox.toSource(Box(x1: Double(found.x1), y1: Double(found.y1), x2: Double(found.x2), y2: Double(found.y2)))
        let canvasPixel = 1 / boxed.letterbox.scaleX
        for (got, want) in [(back.x1, truth.x1), (back.y1, truth.y1), (back.x2, truth.x2), (back.y2, truth.y2)] {
            #expect(abs(got - want) <= canvasPixel, "orientation \(orientation.rawValue): \(back) vs \(truth)")
        }
    }

    @Test func resizeKeepsFlatImagesFlatAndAveragesExactly() {
        for (width, height) in [(37, 23), (640, 480), (3, 2)] {
            let flat = RGBImage(width: 101, height: 77, fill: RGB(13, 200, 77))
            #expect(flat.resized(width: width, height: height) == RGBImage(width: width, height: height, fill: RGB(13, 200, 77)))
        }
        // A 0/255 checkerboard halved by area: every output pixel covers two of each.
        var checker = RGBImage(width: 64, height: 64, fill: RGB(0, 0, 0))
        for y in 0..<64 { for x in 0..<64 where (x + y) % 2 == 0 { checker[x, y] = RGB(255, 255, 255) } }
        let half = checker.resized(width: 32, height: 32)
        #expect(half.pixels.allSatisfy { $0 == 127 || $0 == 128 })
        // A 3:1 reduction of columns 0, 0, 90 | 30, 30, 30 | … averages each triple.
        var ramp = RGBImage(width: 6, height: 1, fill: RGB(0, 0, 0))
        for (x, v) in [0, 0, 90, 30, 30, 30].enumerated() { ramp[x, 0] = RGB(UInt8(v), UInt8(v), UInt8(v)) }
        #expect(ramp.resized(width: 2, height: 1).pixels == [30, 30, 30, 30, 30, 30])
        // Growing interpolates between neighbours and keeps the ends.
        let grown = RGBImage(width: 2, height: 1, pixels: [0, 0, 0, 200, 200, 200]).resized(width: 4, height: 1)
        #expect(grown.pixels == [0, 0, 0, 50, 50, 50, 150, 150, 150, 200, 200, 200])
    }

    @Test func cropsAndThumbnailsStayInsideThePhoto() throws {
        let scene = SyntheticPhoto.scene(width: 400, height: 300, seed: 8)
        let crop = try #require(scene.cropped(to: PixelRect(x: 350, y: 250, width: 100, height: 100)))
        #expect(crop.width == 50 && crop.height == 50)
        #expect(crop[0, 0] == scene[350, 250])
        #expect(scene.cropped(to: PixelRect(x: 500, y: 0, width: 10, height: 10)) == nil)
        let photo = try PhotoDecoder().decode(SyntheticPhoto.jpeg(scene, quality: 95), cover: 100)
        #expect(photo.image.width == 100, "decoded at 1/4")
        let plate = try #require(photo.crop(Box(x1: 200, y1: 100, x2: 280, y2: 140)))
        #expect(plate.width == 20 && plate.height == 10, "an original-pixel box cropped from the 1/4-scale decode")
        let thumb = photo.image.fitted(longSide: 64)
        #expect(thumb.width == 64 && thumb.height == 48)
    }
}

@Suite("Imaging: quality gate")
struct QualityTests {
    static func report(_ image: RGBImage, thresholds: QualityThresholds = QualityThresholds()) throws -> QualityReport {
        PhotoAnalyzer(thresholds: thresholds).analyze(try SyntheticPhoto.jpeg(image)).report
    }

    @Test func blurredPhotoIsRejectedAndTheSharpOneAccepted() throws {
        let sharp = SyntheticPhoto.scene(width: 1280, height: 960, seed: 21)
        let sharpReport = try Self.report(sharp)
        let blurredReport = try Self.report(SyntheticPhoto.blurred(sharp, factor: 12))
        let sharpness = try #require(sharpReport.measures?.sharpness), blurred = try #require(blurredReport.measures?.sharpness)
        print("sharpness: sharp \(sharpness), blurred \(blurred)")
        #expect(sharpReport.accepted, "\(sharpReport.issues)")
        #expect(blurredReport.issues.map(\.code) == [.tooBlurry])
        #expect(sharpness > 4 * blurred)
    }

    @Test func exposureProblemsGetTheirReasonAndAdvice() throws {
        let scene = SyntheticPhoto.scene(width: 1024, height: 768, seed: 22)
        let dark = try Self.report(SyntheticPhoto.exposed(scene, gain: 0.18))
        #expect(dark.issues.map(\.code).contains(.tooDark))
        #expect(dark.advice?.contains("too dark: retake with the flash or under the canopy light") == true)
        let bright = try Self.report(SyntheticPhoto.exposed(scene, gain: 0.6, offset: 170))
        #expect(bright.issues.map(\.code).contains(.tooBright))
        // Normal mean, but a third of the frame blown out by glare.
        var glare = scene
        SyntheticPhoto.fill(&glare, x: 0, y: 0, w: 1024, h: 300, RGB(255, 255, 255))
        let glared = try Self.report(glare)
        #expect(try #require(glared.measures).brightClippedShare > 0.3)
        #expect(glared.issues.map(\.code).contains(.tooBright))
        #expect(try Self.report(scene).accepted)
        // Thresholds are configuration: a stricter darkness limit rejects the normal photo.
        #expect(try Self.report(scene, thresholds: QualityThresholds(minMeanLuminance: 250)).issues.map(\.code).contains(.tooDark))
    }

    @Test func lowResolutionIsRejected() throws {
        let report = try Self.report(SyntheticPhoto.scene(width: 640, height: 480, seed: 23))
        #expect(report.issues.map(\.code) == [.resolutionTooLow])
        #expect(report.measures?.width == 640)
    }

    @Test func perceptualHashFindsTheSamePictureAndTellsOthersApart() throws {
        let scene = SyntheticPhoto.scene(width: 1024, height: 768, seed: 24)
        func hash(_ bytes: [UInt8]) throws -> PerceptualHash {
            try #require(PhotoAnalyzer().analyze(bytes).report.measures.flatMap { PerceptualHash(hex: $0.perceptualHash) })
        }
        let first = try hash(SyntheticPhoto.jpeg(scene, quality: 92))
        let recompressed = try hash(SyntheticPhoto.jpeg(scene, quality: 60))
        let png = try hash(PNGWriter.png(scene))
        #expect(first.distance(to: recompressed) <= 5)
        #expect(first.distance(to: png) <= 5)
        for seed in 30..<36 {
            let other = try hash(SyntheticPhoto.jpeg(SyntheticPhoto.scene(width: 1024, height: 768, seed: UInt64(seed))))
            #expect(first.distance(to: other) > 10, "seed \(seed): distance \(first.distance(to: other))")
        }
    }

    @Test func annotatorDrawsBoxesAndLabelsInOriginalPixels() throws {
        let scene = SyntheticPhoto.exposed(SyntheticPhoto.scene(width: 800, height: 600, seed: 25), gain: 0.3)
        let photo = try PhotoDecoder().decode(SyntheticPhoto.jpeg(scene, quality: 95), cover: 400)
        #expect(photo.image.width == 400)
        let red = RGB(225, 30, 30)
        let drawn = Annotator.draw([Annotation(box: Box(x1: 200, y1: 200, x2: 600, y2: 500), label: "dent 91% new", colour: red)], on: photo)
        #expect(drawn[100, 175] == red, "left edge at x = 200 / 2")
        #expect(drawn[299, 200] == red, "right edge")
        #expect(drawn[200, 249] == red, "bottom edge")
        #expect(drawn[200, 175] == photo.image[200, 175], "inside untouched")
        #expect(drawn[50, 50] == photo.image[50, 50], "outside untouched")
        let tab = (100..<200).filter { drawn[$0, 96] == red }.count
        #expect(tab > 30, "a label tab above the box")
        let ink = (100..<200).flatMap { x in (92..<100).map { drawn[x, $0] } }.filter { $0 == RGB(255, 255, 255) }.count
        #expect(ink > 20, "white text on the red tab")
    }
}
