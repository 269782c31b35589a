import Imaging
import WalkaroundCore

/// Generated hostile and odd image files, the same ones every run (seeded): headers with extreme
/// and overflowing dimensions and chunk or segment lengths, truncations at every marker, bit flips,
/// decompression bombs, EXIF with absurd offsets, CMYK, progressive and arithmetic-coded JPEGs,
/// 1 × 1 and 65500 × 1 images. Each file is something a station's upload could contain.
public enum BadInputCorpus {
    public struct Case: Sendable {
        public var name: String
        public var bytes: [UInt8]
        public var contentType: String
    }

    public static func cases() -> [Case] {
        var cases: [Case] = []
        func png(_ name: String, _ bytes: [UInt8]) { cases.append(Case(name: "png-" + name, bytes: bytes, contentType: "image/png")) }
        func jpeg(_ name: String, _ bytes: [UInt8]) { cases.append(Case(name: "jpeg-" + name, bytes: bytes, contentType: "image/jpeg")) }

        // PNG headers: every pairing of extreme sides, with a little real image data.
        let sides = [0, 1, 65_500, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF]
        for width in sides {
            for height in sides {
                png("ihdr-\(width)x\(height)", PNGWriter.file(width: width, height: height, bitDepth: 8, colourType: 2, raw: [0, 1, 2, 3]))
            }
        }
        for (depth, colour) in [(3, 2), (16, 3), (1, 2), (8, 5), (8, 7), (255, 255), (0, 0)] {
            png("ihdr-depth\(depth)-colour\(colour)", PNGWriter.file(width: 4, height: 4, bitDepth: depth, colourType: UInt8(colour), raw: [UInt8](repeating: 0, count: 52)))
        }
        let small = PNGWriter.png(SyntheticPhoto.scene(width: 48, height: 32, seed: 7))
        // Chunk lengths: the IDAT's length field set to extremes.
        let idatLength = 8 + 25
        for length in [0, 1, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, small.count] {
            var bytes = small
            bytes.replaceSubrange(idatLength..<idatLength + 4, with: PNGWriter.be32(length))
            png("idat-length-\(length)", bytes)
        }
        // Truncated at every chunk boundary and inside each chunk.
        for cut in [8, 12, 16, 20, 24, 29, 33, 37, 41, 60, small.count / 2, small.count - 12, small.count - 1] where cut < small.count {
            png("truncated-\(cut)", Array(small[0..<cut]))
        }
        // Bit flips anywhere in a valid file.
        var random = SeededRandom(seed: 0x5EED)
        for index in 0..<40 {
            var bytes = small
            for _ in 0...random.int(0...3) { bytes[random.int(8...(bytes.count - 1))] ^= UInt8(1 << random.int(0...7)) }
            png("bitflip-\(index)", bytes)
        }
        // Decompression bombs: small files that declare (and inflate to) huge images.
        png("bomb-10000x10000", FlatPNG.png(width: 10_000, height: 10_000))
        png("bomb-7100x7100-rgb", FlatPNG.png(width: 7_100, height: 7_100, value: 200, colourType: .rgb))
        png("bomb-at-limit-7000x7000", FlatPNG.png(width: 7_000, height: 7_000, value: 90))
        png("bomb-65500x700", FlatPNG.png(width: 65_500, height: 700))
        // An eXIf chunk with absurd offsets and counts.
        for (index, tiff) in absurdEXIF.enumerated() {
            var bytes = small
            bytes.insert(contentsOf: PNGWriter.chunk("eXIf", tiff), at: idatLength)
            png("exif-\(index)", bytes)
        }
        png("1x1", PNGWriter.png(RGBImage(width: 1, height: 1, fill: RGB(10, 20, 30))))
        png("65500x1", FlatPNG.png(width: 65_500, height: 1, value: 128, colourType: .rgb))
        png("1x65500", FlatPNG.png(width: 1, height: 65_500, value: 128, colourType: .rgb))
        png("16bit-grey", PNGWriter.png(SyntheticPhoto.scene(width: 40, height: 30, seed: 3), colourType: .grey, bitDepth: 16))
        png("signature-only", Array(small[0..<8]))

        // JPEG frame headers with extreme sides.
        let base = SyntheticPhoto.acceptableJPEG(width: 64, height: 48, seed: 11)
        let sof = frameHeaderOffset(base)
        for (width, height) in [(0, 0), (0, 48), (64, 0), (65_535, 65_535), (65_500, 1), (1, 65_500), (1, 1), (65_535, 1), (8, 8)] {
            var bytes = base
            bytes.replaceSubrange(sof + 5..<sof + 9, with: [UInt8(height >> 8), UInt8(height & 0xFF), UInt8(width >> 8), UInt8(width & 0xFF)])
            jpeg("sof-\(width)x\(height)", bytes)
        }
        for components in [0, 2, 5, 255] {
            var bytes = base
            bytes[sof + 9] = UInt8(components)
            jpeg("sof-components-\(components)", bytes)
        }
        // Segment lengths: the first segment after SOI set to 0, 1, 2 and 65535.
        for length in [0, 1, 2, 0xFFFF] {
            var bytes = base
            bytes.replaceSubrange(4..<6, with: [UInt8(length >> 8), UInt8(length & 0xFF)])
            jpeg("segment-length-\(length)", bytes)
        }
        // Truncated at every marker, and just after it.
        for offset in markerOffsets(base) {
            jpeg("truncated-at-\(offset)", Array(base[0..<offset]))
            if offset + 3 < base.count { jpeg("truncated-after-\(offset)", Array(base[0..<offset + 3])) }
        }
        for index in 0..<40 {
            var bytes = base
            for _ in 0...random.int(0...3) { bytes[random.int(2...(bytes.count - 1))] ^= UInt8(1 << random.int(0...7)) }
            jpeg("bitflip-\(index)", bytes)
        }
        for (index, tiff) in absurdEXIF.enumerated() {
            let app1 = Array("Exif".utf8) + [0, 0] + tiff
            jpeg("exif-\(index)", Array(base[0..<2]) + [0xFF, 0xE1, UInt8((app1.count + 2) >> 8), UInt8((app1.count + 2) & 0xFF)] + app1 + Array(base[2...]))
        }
        let cmykPixels = (0..<(32 * 24 * 4)).map { UInt8(truncatingIfNeeded: $0 &* 37) }
        if let cmyk = try? JPEGCodec.encode(pixels: cmykPixels, width: 32, height: 24, layout: .cmyk) {
            jpeg("cmyk", cmyk)
            jpeg("cmyk-adobe", Array(cmyk[0..<2]) + [0xFF, 0xEE, 0x00, 0x0E] + Array("Adobe".utf8) + [0, 100, 0, 0, 0, 0, 2] + Array(cmyk[2...]))
        }
        if let progressive = try? JPEGCodec.encode(SyntheticPhoto.scene(width: 96, height: 64, seed: 5), progressive: true) {
            jpeg("progressive", progressive)
            jpeg("progressive-truncated", Array(progressive[0..<(progressive.count * 2 / 3)]))
        }
        // Arithmetic coding and other frame types: the SOF marker rewritten (SOF9 arithmetic, SOF3 lossless, SOF5 hierarchical).
        for marker in [0xC9, 0xCA, 0xC3, 0xC5, 0xC7, 0xCB, 0xCD, 0xCF] as [UInt8] {
            var bytes = base
            bytes[sof + 1] = marker
            jpeg("sof-marker-\(String(marker, radix: 16))", bytes)
        }
        jpeg("1x1", (try? JPEGCodec.encode(RGBImage(width: 1, height: 1, fill: RGB(200, 10, 10)))) ?? [])
        jpeg("65500x1", (try? JPEGCodec.encode(RGBImage(width: 65_500, height: 1, fill: RGB(90, 90, 90)))) ?? [])
        jpeg("grey", (try? JPEGCodec.encode(pixels: [UInt8](repeating: 100, count: 64 * 64), width: 64, height: 64, layout: .grey)) ?? [])
        jpeg("soi-only", [0xFF, 0xD8])
        jpeg("soi-eoi", [0xFF, 0xD8, 0xFF, 0xD9])
        jpeg("fill-bytes", [0xFF, 0xD8] + [UInt8](repeating: 0xFF, count: 5000))
        jpeg("endless-segments", [0xFF, 0xD8] + (0..<2000).flatMap { _ in [0xFF, 0xFE, 0x00, 0x02] as [UInt8] })
        return cases
    }

