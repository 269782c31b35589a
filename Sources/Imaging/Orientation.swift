/// The EXIF orientation tag: how the stored pixels must be turned to show the photo upright.
///
/// Cameras store the sensor's rows as they came and write this tag instead of rotating pixels.
/// Every coordinate Walkaround keeps (detections, crops) is in the upright frame.
public enum Orientation: Int, Sendable, CaseIterable, Codable {
    case up = 1
    case mirrored = 2
    case upsideDown = 3
    case flipped = 4
    /// Mirrored across the top-left to bottom-right diagonal.
    case transposed = 5
    /// Stored lying on its left side: turn 90° clockwise.
    case rotatedClockwise = 6
    /// Mirrored across the other diagonal.
    case transversed = 7
    /// Stored lying on its right side: turn 90° counter-clockwise.
    case rotatedCounterClockwise = 8

    /// Whether width and height trade places when the photo is turned upright.
    public var swapsAxes: Bool { rawValue >= 5 }

    /// The upright size of a stored image of `width` × `height`.
    public func uprightSize(width: Int, height: Int) -> (width: Int, height: Int) {
        swapsAxes ? (height, width) : (width, height)
    }

    /// The stored pixel shown at upright position (`x`, `y`), for a stored image of `width` × `height`.
    @inline(__always)
    func storedPosition(x: Int, y: Int, width: Int, height: Int) -> (x: Int, y: Int) {
        switch self {
        case .up: (x, y)
        case .mirrored: (width - 1 - x, y)
        case .upsideDown: (width - 1 - x, height - 1 - y)
        case .flipped: (x, height - 1 - y)
        case .transposed: (y, x)
        case .rotatedClockwise: (y, height - 1 - x)
        case .transversed: (width - 1 - y, height - 1 - x)
        case .rotatedCounterClockwise: (width - 1 - y, x)
        }
    }
}

extension RGBImage {
    /// This stored image turned upright.
    public func applying(_ orientation: Orientation) -> RGBImage {
        if orientation == .up { return self }
        let (outWidth, outHeight) = orientation.uprightSize(width: width, height: height)
        var out = [UInt8](repeating: 0, count: pixels.count)
        let width = self.width, height = self.height
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                var index = 0
                for y in 0..<outHeight {
                    for x in 0..<outWidth {
                        let (sx, sy) = orientation.storedPosition(x: x, y: y, width: width, height: height)
                        let from = (sy * width + sx) * 3
                        dst[index] = src[from]
                        dst[index + 1] = src[from + 1]
                        dst[index + 2] = src[from + 2]
                        index += 3
                    }
                }
            }
        }
        return RGBImage(width: outWidth, height: outHeight, pixels: out)
    }

    /// The inverse of `applying(_:)`: the stored image a camera would write for this upright one.
    /// Used to make test photos for every orientation.
    public func storedForm(for orientation: Orientation) -> RGBImage {
        let inverse: Orientation =
            switch orientation {
            case .rotatedClockwise: .rotatedCounterClockwise
            case .rotatedCounterClockwise: .rotatedClockwise
            default: orientation  // the others are their own inverse
            }
        return applying(inverse)
    }
}

/// What Walkaround reads from an EXIF block (the TIFF structure after `Exif\0\0`): the
/// orientation tag and when the photo was taken. Every offset and count in it is hostile.
struct EXIF: Equatable {
    var orientation: Orientation?
    /// DateTimeOriginal (with OffsetTimeOriginal when the camera wrote one), as ISO 8601.
    var capturedAt: String?

    /// The most IFD entries read from one directory.
    static let maxEntries = 512

    init(orientation: Orientation? = nil, capturedAt: String? = nil) {
        self.orientation = orientation
        self.capturedAt = capturedAt
    }

    init(tiff bytes: ArraySlice<UInt8>) {
        let base = bytes.startIndex
        guard bytes.count >= 8 else { return }
        let littleEndian: Bool
        switch (bytes[base], bytes[base + 1]) {
        case (0x49, 0x49): littleEndian = true
        case (0x4D, 0x4D): littleEndian = false
        default: return
        }
        func read16(_ offset: Int) -> Int? {
            guard offset >= 0, offset <= bytes.count - 2 else { return nil }
            let a = Int(bytes[base + offset]), b = Int(bytes[base + offset + 1])
            return littleEndian ? a | b << 8 : a << 8 | b
        }
        func read32(_ offset: Int) -> Int? {
            guard offset >= 0, offset <= bytes.count - 4, let low = read16(littleEndian ? offset : offset + 2),
                let high = read16(littleEndian ? offset + 2 : offset)
            else { return nil }
            return high << 16 | low
        }
        /// The entries of the directory at `ifd`: tag → offset of the entry.
        func entries(at ifd: Int) -> [Int: Int] {
            guard let count = read16(ifd) else { return [:] }
            var found: [Int: Int] = [:]
            for entry in 0..<min(count, Self.maxEntries) {
                let offset = ifd + 2 + entry * 12
                guard let tag = read16(offset) else { break }
                found[tag] = found[tag] ?? offset
            }
            return found
        }
        /// An ASCII value (type 2) of at most `limit` bytes, without its terminating NUL.
        func ascii(_ entry: Int, limit: Int) -> String? {
            guard read16(entry + 2) == 2, let count = read32(entry + 4), count >= 1, count <= limit else { return nil }
            let start = count <= 4 ? entry + 8 : read32(entry + 8)
            guard let start, start >= 0, start <= bytes.count - count else { return nil }
            let text = bytes[(base + start)..<(base + start + count)].prefix { $0 != 0 }
            guard text.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else { return nil }
            return String(decoding: text, as: UTF8.self)
        }
        guard read16(2) == 42, let first = read32(4) else { return }
        let top = entries(at: first)
        if let entry = top[0x0112], read16(entry + 2) == 3, let value = read16(entry + 8) {
            orientation = Orientation(rawValue: value)
        }
        // The Exif sub-directory (tag 0x8769) holds DateTimeOriginal (0x9003) and OffsetTimeOriginal (0x9011).
        if let pointer = top[0x8769], let sub = read32(pointer + 8), sub != first {
            let exif = entries(at: sub)
            if let entry = exif[0x9003], let taken = ascii(entry, limit: 32) {
                capturedAt = Self.isoDate(taken, offset: exif[0x9011].flatMap { ascii($0, limit: 16) })
            }
        }
    }

    /// `YYYY:MM:DD HH:MM:SS` (and `±HH:MM`) as ISO 8601, or nil when it is not a plausible time
    /// (a camera with an unset clock writes zeros or spaces).
    static func isoDate(_ text: String, offset: String?) -> String? {
        let parts = text.split(whereSeparator: { $0 == ":" || $0 == " " }).map(String.init)
        guard text.count == 19, parts.count == 6, parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
            let hour = Int(parts[3]), let minute = Int(parts[4]), let second = Int(parts[5]),
            (1990...2200).contains(year), (1...12).contains(month), (1...31).contains(day),
            (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second)
        else { return nil }
        var iso = "\(parts[0])-\(parts[1])-\(parts[2])T\(parts[3]):\(parts[4]):\(parts[5])"
        if let offset, offset.count == 6, let sign = offset.first, sign == "+" || sign == "-",
            let hours = Int(offset.dropFirst().prefix(2)), let minutes = Int(offset.suffix(2)),
            offset.dropFirst(3).first == ":", (0...14).contains(hours), (0...59).contains(minutes)
        {
            iso += offset
        }
        return iso
    }
}
