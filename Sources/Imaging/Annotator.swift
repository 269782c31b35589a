import WalkaroundCore

/// One thing to draw: a box in original-photo pixels, its label and colour.
public struct Annotation: Sendable, Equatable {
    public var box: Box
    public var label: String
    public var colour: RGB

    public init(box: Box, label: String, colour: RGB) {
        self.box = box
        self.label = label
        self.colour = colour
    }
}

/// Draws detection boxes and labels on a decoded photo.
public enum Annotator {
    /// The photo's pixels with every annotation drawn: a box outline, and above it a filled tab
    /// with the label. Line width and text size grow with the image.
    public static func draw(_ annotations: [Annotation], on photo: DecodedPhoto) -> RGBImage {
        var image = photo.image
        let longSide = max(image.width, image.height)
        let thickness = max(2, longSide / 400)
        let textScale = max(2, longSide / 600)
        for annotation in annotations {
            // Clamped first: a stored box is finite, but only inside the image is it safe to turn into pixels.
            let box = photo.toImage(annotation.box).clamped(width: Double(image.width), height: Double(image.height))
            let x1 = Int(box.x1.rounded()), y1 = Int(box.y1.rounded())
            let x2 = Int(box.x2.rounded()) - 1, y2 = Int(box.y2.rounded()) - 1
            guard x2 >= x1, y2 >= y1 else { continue }
            fill(&image, x: x1, y: y1, width: x2 - x1 + 1, height: thickness, colour: annotation.colour)
            fill(&image, x: x1, y: y2 - thickness + 1, width: x2 - x1 + 1, height: thickness, colour: annotation.colour)
            fill(&image, x: x1, y: y1, width: thickness, height: y2 - y1 + 1, colour: annotation.colour)
            fill(&image, x: x2 - thickness + 1, y: y1, width: thickness, height: y2 - y1 + 1, colour: annotation.colour)
            let text = annotation.label.uppercased()
            let margin = textScale
            let tabWidth = BitmapFont.width(of: text, scale: textScale) + 2 * margin
            let tabHeight = BitmapFont.glyphHeight * textScale + 2 * margin
            // Above the box when there is room, else just inside its top edge.
            let tabY = y1 - tabHeight >= 0 ? y1 - tabHeight : y1
            fill(&image, x: x1, y: tabY, width: tabWidth, height: tabHeight, colour: annotation.colour)
            let luma = Int(annotation.colour.red) * 77 + Int(annotation.colour.green) * 150 + Int(annotation.colour.blue) * 29
            let ink = luma > 128 * 256 ? RGB(0, 0, 0) : RGB(255, 255, 255)
            BitmapFont.draw(text, on: &image, x: x1 + margin, y: tabY + margin, scale: textScale, colour: ink)
        }
        return image
    }

    /// Fills a rectangle, clipped to the image.
    static func fill(_ image: inout RGBImage, x: Int, y: Int, width: Int, height: Int, colour: RGB) {
        let x0 = max(0, x), y0 = max(0, y)
        let x1 = min(image.width, x + width), y1 = min(image.height, y + height)
        guard x1 > x0, y1 > y0 else { return }
        let imageWidth = image.width
        image.pixels.withUnsafeMutableBufferPointer { p in
            for row in y0..<y1 {
                var index = (row * imageWidth + x0) * 3
                for _ in x0..<x1 {
                    p[index] = colour.red
                    p[index + 1] = colour.green
                    p[index + 2] = colour.blue
                    index += 3
                }
            }
        }
    }
}

/// A 5×7 pixel font for labels: capital letters, digits and a little punctuation.
enum BitmapFont {
    static let glyphWidth = 5
    static let glyphHeight = 7