    /// TIFF blocks whose IFD offset, entry count or value type are absurd.
    static let absurdEXIF: [[UInt8]] = [
        [0x4D, 0x4D, 0x00, 0x2A, 0xFF, 0xFF, 0xFF, 0xFF],  // IFD at 4 GiB
        [0x49, 0x49, 0x2A, 0x00, 0x08, 0x00, 0x00, 0x00, 0xFF, 0xFF],  // 65535 entries, none there
        [0x4D, 0x4D, 0x00, 0x2A, 0x00, 0x00, 0x00, 0x08, 0x00, 0x01, 0x01, 0x12, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x09],  // type and count 0xFFFF…
        [0x4D, 0x4D, 0x00, 0x2A, 0x00, 0x00, 0x00, 0x08, 0x00, 0x01, 0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x63],  // orientation 99
        [0x4D, 0x4D, 0x00, 0x2A, 0x80, 0x00, 0x00, 0x00],  // IFD at 2 GiB
        [0x4D, 0x4D],
    ]

    /// Where a JPEG's first frame header (SOF) starts.
    static func frameHeaderOffset(_ bytes: [UInt8]) -> Int {
        var offset = 2
        while offset + 4 <= bytes.count {
            let marker = bytes[offset + 1]
            if (0xC0...0xCF).contains(marker) && ![0xC4, 0xC8, 0xCC].contains(marker) { return offset }
            offset += 2 + (Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3]))
        }
        return 2
    }

    /// The offsets of the markers before the entropy-coded data, and of the end marker.
    static func markerOffsets(_ bytes: [UInt8]) -> [Int] {
        var offsets: [Int] = [2]
        var offset = 2
        while offset + 4 <= bytes.count, bytes[offset] == 0xFF {
            let marker = bytes[offset + 1]
            offset += 2 + (Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3]))
            offsets.append(offset)
            if marker == 0xDA { break }
        }
        return offsets + [bytes.count / 2, bytes.count - 2]
    }
}
