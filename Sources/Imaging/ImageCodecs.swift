import CPNG
import CTurboJPEG

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

/// PNG decoding with libpng's simplified API (8-bit RGB out; 16-bit, grey, palette and alpha
/// sources are converted, alpha composited on white). The whole image is decoded at once: a PNG
/// costs width × height × 3 bytes in flight (JPEGs far less, thanks to DCT scaling).
public enum PNGCodec {
    public static func decode(_ bytes: [UInt8]) throws(ImageDecodingError) -> RGBImage {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        let result: Result<RGBImage, ImageDecodingError> = bytes.withUnsafeBytes { memory in
            guard png_image_begin_read_from_memory(&image, memory.baseAddress, memory.count) != 0 else {
                return .failure(.corrupt(message(image)))
            }
            defer { png_image_free(&image) }
            image.format = PNG_FORMAT_FLAG_COLOR
            // A 16-bit file without gAMA/sRGB is, in practice, sRGB-encoded (libpng would assume linear).
            image.flags |= UInt32(PNG_IMAGE_FLAG_16BIT_sRGB)
            let width = Int(image.width), height = Int(image.height)
            var pixels = [UInt8](repeating: 0, count: width * height * 3)
            var background = png_color(red: 255, green: 255, blue: 255)
            let finished = pixels.withUnsafeMutableBytes { png_image_finish_read(&image, &background, $0.baseAddress, 0, nil) }
            guard finished != 0, image.warning_or_error & 0x03 <= 1 else { return .failure(.corrupt(message(image))) }
            return .success(RGBImage(width: width, height: height, pixels: pixels))
        }
        return try result.get()
    }

    private static func message(_ image: png_image) -> String {
        let text = withUnsafeBytes(of: image.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        return text.isEmpty ? "libpng could not read the file" : text
    }
}
