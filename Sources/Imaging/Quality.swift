import WalkaroundCore

extension QualityMeasures {
    /// Measures `content` (the photo scaled to model resolution) of an upright original of `width` × `height`.
    public init(content: RGBImage, width: Int, height: Int) {
        let grey = content.grey()
        var histogram = [Int](repeating: 0, count: 256)
        for value in grey.pixels { histogram[Int(value)] += 1 }
        let count = Double(grey.pixels.count)
        self.init(
            sharpness: Self.laplacianVariance(grey) * Self.contrastGain(histogram: histogram, count: grey.pixels.count),
            meanLuminance: histogram.enumerated().reduce(0.0) { $0 + Double($1.offset * $1.element) } / count,
            darkClippedShare: Double(histogram[0...8].reduce(0, +)) / count,
            brightClippedShare: Double(histogram[247...255].reduce(0, +)) / count,
            width: width,
            height: height,
            perceptualHash: PerceptualHash.difference(grey).hex
        )
    }

    /// Squared gain that stretches the 1st–99th percentile range to 0–255, so that sharpness does
    /// not depend on exposure or contrast; the range is taken as at least 48 so that a flat, noisy
    /// image is not blown up into a sharp one.
    static func contrastGain(histogram: [Int], count: Int) -> Double {
        func percentile(_ share: Double) -> Int {
            let target = Int(Double(count) * share)
            var seen = 0
            for (value, n) in histogram.enumerated() {
                seen += n
                if seen > target { return value }
            }
            return 255
        }
        let range = Double(max(percentile(0.99) - percentile(0.01), 48))
        return (255 / range) * (255 / range)
    }

    /// Variance of the 4-neighbour Laplacian over the interior pixels.
    static func laplacianVariance(_ grey: GreyImage) -> Double {
        guard grey.width >= 3, grey.height >= 3 else { return 0 }
        var sum = 0.0, sumSquares = 0.0
        let width = grey.width
        grey.pixels.withUnsafeBufferPointer { p in
            for y in 1..<grey.height - 1 {
                var rowSum = 0, rowSquares = 0
                for x in 1..<width - 1 {
                    let i = y * width + x
                    let value = 4 * Int(p[i]) - Int(p[i - 1]) - Int(p[i + 1]) - Int(p[i - width]) - Int(p[i + width])
                    rowSum += value
                    rowSquares += value * value
                }
                sum += Double(rowSum)
                sumSquares += Double(rowSquares)
            }
        }
        let n = Double((grey.width - 2) * (grey.height - 2))
        let mean = sum / n
        return sumSquares / n - mean * mean
    }
}


extension QualityReport {
    /// The report for a photo that could not be decoded.
    public static func undecodable(_ error: ImageDecodingError) -> QualityReport {
        switch error {
        case .tooManyPixels(let width, let height, let limit):
            QualityReport(
                measures: nil,
                issues: [QualityIssue(.tooManyPixels, "the photo has \(width)×\(height) pixels, more than the \(limit) allowed: send it at the camera's normal resolution")]
            )
        case .notAnImage, .corrupt:
            QualityReport(measures: nil, issues: [QualityIssue(.unreadable, "the file is damaged or incomplete (\(error)): upload the photo again")])
        }
    }
}

/// A 64-bit difference hash: a 9×8 grey thumbnail, one bit per horizontal neighbour pair
/// (left brighter than right). Near-identical photos differ in a few bits.
public struct PerceptualHash: Sendable, Equatable {
    public var bits: UInt64

    public init(bits: UInt64) { self.bits = bits }

    public init?(hex: String) {
        guard let bits = UInt64(hex, radix: 16) else { return nil }
        self.bits = bits
    }

    public var hex: String {
        let text = String(bits, radix: 16)
        return String(repeating: "0", count: 16 - text.count) + text
    }

    public func distance(to other: PerceptualHash) -> Int { (bits ^ other.bits).nonzeroBitCount }

    public static func difference(_ grey: GreyImage) -> PerceptualHash {
        let small = grey.resized(width: 9, height: 8)
        var bits: UInt64 = 0
        for y in 0..<8 {
            for x in 0..<8 {
                bits = bits << 1 | (small[x, y] > small[x + 1, y] ? 1 : 0)
            }
        }
        return PerceptualHash(bits: bits)
    }
}

/// Decodes and checks a photo: the work of the quality gate, shared by the pipeline and the CLI.
public struct PhotoAnalyzer: Sendable {
    public var decoder: PhotoDecoder
    public var thresholds: QualityThresholds
    /// The model input size; photos are decoded just large enough to cover it.
    public var modelSize: Int

    public init(decoder: PhotoDecoder = PhotoDecoder(), thresholds: QualityThresholds = QualityThresholds(), modelSize: Int = 640) {
        self.decoder = decoder
        self.thresholds = thresholds
        self.modelSize = modelSize
    }

    public struct Analysis: Sendable {
        /// Nil when the photo could not be decoded (the report says why).
        public var header: ImageHeader?
        /// The photo as decoded (stored orientation, DCT-scaled), kept for other input sizes.
        public var stored: RGBImage?
        public var letterboxed: LetterboxedPhoto?
        public var report: QualityReport

        /// The photo letterboxed to `size`: the analysis's own canvas when the size matches, else
        /// made from the decoded pixels (one resampling either way).
        public func letterboxed(size: Int) -> LetterboxedPhoto? {
            if let letterboxed, letterboxed.letterbox.size == size { return letterboxed }
            guard let header, let stored else { return nil }
            let upright = header.uprightSize
            return LetterboxedPhoto(
                stored: stored, orientation: header.orientation,
                letterbox: Letterbox(sourceWidth: upright.width, sourceHeight: upright.height, size: size)
            )
        }
    }

    public func analyze(_ bytes: [UInt8]) -> Analysis {
        let header: ImageHeader, stored: RGBImage
        do {
            (header, stored) = try decoder.decodeStored(bytes, cover: modelSize)
        } catch {
            return Analysis(header: nil, stored: nil, letterboxed: nil, report: .undecodable(error))
        }
        let upright = header.uprightSize
        let letterboxed = LetterboxedPhoto(
            stored: stored, orientation: header.orientation,
            letterbox: Letterbox(sourceWidth: upright.width, sourceHeight: upright.height, size: modelSize)
        )
        let measures = QualityMeasures(content: letterboxed.content, width: upright.width, height: upright.height)
        return Analysis(header: header, stored: stored, letterboxed: letterboxed, report: .assess(measures, thresholds: thresholds))
    }
}
