import WalkaroundCore

/// What an image file's header declares, read without decoding any pixels.
public struct ImageHeader: Sendable, Equatable {
    public var format: ImageFormat
    public var width: Int
    public var height: Int
    /// Colour components per pixel (1 grey, 3 colour, 4 CMYK or RGBA).
    public var components: Int
    /// The EXIF orientation tag (JPEG APP1, PNG eXIf); `.up` when there is none.
    public var orientation: Orientation
    /// A JPEG with an Adobe APP14 marker: its CMYK values are stored inverted, as Photoshop writes them.
    public var adobeMarker: Bool
    /// When the camera says it took the photo (EXIF DateTimeOriginal, ISO 8601, with the
    /// camera's UTC offset when it wrote one); nil when the file does not say.
    public var capturedAt: String?

    public init(
        format: ImageFormat, width: Int, height: Int, components: Int, orientation: Orientation = .up, adobeMarker: Bool = false,
        capturedAt: String? = nil
    ) {
        self.capturedAt = capturedAt
        self.format = format
        self.width = width
        self.height = height
        self.components = components
        self.orientation = orientation
        self.adobeMarker = adobeMarker
    }

    /// The size of the photo turned upright.
    public var uprightSize: (width: Int, height: Int) { orientation.uprightSize(width: width, height: height) }
    /// Width × height; `Int.max` when the product would overflow (a forged header), so a limit
    /// check on it refuses the file instead of trapping.
    public var pixelCount: Int {
        let (product, overflow) = width.multipliedReportingOverflow(by: height)
        return overflow || width < 0 || height < 0 ? Int.max : product
    }

    /// PNG's own limit on either side (the specification's 2³¹ − 1).
    public static let maxPNGSide = Int(Int32.max)

    /// Reads the header of a JPEG (the first start-of-frame marker) or a PNG (the IHDR chunk).
    public static func read(_ bytes: [UInt8]) throws(ImageHeaderError) -> ImageHeader {
        switch ImageFormat(sniffing: bytes) {
        case .jpeg: try readJPEG(bytes)
        case .png: try readPNG(bytes)
        case nil: throw .notAnImage
        }
    }

    private static func readPNG(_ bytes: [UInt8]) throws(ImageHeaderError) -> ImageHeader {
        // Signature (8), IHDR length (4), "IHDR" (4), width (4), height (4), bit depth, colour type.
        guard bytes.count >= 26, bytes[12..<16].elementsEqual("IHDR".utf8) else {
            throw .corrupt("PNG has no IHDR chunk")
        }
        let width = Int(bigEndian32(bytes, at: 16))
        let height = Int(bigEndian32(bytes, at: 20))
        let components: Int
        switch bytes[25] {
        case 0: components = 1
        case 2: components = 3
        case 3: components = 3
        case 4: components = 2
        case 6: components = 4
        default: throw .corrupt("PNG colour type \(bytes[25]) is not valid")
        }
        guard width > 0, height > 0 else { throw .corrupt("PNG declares a zero dimension") }
        guard width <= maxPNGSide, height <= maxPNGSide else { throw .corrupt("PNG declares \(width)×\(height), beyond the format's limit") }
        let exif = pngEXIF(bytes)
        return ImageHeader(
            format: .png, width: width, height: height, components: components, orientation: exif.orientation ?? .up, capturedAt: exif.capturedAt
        )
    }

    /// What an eXIf chunk before the image data says, if there is one.
    private static func pngEXIF(_ bytes: [UInt8]) -> EXIF {
        var offset = 8
        while offset + 8 <= bytes.count {
            let length = Int(bigEndian32(bytes, at: offset))
            let type = bytes[offset + 4..<offset + 8]
            if type.elementsEqual("IDAT".utf8) || type.elementsEqual("IEND".utf8) { break }
            // A chunk longer than what is left ends the walk (the length is at most 2³² − 1, so no overflow on 64 bits).
            guard length <= bytes.count - offset - 8 else { break }
            let end = offset + 8 + length
            if type.elementsEqual("eXIf".utf8) {
                return EXIF(tiff: bytes[offset + 8..<end])
            }
            offset = end + 4  // the CRC
        }
        return EXIF()
    }

    private static func readJPEG(_ bytes: [UInt8]) throws(ImageHeaderError) -> ImageHeader {
        var orientation = Orientation.up
        var capturedAt: String?
        var adobe = false
        var offset = 2
        while offset + 4 <= bytes.count {
            guard bytes[offset] == 0xFF else { throw .corrupt("JPEG marker expected at byte \(offset)") }
            let marker = bytes[offset + 1]
            if marker == 0xFF {  // fill byte before a marker
                offset += 1
                continue
            }
            if marker == 0xD8 || (0xD0...0xD7).contains(marker) || marker == 0x01 {  // markers without a length
                offset += 2
                continue
            }
            if marker == 0xD9 || marker == 0xDA {
                throw .corrupt("JPEG has no frame header before its image data")
            }
            let length = Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
            guard length >= 2 else { throw .corrupt("JPEG segment length \(length) is not valid") }
            let payload = bytes[min(offset + 4, bytes.count)..<min(offset + 2 + length, bytes.count)]
            if marker == 0xE1, payload.starts(with: exifSignature) {
                let exif = EXIF(tiff: payload.dropFirst(exifSignature.count))
                orientation = exif.orientation ?? orientation
                capturedAt = exif.capturedAt ?? capturedAt
            } else if marker == 0xEE, payload.starts(with: "Adobe".utf8) {
                adobe = true
            }
            if isStartOfFrame(marker) {
                guard offset + 10 <= bytes.count else { break }
                let height = Int(bytes[offset + 5]) << 8 | Int(bytes[offset + 6])
                let width = Int(bytes[offset + 7]) << 8 | Int(bytes[offset + 8])
                let components = Int(bytes[offset + 9])
                guard width > 0, height > 0 else { throw .corrupt("JPEG declares a zero dimension") }
                return ImageHeader(
                    format: .jpeg, width: width, height: height, components: components, orientation: orientation, adobeMarker: adobe,
                    capturedAt: capturedAt
                )
            }
            offset += 2 + length
        }
        throw .corrupt("JPEG ends before its frame header")
    }

    private static let exifSignature: [UInt8] = Array("Exif".utf8) + [0, 0]

    /// SOF0–SOF15, excluding DHT (C4), JPG (C8) and DAC (CC), which share the range.
    private static func isStartOfFrame(_ marker: UInt8) -> Bool {
        (0xC0...0xCF).contains(marker) && marker != 0xC4 && marker != 0xC8 && marker != 0xCC
    }

    private static func bigEndian32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        bytes[offset..<offset + 4].reduce(0) { $0 << 8 | UInt32($1) }
    }
}

/// Why a header could not be read.
public enum ImageHeaderError: Error, Equatable, CustomStringConvertible {
    case notAnImage
    case corrupt(String)

    public var description: String {
        switch self {
        case .notAnImage: "not a JPEG or PNG file"
        case .corrupt(let reason): "corrupt image: \(reason)"
        }
    }
}
