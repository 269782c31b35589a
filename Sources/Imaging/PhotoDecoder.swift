import WalkaroundCore

/// A photo decoded and turned upright, possibly at a reduced scale.
public struct DecodedPhoto: Sendable {
    public var header: ImageHeader
    /// The upright pixels; `image.width / uprightWidth` of the original's scale.
    public var image: RGBImage

    public init(header: ImageHeader, image: RGBImage) {
        self.header = header
        self.image = image
    }

    /// The size of the original photo, upright: the frame every stored coordinate refers to.
    public var uprightWidth: Int { header.uprightSize.width }
    public var uprightHeight: Int { header.uprightSize.height }
}

/// Decodes uploaded photos safely: the header is checked against a pixel limit before any pixel
/// is decoded, JPEGs are decoded at the smallest DCT scale that covers what the caller needs, and
/// the EXIF orientation is applied.
public struct PhotoDecoder: Sendable {
    /// Photos whose header declares more pixels are refused undecoded (decompression bombs).
    public var maxPixels: Int

    public init(maxPixels: Int = 50_000_000) {
        self.maxPixels = maxPixels
    }

    /// Reads and checks the header only.
    public func header(_ bytes: [UInt8]) throws(ImageDecodingError) -> ImageHeader {
        let header: ImageHeader
        do {
            header = try ImageHeader.read(bytes)
        } catch .notAnImage {
            throw .notAnImage
        } catch {
            throw .corrupt(error.description)
        }
        guard header.pixelCount <= maxPixels else {
            throw .tooManyPixels(width: header.width, height: header.height, limit: maxPixels)
        }
        return header
    }

    /// Decodes `bytes` upright. With `cover`, a JPEG is decoded at the smallest DCT scale whose
    /// longer side is still at least `cover` pixels, a PNG reduced by whole-pixel blocks as its rows
    /// are read; nil decodes full size.
    public func decode(_ bytes: [UInt8], cover: Int? = nil) throws(ImageDecodingError) -> DecodedPhoto {
        let (header, stored) = try decodeStored(bytes, cover: cover)
        return DecodedPhoto(header: header, image: stored.applying(header.orientation))
    }
}

/// How a photo sits in the model's square input: scaled to fit, centred, padded. Keeps what is
/// needed to map boxes both ways between the canvas and the upright original photo.
public struct Letterbox: Sendable, Equatable, Codable {
    /// The canvas side (the model's input size).
    public var size: Int
    public var sourceWidth: Int
    public var sourceHeight: Int
    /// The scaled photo inside the canvas.
    public var contentWidth: Int
    public var contentHeight: Int
    public var padLeft: Int
    public var padTop: Int

    public init(sourceWidth: Int, sourceHeight: Int, size: Int) {
        let ratio = min(Double(size) / Double(sourceWidth), Double(size) / Double(sourceHeight))
        self.size = size
        self.sourceWidth = sourceWidth
        self.sourceHeight = sourceHeight
        contentWidth = min(size, max(1, Int((Double(sourceWidth) * ratio).rounded())))
        contentHeight = min(size, max(1, Int((Double(sourceHeight) * ratio).rounded())))
        padLeft = (size - contentWidth) / 2
        padTop = (size - contentHeight) / 2
    }

    public var scaleX: Double { Double(contentWidth) / Double(sourceWidth) }
    public var scaleY: Double { Double(contentHeight) / Double(sourceHeight) }

    /// A box in original-photo pixels as canvas pixels.
    public func toCanvas(_ box: Box) -> Box {
        Box(
            x1: box.x1 * scaleX + Double(padLeft), y1: box.y1 * scaleY + Double(padTop),
            x2: box.x2 * scaleX + Double(padLeft), y2: box.y2 * scaleY + Double(padTop)
        )
    }

    /// A box in canvas pixels as original-photo pixels, clipped to the photo.
    public func toSource(_ box: Box) -> Box {
        Box(
            x1: (box.x1 - Double(padLeft)) / scaleX, y1: (box.y1 - Double(padTop)) / scaleY,
            x2: (box.x2 - Double(padLeft)) / scaleX, y2: (box.y2 - Double(padTop)) / scaleY
        ).clamped(width: Double(sourceWidth), height: Double(sourceHeight))
    }
}

