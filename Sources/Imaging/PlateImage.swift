import Foundation
import WalkaroundCore

/// A licence plate cut out of a photo and made ready for OCR.
public struct PreparedPlate: Sendable {
    /// The plate with its margin: EU band painted over, scaled, deskewed, contrast stretched.
    public var grey: GreyImage
    /// Only the characters, black on white, cut to the text line and scaled to the OCR's favourite
    /// height; nil when no row of characters was found (then `grey` is all there is).
    public var characters: GreyImage?
    /// The rotation removed, in degrees (positive: the plate sloped down to the right).
    public var angle: Double
    /// Whether a blue EU band was found and painted over.
    public var bandRemoved: Bool
}

/// Cuts a plate out of a photo and prepares it for OCR:
///
/// 1. crop the detector's box with a margin (a detector's box is often a little tight);
/// 2. paint the blue EU band over with the plate's background (its country letters and stars
///    would be read as characters), found as a run of blue columns in the left part of the plate;
/// 3. grey, scaled so the box is `plateHeight` pixels high;
/// 4. deskew: dark components of character size are found with a local-mean threshold, and the
///    slope of their top and bottom edges (the median of all pairwise slopes, robust to a stray
///    component) is the plate's rotation, which is undone;
/// 5. stretch the contrast between the 2nd and 98th percentiles;
/// 6. isolate the characters: components of the common character height on one line, with the
///    plate's frame, screws and paint removed (runs longer than a character are frame lines), drawn
///    black on white with a margin and scaled to `characterHeight` pixels.
public struct PlatePreparer: Sendable, Equatable {
    public var plateHeight: Int
    public var characterHeight: Int

    public init(plateHeight: Int = 64, characterHeight: Int = 36) {
        self.plateHeight = plateHeight
        self.characterHeight = characterHeight
    }

    public func prepare(_ image: RGBImage, box: Box) -> PreparedPlate? {
        let boxWidth = box.x2 - box.x1, boxHeight = box.y2 - box.y1
        guard boxWidth >= 4, boxHeight >= 4 else { return nil }
        let x0 = max(0, Int(box.x1 - 0.12 * boxWidth)), y0 = max(0, Int(box.y1 - 0.25 * boxHeight))
        let x1 = min(image.width, Int(box.x2 + 0.12 * boxWidth)), y1 = min(image.height, Int(box.y2 + 0.25 * boxHeight))
        guard x1 - x0 >= 4, y1 - y0 >= 4, var crop = image.cropped(to: PixelRect(x: x0, y: y0, width: x1 - x0, height: y1 - y0))
        else { return nil }
        let innerTop = max(0, Int(box.y1 + 0.3 * boxHeight) - y0)
        let innerBottom = min(crop.height, max(innerTop + 1, Int(box.y2 - 0.3 * boxHeight) - y0))
        let bandRemoved = Self.paintOverBand(&crop, rows: innerTop..<innerBottom)
        let scale = Double(plateHeight) / boxHeight
        var grey = crop.grey().resized(
            width: max(8, Int((Double(crop.width) * scale).rounded())), height: max(8, Int((Double(crop.height) * scale).rounded()))
        )
        let ph = Double(plateHeight)
        var angle = 0.0
        if let slope = Self.slope(of: CharacterComponents(grey, plateHeight: ph).candidates()) {
            angle = atan(slope) * 180 / .pi
            if abs(angle) > 0.2 { grey = grey.rotated(degrees: angle, fill: grey.percentile(0.5)) }
        }
        grey = grey.stretched(low: grey.percentile(0.02), high: grey.percentile(0.98))
        let characters = CharacterComponents(grey, plateHeight: ph).isolatedLine(height: characterHeight)
        return PreparedPlate(grey: grey, characters: characters, angle: angle, bandRemoved: bandRemoved)
    }

