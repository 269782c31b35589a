import CTurboJPEG
import PNGRows

/// Why a photo could not be decoded. Each case is final: retrying the same bytes gives the same answer.
public enum ImageDecodingError: Error, Equatable, CustomStringConvertible {
    case notAnImage
    /// The header declares more pixels than the configured limit (a decompression bomb, or simply too big).
    case tooManyPixels(width: Int, height: Int, limit: Int)
    /// Truncated or damaged data, or a header the decoder refuses.
    case corrupt(String)

    public var description: String {
        switch self {
        case .notAnImage: "not a JPEG or PNG file"
        case .tooManyPixels(let width, let height, let limit): "the image declares \(width)×\(height) pixels, more than the limit of \(limit)"
        case .corrupt(let reason): "the image is damaged or incomplete: \(reason)"
        }
    }
}

/// JPEG decoding and encoding with libjpeg-turbo's TurboJPEG API.
public enum JPEGCodec {
    /// Decodes `bytes` to RGB at the smallest DCT scale (1/8 steps, at most 1) whose longer side is
    /// still at least `cover` pixels; full size when `cover` is nil. CMYK/YCCK files are converted
    /// to RGB (inverted when the Adobe marker says so). Any libjpeg warning (a truncated file, corrupt
    /// data) fails the decode: a photo with grey blocks must not pass as evidence.
    public static func decode(_ bytes: [UInt8], header: ImageHeader, cover: Int?) throws(ImageDecodingError) -> RGBImage {
        guard let handle = tjInitDecompress() else { throw .corrupt("the JPEG decoder could not start") }
        defer { tjDestroy(handle) }
        var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
        let headerStatus = bytes.withUnsafeBufferPointer {
            tjDecompressHeader3(handle, $0.baseAddress, UInt($0.count), &width, &height, &subsampling, &colorspace)
        }
        guard headerStatus == 0 else { throw .corrupt(errorMessage(handle)) }
        // The pixel limit was checked on `header`; libjpeg must see the same frame, or that check meant nothing.
        guard Int(width) == header.width, Int(height) == header.height else {
            throw .corrupt("the JPEG's frame is \(width)×\(height) to the decoder but \(header.width)×\(header.height) in its header")
        }
        let (scaledWidth, scaledHeight) = scaledSize(width: Int(width), height: Int(height), cover: cover)
        let cmyk = colorspace == Int32(TJCS_CMYK.rawValue) || colorspace == Int32(TJCS_YCCK.rawValue)
        let channels = cmyk ? 4 : 3
        let format = cmyk ? TJPF_CMYK : TJPF_RGB
        var pixels = [UInt8](repeating: 0, count: scaledWidth * scaledHeight * channels)
        let status = bytes.withUnsafeBufferPointer { src in
            pixels.withUnsafeMutableBufferPointer { dst in
                tjDecompress2(
                    handle, src.baseAddress, UInt(src.count), dst.baseAddress, Int32(scaledWidth), 0, Int32(scaledHeight),
                    Int32(format.rawValue), TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS
                )
            }
        }
        guard status == 0 else { throw .corrupt(errorMessage(handle)) }
        if cmyk {
            pixels = rgb(fromCMYK: pixels, inverted: header.adobeMarker)
        }
        return RGBImage(width: scaledWidth, height: scaledHeight, pixels: pixels)
    }

    /// The size TurboJPEG decodes to for the chosen scale.
    public static func scaledSize(width: Int, height: Int, cover: Int?) -> (width: Int, height: Int) {
        guard let cover else { return (width, height) }
        var count: Int32 = 0
        guard let factors = tjGetScalingFactors(&count) else { return (width, height) }
        var best = (width, height)
        for factor in UnsafeBufferPointer(start: factors, count: Int(count)) where factor.num <= factor.denom {
            let num = Int(factor.num), denom = Int(factor.denom)
            let scaled = ((width * num + denom - 1) / denom, (height * num + denom - 1) / denom)
            if max(scaled.0, scaled.1) >= cover, scaled.0 * scaled.1 < best.0 * best.1 { best = scaled }
        }
        return best
    }

