import Foundation

/// Limits a photo must meet to be used as evidence. Every value comes from configuration.
public struct QualityThresholds: Sendable, Equatable, Codable {
    /// Variance of the Laplacian of the contrast-normalised grey image at model resolution.
    public var minSharpness: Double
    /// Mean luminance (0–255) below which a photo is too dark, above which too bright.
    public var minMeanLuminance: Double
    public var maxMeanLuminance: Double
    /// Share of pixels crushed to black (luma ≤ 8) or blown to white (luma ≥ 247).
    public var maxDarkClippedShare: Double
    public var maxBrightClippedShare: Double
    /// The upright photo's shorter side, in pixels.
    public var minShortSide: Int
    /// Perceptual hashes this close (differing bits of 64) mark a near-duplicate.
    public var maxDuplicateDistance: Int

    public init(
        minSharpness: Double = 40, minMeanLuminance: Double = 50, maxMeanLuminance: Double = 215,
        maxDarkClippedShare: Double = 0.35, maxBrightClippedShare: Double = 0.25, minShortSide: Int = 720,
        maxDuplicateDistance: Int = 5
    ) {
        self.minSharpness = minSharpness
        self.minMeanLuminance = minMeanLuminance
        self.maxMeanLuminance = maxMeanLuminance
        self.maxDarkClippedShare = maxDarkClippedShare
        self.maxBrightClippedShare = maxBrightClippedShare
        self.minShortSide = minShortSide
        self.maxDuplicateDistance = maxDuplicateDistance
    }
}

/// What the quality checks measured on one photo.
public struct QualityMeasures: Sendable, Equatable, Codable {
    public var sharpness: Double
    public var meanLuminance: Double
    public var darkClippedShare: Double
    public var brightClippedShare: Double
    /// The upright original size.
    public var width: Int
    public var height: Int
    /// 64-bit difference hash of the grey image, as 16 hex digits.
    public var perceptualHash: String

    public init(sharpness: Double, meanLuminance: Double, darkClippedShare: Double, brightClippedShare: Double, width: Int, height: Int, perceptualHash: String) {
        self.sharpness = sharpness
        self.meanLuminance = meanLuminance
        self.darkClippedShare = darkClippedShare
        self.brightClippedShare = brightClippedShare
        self.width = width
        self.height = height
        self.perceptualHash = perceptualHash
    }
}

/// One reason a photo cannot be used, for machines (`code`) and for the person holding the camera.
public struct QualityIssue: Sendable, Equatable, Codable {
    public enum Code: String, Sendable, Codable, CaseIterable {
        case tooBlurry = "too_blurry"
        case tooDark = "too_dark"
        case tooBright = "too_bright"
        case resolutionTooLow = "resolution_too_low"
        case nearDuplicate = "near_duplicate"
        case unreadable
        case tooManyPixels = "too_many_pixels"
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
}

/// The verdict on one photo: measured values, and the issues that make it unusable.
public struct QualityReport: Sendable, Equatable, Codable {
    public var measures: QualityMeasures?
    public var issues: [QualityIssue]

    public init(measures: QualityMeasures?, issues: [QualityIssue]) {
        self.measures = measures
        self.issues = issues
    }

    public var accepted: Bool { issues.isEmpty }

    /// One sentence for the station: every issue's advice, joined.
    public var advice: String? {
        issues.isEmpty ? nil : issues.map(\.message).joined(separator: "; ")
    }

    /// Checks the photo-local limits (everything but near-duplicates, which need the other photos).
    public static func assess(_ measures: QualityMeasures, thresholds: QualityThresholds) -> QualityReport {
        var issues: [QualityIssue] = []
        if min(measures.width, measures.height) < thresholds.minShortSide {
            issues.append(
                QualityIssue(
                    .resolutionTooLow,
                    "too small (\(measures.width)×\(measures.height)): use the camera at full resolution, at least \(thresholds.minShortSide) pixels on the short side"
                )
            )
        }
        if measures.meanLuminance < thresholds.minMeanLuminance || measures.darkClippedShare > thresholds.maxDarkClippedShare {
            issues.append(QualityIssue(.tooDark, "too dark: retake with the flash or under the canopy light"))
        } else if measures.meanLuminance > thresholds.maxMeanLuminance || measures.brightClippedShare > thresholds.maxBrightClippedShare {
            issues.append(QualityIssue(.tooBright, "too bright: glare or direct sun washes out the paint; shade the lens or step to the side and retake"))
        }
        if measures.sharpness < thresholds.minSharpness {
            issues.append(QualityIssue(.tooBlurry, "too blurred: hold the phone still, tap the panel to focus and retake"))
        }
        return QualityReport(measures: measures, issues: issues)
    }

    /// This report with a near-duplicate issue added.
    public func markingDuplicate(of view: String) -> QualityReport {
        var copy = self
        copy.issues.append(QualityIssue(.nearDuplicate, "the same picture as the \(view) photo already taken: photograph the next view instead"))
        return copy
    }
}

