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

/// Reads the orientation tag from an EXIF block (the TIFF structure after `Exif\0\0`).
enum EXIF {
    static func orientation(tiff bytes: ArraySlice<UInt8>) -> Orientation? {
        let base = bytes.startIndex
        guard bytes.count >= 8 else { return nil }
        let littleEndian: Bool
        switch (bytes[base], bytes[base + 1]) {
        case (0x49, 0x49): littleEndian = true
        case (0x4D, 0x4D): littleEndian = false
        default: return nil
        }
        func read16(_ offset: Int) -> Int? {
            guard offset >= 0, offset + 2 <= bytes.count else { return nil }
            let a = Int(bytes[base + offset]), b = Int(bytes[base + offset + 1])
            return littleEndian ? a | b << 8 : a << 8 | b
        }
        func read32(_ offset: Int) -> Int? {
            guard let low = read16(littleEndian ? offset : offset + 2), let high = read16(littleEndian ? offset + 2 : offset) else { return nil }
            return high << 16 | low
        }
        guard read16(2) == 42, let ifd = read32(4), let count = read16(ifd) else { return nil }
        for entry in 0..<min(count, 512) {
            let offset = ifd + 2 + entry * 12
            guard let tag = read16(offset) else { return nil }
            if tag == 0x0112 {
                guard read16(offset + 2) == 3, let value = read16(offset + 8) else { return nil }
                return Orientation(rawValue: value)
            }
        }
        return nil
    }
}