    /// Pixel layouts the encoder accepts.
    public enum PixelLayout: Sendable {
        case rgb, grey, cmyk

        var channels: Int {
            switch self {
            case .rgb: 3
            case .grey: 1
            case .cmyk: 4
            }
        }
    }

    /// Encodes interleaved pixels as a baseline (or, with `progressive`, progressive) JPEG, 4:2:0 for colour.
    public static func encode(
        pixels: [UInt8], width: Int, height: Int, layout: PixelLayout = .rgb, quality: Int = 90, progressive: Bool = false
    ) throws -> [UInt8] {
        precondition(pixels.count == width * height * layout.channels, "pixel count does not match the size")
        guard let handle = tjInitCompress() else { throw ImageEncodingError("the JPEG encoder could not start") }
        defer { tjDestroy(handle) }
        let (format, subsampling): (TJPF, TJSAMP) =
            switch layout {
            case .rgb: (TJPF_RGB, TJSAMP_420)
            case .grey: (TJPF_GRAY, TJSAMP_GRAY)
            case .cmyk: (TJPF_CMYK, TJSAMP_444)
            }
        var output: UnsafeMutablePointer<UInt8>? = nil
        var size: UInt = 0
        let status = pixels.withUnsafeBufferPointer {
            tjCompress2(
                handle, $0.baseAddress, Int32(width), 0, Int32(height), Int32(format.rawValue), &output, &size,
                Int32(subsampling.rawValue), Int32(quality), progressive ? TJFLAG_PROGRESSIVE : 0
            )
        }
        defer { tjFree(output) }
        guard status == 0, let output else { throw ImageEncodingError(errorMessage(handle)) }
        return Array(UnsafeBufferPointer(start: output, count: Int(size)))
    }

    public static func encode(_ image: RGBImage, quality: Int = 90, progressive: Bool = false) throws -> [UInt8] {
        try encode(pixels: image.pixels, width: image.width, height: image.height, quality: quality, progressive: progressive)
    }

    private static func errorMessage(_ handle: tjhandle) -> String {
        guard let text = tjGetErrorStr2(handle) else { return "unknown libjpeg-turbo error" }
        return String(cString: text)
    }

    private static func rgb(fromCMYK cmyk: [UInt8], inverted: Bool) -> [UInt8] {
        let count = cmyk.count / 4
        var out = [UInt8](repeating: 0, count: count * 3)
        for index in 0..<count {
            var c = Int(cmyk[index * 4]), m = Int(cmyk[index * 4 + 1]), y = Int(cmyk[index * 4 + 2]), k = Int(cmyk[index * 4 + 3])
            if !inverted {
                c = 255 - c
                m = 255 - m
                y = 255 - y
                k = 255 - k
            }
            // With (inverted) values, R = (255 - C)(255 - K) / 255 becomes c·k / 255.
            out[index * 3] = UInt8((c * k + 127) / 255)
            out[index * 3 + 1] = UInt8((m * k + 127) / 255)
            out[index * 3 + 2] = UInt8((y * k + 127) / 255)
        }
        return out
    }
}

public struct ImageEncodingError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

/// PNG decoding row by row (libpng's low-level API through the `PNGRows` shim, which keeps its
/// longjmp inside C): 8-bit RGB out, palette, grey, 16-bit and alpha converted (alpha composited
/// on white). With `cover`, rows are averaged in k × k blocks as they are read (k the largest
/// whole factor that keeps the longer side at least `cover`), so a 7000 × 7000 thumbnail holds
/// one source row and one output row in flight, not 147 MB. Interlaced files cannot be read by
/// rows and are decoded whole, up to `interlacedPixelLimit`.
public enum PNGCodec {
    /// Interlaced PNGs (rare from cameras) over this many pixels are refused: they need the whole image in memory.
    public static let interlacedPixelLimit = 16_000_000