    /// Paints the EU band (a run of at least 3 blue columns in the left 30 %, judged on the plate's
    /// middle rows) with the plate's background colour. Returns whether it found one.
    static func paintOverBand(_ crop: inout RGBImage, rows: Range<Int>) -> Bool {
        guard !rows.isEmpty else { return false }
        var blueColumns: [Int] = []
        for x in 0..<Int(Double(crop.width) * 0.3) {
            var blue = 0
            for y in rows {
                let p = crop[x, y]
                if Int(p.blue) > Int(p.red) + 40 && Int(p.blue) > Int(p.green) + 15 { blue += 1 }
            }
            if blue * 2 > rows.count { blueColumns.append(x) }
        }
        guard blueColumns.count >= 3, let last = blueColumns.last else { return false }
        // The background: the 90th percentile of the middle rows, per channel (bright plate paper).
        var histograms = [[Int]](repeating: [Int](repeating: 0, count: 256), count: 3)
        for y in rows {
            for x in 0..<crop.width {
                let p = crop[x, y]
                histograms[0][Int(p.red)] += 1
                histograms[1][Int(p.green)] += 1
                histograms[2][Int(p.blue)] += 1
            }
        }
        let count = rows.count * crop.width
        let fill = histograms.map { UInt8(histogramPercentile($0, count: count, 0.9)) }
        for y in 0..<crop.height {
            for x in 0..<min(crop.width, last + 2) {
                let i = (y * crop.width + x) * 3
                crop.pixels[i] = fill[0]
                crop.pixels[i + 1] = fill[1]
                crop.pixels[i + 2] = fill[2]
            }
        }
        return true
    }

    /// The median of the pairwise slopes of the candidates' top and bottom edges (Theil–Sen);
    /// nil with fewer than 3 candidates.
    static func slope(of components: [CharacterComponents.Component]) -> Double? {
        guard components.count >= 3 else { return nil }
        let typical = medianValue(components.map { Double($0.height) })
        var slopes: [Double] = []
        for i in components.indices {
            for j in components.indices where j > i {
                let dx = components[j].centreX - components[i].centreX
                guard abs(dx) >= typical * 0.5 else { continue }
                slopes.append(Double(components[j].bottom - components[i].bottom) / dx)
                slopes.append(Double(components[j].y - components[i].y) / dx)
            }
        }
        guard !slopes.isEmpty else { return nil }
        let slope = medianValue(slopes)
        return abs(slope) <= tan(15 * Double.pi / 180) ? slope : nil
    }
}

/// Dark connected components of a plate image, with the frame removed.
struct CharacterComponents {
    struct Component {
        var label: Int32
        var x: Int, y: Int, width: Int, height: Int, area: Int
        var right: Int { x + width }
        var bottom: Int { y + height }
        var centreX: Double { Double(x) + Double(width) / 2 }
    }

    let width: Int, height: Int
    let plateHeight: Double
    /// Component label per pixel (0: background).
    var labels: [Int32]
    /// Components that do not touch the image's edge (those are paint or cut-off characters).
    var components: [Component]

    init(_ image: GreyImage, plateHeight: Double) {
        width = image.width
        height = image.height
        self.plateHeight = plateHeight
        var dark = Self.threshold(image)
        Self.clearRuns(&dark, width: width, height: height, horizontal: Int(plateHeight), vertical: Int(0.8 * plateHeight))
        (labels, components) = Self.label(dark, width: width, height: height)
    }

    /// Dark pixels: more than 12 levels under the mean of a window about half the crop high.
    static func threshold(_ image: GreyImage) -> [Bool] {
        let w = image.width, h = image.height
        var integral = [Int](repeating: 0, count: (w + 1) * (h + 1))
        for y in 0..<h {
            var row = 0
            for x in 0..<w {
                row += Int(image.pixels[y * w + x])
                integral[(y + 1) * (w + 1) + x + 1] = integral[y * (w + 1) + x + 1] + row
            }
        }
        let radius = max(7, h / 2)
        var dark = [Bool](repeating: false, count: w * h)
        for y in 0..<h {
            let top = max(0, y - radius), bottom = min(h, y + radius + 1)
            for x in 0..<w {
                let left = max(0, x - radius), right = min(w, x + radius + 1)
                let sum = integral[bottom * (w + 1) + right] - integral[top * (w + 1) + right] - integral[bottom * (w + 1) + left]
                    + integral[top * (w + 1) + left]
                let mean = sum / ((bottom - top) * (right - left))
                dark[y * w + x] = Int(image.pixels[y * w + x]) < mean - 12
            }
        }
        return dark
    }