    /// Each glyph as seven rows of five bits, the leftmost pixel in the highest bit.
    static let glyphs: [Character: [UInt8]] = [
        "A": [0b01110, 0b10001, 0b10001, 0b11111, 0b10001, 0b10001, 0b10001],
        "B": [0b11110, 0b10001, 0b10001, 0b11110, 0b10001, 0b10001, 0b11110],
        "C": [0b01110, 0b10001, 0b10000, 0b10000, 0b10000, 0b10001, 0b01110],
        "D": [0b11110, 0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b11110],
        "E": [0b11111, 0b10000, 0b10000, 0b11110, 0b10000, 0b10000, 0b11111],
        "F": [0b11111, 0b10000, 0b10000, 0b11110, 0b10000, 0b10000, 0b10000],
        "G": [0b01110, 0b10001, 0b10000, 0b10111, 0b10001, 0b10001, 0b01111],
        "H": [0b10001, 0b10001, 0b10001, 0b11111, 0b10001, 0b10001, 0b10001],
        "I": [0b01110, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100, 0b01110],
        "J": [0b00111, 0b00010, 0b00010, 0b00010, 0b00010, 0b10010, 0b01100],
        "K": [0b10001, 0b10010, 0b10100, 0b11000, 0b10100, 0b10010, 0b10001],
        "L": [0b10000, 0b10000, 0b10000, 0b10000, 0b10000, 0b10000, 0b11111],
        "M": [0b10001, 0b11011, 0b10101, 0b10101, 0b10001, 0b10001, 0b10001],
        "N": [0b10001, 0b10001, 0b11001, 0b10101, 0b10011, 0b10001, 0b10001],
        "O": [0b01110, 0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b01110],
        "P": [0b11110, 0b10001, 0b10001, 0b11110, 0b10000, 0b10000, 0b10000],
        "Q": [0b01110, 0b10001, 0b10001, 0b10001, 0b10101, 0b10010, 0b01101],
        "R": [0b11110, 0b10001, 0b10001, 0b11110, 0b10100, 0b10010, 0b10001],
        "S": [0b01111, 0b10000, 0b10000, 0b01110, 0b00001, 0b00001, 0b11110],
        "T": [0b11111, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100],
        "U": [0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b01110],
        "V": [0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b01010, 0b00100],
        "W": [0b10001, 0b10001, 0b10001, 0b10101, 0b10101, 0b10101, 0b01010],
        "X": [0b10001, 0b10001, 0b01010, 0b00100, 0b01010, 0b10001, 0b10001],
        "Y": [0b10001, 0b10001, 0b10001, 0b01010, 0b00100, 0b00100, 0b00100],
        "Z": [0b11111, 0b00001, 0b00010, 0b00100, 0b01000, 0b10000, 0b11111],
        "0": [0b01110, 0b10001, 0b10011, 0b10101, 0b11001, 0b10001, 0b01110],
        "1": [0b00100, 0b01100, 0b00100, 0b00100, 0b00100, 0b00100, 0b01110],
        "2": [0b01110, 0b10001, 0b00001, 0b00010, 0b00100, 0b01000, 0b11111],
        "3": [0b11111, 0b00010, 0b00100, 0b00010, 0b00001, 0b10001, 0b01110],
        "4": [0b00010, 0b00110, 0b01010, 0b10010, 0b11111, 0b00010, 0b00010],
        "5": [0b11111, 0b10000, 0b11110, 0b00001, 0b00001, 0b10001, 0b01110],
        "6": [0b00110, 0b01000, 0b10000, 0b11110, 0b10001, 0b10001, 0b01110],
        "7": [0b11111, 0b00001, 0b00010, 0b00100, 0b01000, 0b01000, 0b01000],
        "8": [0b01110, 0b10001, 0b10001, 0b01110, 0b10001, 0b10001, 0b01110],
        "9": [0b01110, 0b10001, 0b10001, 0b01111, 0b00001, 0b00010, 0b01100],
        ".": [0b00000, 0b00000, 0b00000, 0b00000, 0b00000, 0b01100, 0b01100],
        "%": [0b11000, 0b11001, 0b00010, 0b00100, 0b01000, 0b10011, 0b00011],
        "_": [0b00000, 0b00000, 0b00000, 0b00000, 0b00000, 0b00000, 0b11111],
        "-": [0b00000, 0b00000, 0b00000, 0b11111, 0b00000, 0b00000, 0b00000],
        ":": [0b00000, 0b01100, 0b01100, 0b00000, 0b01100, 0b01100, 0b00000],
        " ": [0, 0, 0, 0, 0, 0, 0],
    ]
    static let unknown: [UInt8] = [0b01110, 0b10001, 0b00001, 0b00010, 0b00100, 0b00000, 0b00100]

    static func width(of text: String, scale: Int) -> Int {
        max(0, text.count * (glyphWidth + 1) - 1) * scale
    }

    static func draw(_ text: String, on image: inout RGBImage, x: Int, y: Int, scale: Int, colour: RGB) {
        for (position, character) in text.enumerated() {
            let rows = glyphs[character] ?? unknown
            let left = x + position * (glyphWidth + 1) * scale
            for (row, bits) in rows.enumerated() {
                for column in 0..<glyphWidth where bits & (1 << (glyphWidth - 1 - column)) != 0 {
                    Annotator.fill(&image, x: left + column * scale, y: y + row * scale, width: scale, height: scale, colour: colour)
                }
            }
        }
    }
}