    public static func decode(_ bytes: [UInt8], cover: Int? = nil) throws(ImageDecodingError) -> RGBImage {
        let result: Result<RGBImage, ImageDecodingError> = bytes.withUnsafeBufferPointer { memory in
            var message = [CChar](repeating: 0, count: 256)
            guard let reader = wa_png_open(memory.baseAddress, memory.count, &message, message.count) else {
                return .failure(.corrupt(String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)))
            }
            defer { wa_png_close(reader) }
            let width = Int(wa_png_width(reader)), height = Int(wa_png_height(reader))
            guard width > 0, height > 0 else { return .failure(.corrupt("PNG declares a zero dimension")) }
            let factor = cover.map { max(1, max(width, height) / max(1, $0)) } ?? 1
            var reduction = BlockAverage(width: width, height: height, factor: factor)
            if wa_png_interlaced(reader) != 0 {
                guard width * height <= interlacedPixelLimit else {
                    return .failure(.tooManyPixels(width: width, height: height, limit: interlacedPixelLimit))
                }
                var pixels = [UInt8](repeating: 0, count: width * height * 4)
                guard pixels.withUnsafeMutableBufferPointer({ wa_png_read_image(reader, $0.baseAddress) }) == 0 else {
                    return .failure(.corrupt(String(cString: wa_png_error(reader))))
                }
                pixels.withUnsafeBufferPointer { all in
                    for y in 0..<height { reduction.add(UnsafeBufferPointer(rebasing: all[(y * width * 4)..<((y + 1) * width * 4)])) }
                }
            } else {
                var row = [UInt8](repeating: 0, count: width * 4)
                for _ in 0..<height {
                    let status = row.withUnsafeMutableBufferPointer { wa_png_read_row(reader, $0.baseAddress) }
                    guard status == 0 else { return .failure(.corrupt(String(cString: wa_png_error(reader)))) }
                    row.withUnsafeBufferPointer { reduction.add($0) }
                }
            }
            return .success(reduction.image)
        }
        return try result.get()
    }
}

/// Averages RGBA rows, composited on white, into k × k blocks of RGB as they arrive.
struct BlockAverage {
    let width: Int, height: Int, factor: Int
    let outWidth: Int, outHeight: Int
    private var sums: [UInt32]
    private var rowsInBlock = 0
    private var outRow = 0
    private(set) var pixels: [UInt8]

    init(width: Int, height: Int, factor: Int) {
        self.width = width
        self.height = height
        self.factor = factor
        outWidth = (width + factor - 1) / factor
        outHeight = (height + factor - 1) / factor
        sums = [UInt32](repeating: 0, count: outWidth * 3)
        pixels = [UInt8](repeating: 0, count: outWidth * outHeight * 3)
    }

    var image: RGBImage { RGBImage(width: outWidth, height: outHeight, pixels: pixels) }

    mutating func add(_ row: UnsafeBufferPointer<UInt8>) {
        let width = width, factor = factor
        sums.withUnsafeMutableBufferPointer { sums in
            for x in 0..<width {
                let alpha = UInt32(row[x * 4 + 3])
                let base = (x / factor) * 3
                for channel in 0..<3 {
                    let value = UInt32(row[x * 4 + channel])
                    // c·a + 255·(255 − a), over 255: the pixel over white.
                    sums[base + channel] += alpha == 255 ? value : (value * alpha + 255 * (255 - alpha) + 127) / 255
                }
            }
        }
        rowsInBlock += 1
        if rowsInBlock == factor || outRow * factor + rowsInBlock == height { emitRow() }
    }

    private mutating func emitRow() {
        let outWidth = outWidth, width = width, factor = factor, rows = UInt32(rowsInBlock), start = outRow * outWidth * 3
        sums.withUnsafeMutableBufferPointer { sums in
            pixels.withUnsafeMutableBufferPointer { out in
                for x in 0..<outWidth {
                    let count = UInt32(min(factor, width - x * factor)) * rows
                    for channel in 0..<3 {
                        out[start + x * 3 + channel] = UInt8((sums[x * 3 + channel] + count / 2) / count)
                        sums[x * 3 + channel] = 0
                    }
                }
            }
        }
        rowsInBlock = 0
        outRow += 1
    }
}