    /// Clears dark runs longer than any character stroke: the plate's frame and edges.
    static func clearRuns(_ dark: inout [Bool], width: Int, height: Int, horizontal: Int, vertical: Int) {
        for y in 0..<height {
            var x = 0
            while x < width {
                guard dark[y * width + x] else { x += 1; continue }
                var end = x
                while end < width && dark[y * width + end] { end += 1 }
                if end - x > horizontal { for i in x..<end { dark[y * width + i] = false } }
                x = end
            }
        }
        for x in 0..<width {
            var y = 0
            while y < height {
                guard dark[y * width + x] else { y += 1; continue }
                var end = y
                while end < height && dark[end * width + x] { end += 1 }
                if end - y > vertical { for i in y..<end { dark[i * width + x] = false } }
                y = end
            }
        }
    }

    /// 8-connected labelling by flood fill with an explicit stack.
    static func label(_ dark: [Bool], width: Int, height: Int) -> ([Int32], [Component]) {
        var labels = [Int32](repeating: 0, count: width * height)
        var components: [Component] = []
        var stack: [Int] = []
        var next: Int32 = 1
        for start in 0..<(width * height) where dark[start] && labels[start] == 0 {
            var minX = width, minY = height, maxX = 0, maxY = 0, area = 0
            labels[start] = next
            stack.append(start)
            while let index = stack.popLast() {
                let x = index % width, y = index / width
                area += 1
                minX = min(minX, x)
                maxX = max(maxX, x)
                minY = min(minY, y)
                maxY = max(maxY, y)
                for dy in -1...1 {
                    for dx in -1...1 where dx != 0 || dy != 0 {
                        let nx = x + dx, ny = y + dy
                        guard nx >= 0, ny >= 0, nx < width, ny < height else { continue }
                        let n = ny * width + nx
                        if dark[n] && labels[n] == 0 {
                            labels[n] = next
                            stack.append(n)
                        }
                    }
                }
            }
            if minX > 0 && minY > 0 && maxX < width - 1 && maxY < height - 1 {
                components.append(Component(label: next, x: minX, y: minY, width: maxX - minX + 1, height: maxY - minY + 1, area: area))
            }
            next += 1
        }
        return (labels, components)
    }

    /// Components shaped like characters: 20–85 % of the plate's height, not much wider than
    /// high, not a thin outline; then only those within a quarter of the common height.
    func candidates() -> [Component] {
        let shaped = components.filter {
            Double($0.height) >= 0.2 * plateHeight && Double($0.height) <= 0.85 * plateHeight
                && Double($0.width) <= 1.3 * Double($0.height) && Double($0.area) >= 0.12 * Double($0.width * $0.height)
        }
        guard !shaped.isEmpty else { return [] }
        let typical = medianValue(shaped.map { Double($0.height) })
        return shaped.filter { abs(Double($0.height) - typical) <= 0.25 * typical }
    }

