import Imaging
import WalkaroundCore

/// A small deterministic random generator (SplitMix64), so every test photo is the same on every run.
public struct SeededRandom {
    private var state: UInt64

    public init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    public mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.upperBound - range.lowerBound + 1))
    }
}

/// Photo-like test images: made here, never downloaded.
public enum SyntheticPhoto {
    /// A scene with the structure of a car photo: a two-tone background, large painted panels with a
    /// highlight band and dark panel gaps, small high-contrast details and sensor noise. Different
    /// seeds give different layouts (and so different perceptual hashes).
    public static func scene(width: Int, height: Int, seed: UInt64) -> RGBImage {
        var random = SeededRandom(seed: seed)
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        let top = (random.int(60...200), random.int(60...200), random.int(60...200))
        let bottom = (random.int(40...160), random.int(40...160), random.int(40...160))
        pixels.withUnsafeMutableBufferPointer { p in
            for y in 0..<height {
                let t = y * 256 / height
                let colour = (
                    UInt8((top.0 * (256 - t) + bottom.0 * t) >> 8), UInt8((top.1 * (256 - t) + bottom.1 * t) >> 8),
                    UInt8((top.2 * (256 - t) + bottom.2 * t) >> 8)
                )
                for x in 0..<width {
                    let i = (y * width + x) * 3
                    p[i] = colour.0
                    p[i + 1] = colour.1
                    p[i + 2] = colour.2
                }
            }
        }
        var image = RGBImage(width: width, height: height, pixels: pixels)
        for _ in 0..<6 {  // panels
            let w = random.int(width / 6...width / 2), h = random.int(height / 6...height / 2)
            let x = random.int(0...width - w), y = random.int(0...height - h)
            fill(&image, x: x, y: y, w: w, h: h, RGB(UInt8(random.int(20...235)), UInt8(random.int(20...235)), UInt8(random.int(20...235))))
            fill(&image, x: x, y: y + h / 3, w: w, h: max(2, h / 10), RGB(235, 235, 235))  // highlight band
            fill(&image, x: x, y: y, w: max(2, width / 400), h: h, RGB(15, 15, 15))  // panel gap
        }
        for _ in 0..<40 {  // details: badges, handles, lettering
            let w = random.int(4...max(5, width / 30)), h = random.int(4...max(5, height / 30))
            let value = UInt8(random.int(0...1) * 230 + 10)
            fill(&image, x: random.int(0...width - w), y: random.int(0...height - h), w: w, h: h, RGB(value, value, value))
        }
        image.pixels.withUnsafeMutableBufferPointer { p in
            for i in 0..<p.count {
                let noise = Int(random.next() % 13) - 6
                p[i] = UInt8(clamping: Int(p[i]) + noise)
            }
        }
        return image
    }

    /// Quadrants of four distinct colours (red top-left, green top-right, blue bottom-left, white
    /// bottom-right): any wrong turn or mirror shows.
    public static func quadrants(width: Int, height: Int) -> RGBImage {
        var image = RGBImage(width: width, height: height, fill: RGB(0, 0, 0))
        fill(&image, x: 0, y: 0, w: width / 2, h: height / 2, RGB(220, 20, 20))
        fill(&image, x: width / 2, y: 0, w: width - width / 2, h: height / 2, RGB(20, 200, 20))
        fill(&image, x: 0, y: height / 2, w: width / 2, h: height - height / 2, RGB(20, 20, 220))
        fill(&image, x: width / 2, y: height / 2, w: width - width / 2, h: height - height / 2, RGB(240, 240, 240))
        return image
    }

    public static func fill(_ image: inout RGBImage, x: Int, y: Int, w: Int, h: Int, _ colour: RGB) {
        let width = image.width
        let x1 = min(image.width, x + w), y1 = min(image.height, y + h)
        guard x1 > max(0, x), y1 > max(0, y) else { return }
        image.pixels.withUnsafeMutableBufferPointer { p in
            for row in max(0, y)..<y1 {
                for column in max(0, x)..<x1 {
                    let i = (row * width + column) * 3
                    p[i] = colour.red
                    p[i + 1] = colour.green
                    p[i + 2] = colour.blue
                }
            }
        }
    }

    /// The same scene out of focus: shrunk `factor` times and enlarged back.
    public static func blurred(_ image: RGBImage, factor: Int) -> RGBImage {
        image.resized(width: max(1, image.width / factor), height: max(1, image.height / factor)).resized(width: image.width, height: image.height)
    }

    /// Every channel value `v` becomes `v × gain + offset`, clipped.
    public static func exposed(_ image: RGBImage, gain: Double, offset: Double = 0) -> RGBImage {
        var copy = image
        let table = (0..<256).map { UInt8(clamping: Int((Double($0) * gain + offset).rounded())) }
        copy.pixels.withUnsafeMutableBufferPointer { p in
            for i in 0..<p.count { p[i] = table[Int(p[i])] }
        }
        return copy
    }

    /// A JPEG of `image`, with an EXIF orientation tag when given.
    public static func jpeg(_ image: RGBImage, quality: Int = 90, orientation: Orientation? = nil) throws -> [UInt8] {
        let jpeg = try JPEGCodec.encode(image, quality: quality)
        guard let orientation else { return jpeg }
        let app1 = [UInt8]("Exif".utf8) + [0, 0] + exifOrientation(orientation)
        let length = app1.count + 2
        return Array(jpeg[0..<2]) + [0xFF, 0xE1, UInt8(length >> 8), UInt8(length & 0xFF)] + app1 + Array(jpeg[2...])
    }

