/// Separable resampling of 8-bit images: an area filter (each output pixel the exact coverage-
/// weighted mean of the source pixels under it) on axes that shrink, bilinear on axes that grow.
/// Weights are 14-bit fixed point and sum to one exactly.
enum Resampler {
    static let shift = 14
    static let one = Int32(1 << shift)

    struct Taps {
        var starts: [Int]
        var counts: [Int]
        /// `maxCount` weights per output position.
        var weights: [Int32]
        var maxCount: Int
    }

    static func taps(source: Int, destination: Int) -> Taps {
        var starts = [Int](), counts = [Int]()
        var rows: [[Double]] = []
        let scale = Double(source) / Double(destination)
        for index in 0..<destination {
            if destination < source {
                let from = Double(index) * scale, to = Double(index + 1) * scale
                let first = Int(from.rounded(.down)), last = min(source, Int(to.rounded(.up)))
                starts.append(first)
                rows.append((first..<last).map { min(to, Double($0 + 1)) - max(from, Double($0)) })
            } else {
                let center = (Double(index) + 0.5) * scale - 0.5
                let left = Int(center.rounded(.down))
                let fraction = center - Double(left)
                let a = min(max(left, 0), source - 1), b = min(max(left + 1, 0), source - 1)
                if a == b || fraction == 0 {
                    starts.append(a)
                    rows.append([1])
                } else {
                    starts.append(a)
                    rows.append([1 - fraction, fraction])
                }
            }
            counts.append(rows[rows.count - 1].count)
        }
        let maxCount = counts.max() ?? 1
        var weights = [Int32](repeating: 0, count: destination * maxCount)
        for (index, row) in rows.enumerated() {
            let total = row.reduce(0, +)
            var fixed = row.map { Int32(($0 / total * Double(one)).rounded()) }
            // Put the rounding remainder on the largest weight so every row sums to exactly one.
            let largest = fixed.indices.max { fixed[$0] < fixed[$1] } ?? 0
            fixed[largest] += one - fixed.reduce(0, +)
            for (tap, weight) in fixed.enumerated() { weights[index * maxCount + tap] = weight }
        }
        return Taps(starts: starts, counts: counts, weights: weights, maxCount: maxCount)
    }

    /// Resamples interleaved `channels`-channel pixels from `width` × `height` to `newWidth` × `newHeight`.
    static func resample(_ pixels: [UInt8], width: Int, height: Int, channels: Int, newWidth: Int, newHeight: Int) -> [UInt8] {
        if width == newWidth && height == newHeight { return pixels }
        // Columns first: that pass runs along whole rows (vectorised) and leaves fewer rows for
        // the per-pixel horizontal pass.
        let columns = verticalPass(pixels, rowLength: width * channels, height: height, newHeight: newHeight)
        return channels == 3
            ? horizontalPass(columns, width: width, height: newHeight, newWidth: newWidth, channels: 3)
            : horizontalPass(columns, width: width, height: newHeight, newWidth: newWidth, channels: channels)
    }

    /// Resamples each row to `newWidth` pixels. `@inline(__always)` lets the call with a constant
    /// channel count unroll the inner loop.
    @inline(__always)
    private static func horizontalPass(_ pixels: [UInt8], width: Int, height: Int, newWidth: Int, channels: Int) -> [UInt8] {
        let taps = taps(source: width, destination: newWidth)
        let maxCount = taps.maxCount
        var rows = [UInt8](repeating: 0, count: height * newWidth * channels)
        let half = Int32(1 << (shift - 1))
        pixels.withUnsafeBufferPointer { src in
            rows.withUnsafeMutableBufferPointer { dst in
                taps.weights.withUnsafeBufferPointer { weights in
                    taps.starts.withUnsafeBufferPointer { starts in
                        taps.counts.withUnsafeBufferPointer { counts in
                            for y in 0..<height {
                                let srcRow = src.baseAddress! + y * width * channels
                                var out = dst.baseAddress! + y * newWidth * channels
                                for x in 0..<newWidth {
                                    let count = counts[x]
                                    let w = weights.baseAddress! + x * maxCount
                                    let at = srcRow + starts[x] * channels
                                    for c in 0..<channels {
                                        var sum = half
                                        var p = at + c
                                        for tap in 0..<count {
                                            sum &+= Int32(p.pointee) &* w[tap]
                                            p += channels
                                        }
                                        out[c] = UInt8(clamping: sum >> Int32(shift))
                                    }
                                    out += channels
                                }
                            }
                        }
                    }
                }
            }
        }
        return rows
    }

    /// Resamples columns: each output row is a weighted sum of whole input rows.
    private static func verticalPass(_ rows: [UInt8], rowLength: Int, height: Int, newHeight: Int) -> [UInt8] {
        let taps = taps(source: height, destination: newHeight)
        var out = [UInt8](repeating: 0, count: newHeight * rowLength)
        var sums = [Int32](repeating: 0, count: rowLength)
        let half = Int32(1 << (shift - 1))
        rows.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                sums.withUnsafeMutableBufferPointer { acc in
                    for y in 0..<newHeight {
                        for i in 0..<rowLength { acc[i] = half }
                        for tap in 0..<taps.counts[y] {
                            let weight = taps.weights[y * taps.maxCount + tap]
                            let row = src.baseAddress! + (taps.starts[y] + tap) * rowLength
                            for i in 0..<rowLength { acc[i] &+= Int32(row[i]) &* weight }
                        }
                        let dstRow = dst.baseAddress! + y * rowLength
                        for i in 0..<rowLength { dstRow[i] = UInt8(clamping: acc[i] >> Int32(shift)) }
                    }
                }
            }
        }
        return out
    }
}

extension RGBImage {
    /// This image resampled to `width` × `height` (area filter when shrinking, bilinear when growing).
    public func resized(width newWidth: Int, height newHeight: Int) -> RGBImage {
        RGBImage(
            width: newWidth, height: newHeight,
            pixels: Resampler.resample(pixels, width: width, height: height, channels: 3, newWidth: newWidth, newHeight: newHeight)
        )
    }

    /// This image scaled so its longer side is at most `longSide`, keeping the aspect ratio.
    public func fitted(longSide: Int) -> RGBImage {
        let scale = Double(longSide) / Double(max(width, height))
        guard scale < 1 else { return self }
        return resized(width: max(1, Int((Double(width) * scale).rounded())), height: max(1, Int((Double(height) * scale).rounded())))
    }
}

extension GreyImage {
    public func resized(width newWidth: Int, height newHeight: Int) -> GreyImage {
        GreyImage(
            width: newWidth, height: newHeight,
            pixels: Resampler.resample(pixels, width: width, height: height, channels: 1, newWidth: newWidth, newHeight: newHeight)
        )
    }
}