    /// The line of characters drawn black on white, scaled so characters are `height` pixels high.
    func isolatedLine(height targetHeight: Int) -> GreyImage? {
        let line = candidates()
        guard !line.isEmpty else { return nil }
        let typical = medianValue(line.map { Double($0.height) })
        let top = medianValue(line.map { Double($0.y) }), bottom = medianValue(line.map { Double($0.bottom) })
        var left = line.map(\.x).min()!, right = line.map(\.right).max()!
        // Everything on the line: dashes, merged pairs, descending tails; not frame fragments.
        let kept = components.filter {
            Double($0.y) >= top - 0.2 * typical && Double($0.bottom) <= bottom + 0.4 * typical
                && Double($0.height) <= 1.4 * typical && Double($0.right) >= Double(left) - 1.5 * typical
                && Double($0.x) <= Double(right) + 1.5 * typical
                && !(Double($0.height) < 0.3 * typical && Double($0.width) > 0.9 * typical)
        }
        left = min(left, kept.map(\.x).min() ?? left)
        right = max(right, kept.map(\.right).max() ?? right)
        let pad = Int(typical * 0.4)
        let outWidth = right - left + 2 * pad, outHeight = Int(bottom - top + 0.3 * typical) + 2 * pad
        guard outWidth > 0, outHeight > 0 else { return nil }
        var out = [UInt8](repeating: 255, count: outWidth * outHeight)
        let keep = Set(kept.map(\.label))
        let originY = Int(top) - pad, originX = left - pad
        for component in kept {
            for y in component.y..<component.bottom {
                for x in component.x..<component.right where keep.contains(labels[y * width + x]) {
                    let oy = y - originY, ox = x - originX
                    if oy >= 0, oy < outHeight, ox >= 0, ox < outWidth { out[oy * outWidth + ox] = 0 }
                }
            }
        }
        let image = GreyImage(width: outWidth, height: outHeight, pixels: out)
        let scale = Double(targetHeight) / typical
        return image.resized(width: max(1, Int(Double(outWidth) * scale)), height: max(1, Int(Double(outHeight) * scale)))
    }
}

extension GreyImage {
    /// Rotated counter-clockwise by `degrees` about the centre (bilinear), same size, `fill` outside.
    public func rotated(degrees: Double, fill: UInt8) -> GreyImage {
        let radians = degrees * .pi / 180, c = cos(radians), s = sin(radians)
        let cx = Double(width - 1) / 2, cy = Double(height - 1) / 2
        var out = [UInt8](repeating: fill, count: width * height)
        for y in 0..<height {
            for x in 0..<width {
                let dx = Double(x) - cx, dy = Double(y) - cy
                let sx = cx + dx * c - dy * s, sy = cy + dx * s + dy * c
                let x0 = Int(sx.rounded(.down)), y0 = Int(sy.rounded(.down))
                guard x0 >= 0, y0 >= 0, x0 + 1 < width, y0 + 1 < height else { continue }
                let fx = sx - Double(x0), fy = sy - Double(y0)
                let p00 = Double(pixels[y0 * width + x0]), p10 = Double(pixels[y0 * width + x0 + 1])
                let p01 = Double(pixels[(y0 + 1) * width + x0]), p11 = Double(pixels[(y0 + 1) * width + x0 + 1])
                let value = (p00 * (1 - fx) + p10 * fx) * (1 - fy) + (p01 * (1 - fx) + p11 * fx) * fy
                out[y * width + x] = UInt8(min(255, max(0, value.rounded())))
            }
        }
        return GreyImage(width: width, height: height, pixels: out)
    }

    /// The grey level under which `fraction` of the pixels lie.
    public func percentile(_ fraction: Double) -> UInt8 {
        var histogram = [Int](repeating: 0, count: 256)
        for p in pixels { histogram[Int(p)] += 1 }
        return UInt8(histogramPercentile(histogram, count: pixels.count, fraction))
    }

    /// Levels mapped linearly so `low` becomes black and `high` white.
    public func stretched(low: UInt8, high: UInt8) -> GreyImage {
        let span = max(1, Double(high) - Double(low))
        var table = [UInt8](repeating: 0, count: 256)
        for v in 0..<256 { table[v] = UInt8(min(255, max(0, ((Double(v) - Double(low)) / span * 255).rounded()))) }
        return GreyImage(width: width, height: height, pixels: pixels.map { table[Int($0)] })
    }
}

/// The value under which `fraction` of a histogram's `count` samples lie.
func histogramPercentile(_ histogram: [Int], count: Int, _ fraction: Double) -> Int {
    let target = Int(Double(count) * fraction)
    var seen = 0
    for (value, n) in histogram.enumerated() {
        seen += n
        if seen > target { return value }
    }
    return histogram.count - 1
}

func medianValue(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return 0 }
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}