/// The model input for one photo: the canvas and the geometry that made it.
public struct LetterboxedPhoto: Sendable {
    public var letterbox: Letterbox
    /// `size` × `size` RGB, the photo centred on grey (114, as Ultralytics pads).
    public var canvas: RGBImage
    /// The scaled photo without padding (quality checks run on it).
    public var content: RGBImage

    public init(letterbox: Letterbox, canvas: RGBImage, content: RGBImage) {
        self.letterbox = letterbox
        self.canvas = canvas
        self.content = content
    }
}

extension PhotoDecoder {
    /// The header and the pixels in stored orientation (not yet turned upright), JPEGs at the
    /// smallest DCT scale whose longer side covers `cover`, PNGs block-averaged to cover it.
    public func decodeStored(_ bytes: [UInt8], cover: Int?) throws(ImageDecodingError) -> (header: ImageHeader, stored: RGBImage) {
        let header = try header(bytes)
        let stored: RGBImage =
            switch header.format {
            case .jpeg: try JPEGCodec.decode(bytes, header: header, cover: cover)
            case .png: try PNGCodec.decode(bytes, cover: cover)
            }
        return (header, stored)
    }

    /// Decodes `bytes` straight to the model input: decoded at the smallest scale covering `size`,
    /// resized while still in stored orientation and turned upright only at model size (cheaper
    /// than turning the decoded image).
    public func decodeLetterboxed(_ bytes: [UInt8], size: Int) throws(ImageDecodingError) -> (header: ImageHeader, letterboxed: LetterboxedPhoto) {
        let (header, stored) = try decodeStored(bytes, cover: size)
        let box = Letterbox(sourceWidth: header.uprightSize.width, sourceHeight: header.uprightSize.height, size: size)
        return (header, LetterboxedPhoto(stored: stored, orientation: header.orientation, letterbox: box))
    }
}

extension LetterboxedPhoto {
    public static let padValue: UInt8 = 114

    /// Letterboxes a stored image (possibly decoded at a reduced scale) into `box`, whose geometry
    /// is that of the upright original.
    public init(stored: RGBImage, orientation: Orientation, letterbox box: Letterbox) {
        let size = box.size
        let resized =
            orientation.swapsAxes
            ? stored.resized(width: box.contentHeight, height: box.contentWidth)
            : stored.resized(width: box.contentWidth, height: box.contentHeight)
        let content = resized.applying(orientation)
        var canvas = [UInt8](repeating: Self.padValue, count: size * size * 3)
        content.pixels.withUnsafeBufferPointer { src in
            canvas.withUnsafeMutableBufferPointer { dst in
                let rowBytes = box.contentWidth * 3
                for y in 0..<box.contentHeight {
                    let to = ((y + box.padTop) * size + box.padLeft) * 3
                    dst.baseAddress!.advanced(by: to).update(from: src.baseAddress!.advanced(by: y * rowBytes), count: rowBytes)
                }
            }
        }
        self.init(letterbox: box, canvas: RGBImage(width: size, height: size, pixels: canvas), content: content)
    }
}

extension DecodedPhoto {
    /// This photo letterboxed to `size` × `size`. The geometry refers to the original size, even
    /// when the photo was decoded at a reduced scale.
    public func letterboxed(size: Int) -> LetterboxedPhoto {
        LetterboxedPhoto(
            stored: image, orientation: .up, letterbox: Letterbox(sourceWidth: uprightWidth, sourceHeight: uprightHeight, size: size)
        )
    }

    /// A box in original-photo pixels as pixels of `image` (which may be decoded at a smaller scale).
    public func toImage(_ box: Box) -> Box {
        let sx = Double(image.width) / Double(uprightWidth), sy = Double(image.height) / Double(uprightHeight)
        return Box(x1: box.x1 * sx, y1: box.y1 * sy, x2: box.x2 * sx, y2: box.y2 * sy)
    }

    /// The part of the photo under `box` (original-photo pixels), from the decoded pixels.
    public func crop(_ box: Box) -> RGBImage? {
        let scaled = toImage(box).clamped(width: Double(image.width), height: Double(image.height))
        let x = Int(scaled.x1.rounded(.down)), y = Int(scaled.y1.rounded(.down))
        let rect = PixelRect(x: x, y: y, width: Int(scaled.x2.rounded(.up)) - x, height: Int(scaled.y2.rounded(.up)) - y)
        return image.cropped(to: rect)
    }
}