    /// A TIFF block (big-endian) with IFD0 holding only the orientation tag.
    public static func exifOrientation(_ orientation: Orientation) -> [UInt8] {
        let header: [UInt8] = [0x4D, 0x4D, 0x00, 0x2A, 0x00, 0x00, 0x00, 0x08, 0x00, 0x01]
        let entry: [UInt8] = [0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, UInt8(orientation.rawValue), 0x00, 0x00]
        let next: [UInt8] = [0x00, 0x00, 0x00, 0x00]
        return header + entry + next
    }

    /// A TIFF block (little-endian, as phones write it) whose IFD0 points to an Exif directory
    /// holding DateTimeOriginal (`YYYY:MM:DD HH:MM:SS`) and, when given, OffsetTimeOriginal (`±HH:MM`).
    public static func exifCaptureTime(_ taken: String, offset: String? = nil) -> [UInt8] {
        func u16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
        func u32(_ v: Int) -> [UInt8] { u16(v & 0xFFFF) + u16(v >> 16) }
        let entries = offset == nil ? 1 : 2
        // Header (8), IFD0 with one entry (2 + 12 + 4), then the Exif IFD, then its values.
        let exifIFD = 8 + 18
        let values = exifIFD + 2 + 12 * entries + 4
        var tiff: [UInt8] = [0x49, 0x49] + u16(42) + u32(8)
        tiff += u16(1) + u16(0x8769) + u16(4) + u32(1) + u32(exifIFD) + u32(0)
        tiff += u16(entries) + u16(0x9003) + u16(2) + u32(20) + u32(values)
        if let offset { tiff += u16(0x9011) + u16(2) + u32(7) + u32(values + 20) }
        tiff += u32(0)
        tiff += Array(taken.utf8) + [0]
        if let offset { tiff += Array(offset.utf8) + [0] }
        return tiff
    }

    /// `jpeg` with an APP1 EXIF segment holding `tiff`.
    public static func withEXIF(_ jpeg: [UInt8], tiff: [UInt8]) -> [UInt8] {
        let app1 = [UInt8]("Exif".utf8) + [0, 0] + tiff
        let length = app1.count + 2
        return Array(jpeg[0..<2]) + [0xFF, 0xE1, UInt8(length >> 8), UInt8(length & 0xFF)] + app1 + Array(jpeg[2...])
    }

    /// A photo the service accepts: a `width` × `height` scene of `seed` as a JPEG.
    public static func acceptableJPEG(width: Int = 1024, height: Int = 768, seed: UInt64 = 0, orientation: Orientation? = nil) -> [UInt8] {
        let upright = scene(width: width, height: height, seed: seed)
        let stored = orientation.map { upright.storedForm(for: $0) } ?? upright
        return try! jpeg(stored, orientation: orientation)
    }
}

/// Writes PNG files directly (uncompressed deflate blocks), so tests control every header field:
/// bit depth, colour type, an eXIf chunk, a size the data does not have.
public enum PNGWriter {
    public enum ColourType: UInt8 {
        case grey = 0
        case rgb = 2
        case rgba = 6

        var channels: Int {
            switch self {
            case .grey: 1
            case .rgb: 3
            case .rgba: 4
            }
        }
    }

    /// A PNG of `image` as 8- or 16-bit grey, RGB or RGBA (alpha opaque).
    public static func png(_ image: RGBImage, colourType: ColourType = .rgb, bitDepth: Int = 8, orientation: Orientation? = nil) -> [UInt8] {
        let grey = image.grey()
        var raw: [UInt8] = []
        raw.reserveCapacity(image.height * (1 + image.width * colourType.channels * bitDepth / 8))
        for y in 0..<image.height {
            raw.append(0)  // filter: none
            for x in 0..<image.width {
                let pixel = image[x, y]
                let luma = grey[x, y]
                let samples: [UInt8] =
                    switch colourType {
                    case .grey: [luma]
                    case .rgb: [pixel.red, pixel.green, pixel.blue]
                    case .rgba: [pixel.red, pixel.green, pixel.blue, 255]
                    }
                for sample in samples {
                    raw.append(sample)
                    if bitDepth == 16 { raw.append(sample) }  // v × 257: the same intensity in 16 bits
                }
            }
        }
        return file(width: image.width, height: image.height, bitDepth: bitDepth, colourType: colourType.rawValue, raw: raw, orientation: orientation)
    }

    /// A PNG whose IHDR says `width` × `height` and whose image data is `raw` (filter bytes included).
    public static func file(width: Int, height: Int, bitDepth: Int, colourType: UInt8, raw: [UInt8], orientation: Orientation? = nil) -> [UInt8] {
        var out: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        out += chunk("IHDR", be32(width) + be32(height) + [UInt8(bitDepth), colourType, 0, 0, 0])
        if let orientation { out += chunk("eXIf", SyntheticPhoto.exifOrientation(orientation)) }
        out += chunk("IDAT", zlibStored(raw))
        out += chunk("IEND", [])
        return out
    }

    static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let body = Array(type.utf8) + data
        return be32(data.count) + body + be32(Int(crc32(body)))
    }

    static func zlibStored(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]
        var offset = 0
        repeat {
            let count = min(65535, data.count - offset)
            let final: UInt8 = offset + count == data.count ? 1 : 0
            out += [final, UInt8(count & 0xFF), UInt8(count >> 8), UInt8(~count & 0xFF), UInt8((~count >> 8) & 0xFF)]
            out += data[offset..<offset + count]
            offset += count
        } while offset < data.count
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in data {
            a = (a + UInt32(byte)) % 65521
            b = (b + a) % 65521
        }
        return out + be32(Int(b << 16 | a))
    }

    public static func be32(_ value: Int) -> [UInt8] { [24, 16, 8, 0].map { UInt8((value >> $0) & 0xFF) } }

    static let crcTable: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 == 1 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    public static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = crcTable[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return ~crc
    }
}
