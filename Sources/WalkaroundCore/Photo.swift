import Foundation

/// One uploaded photo of an inspection and what processing has learned about it.
public struct Photo: Sendable, Equatable, Codable {
    public var id: UUID
    public var inspectionID: UUID
    public var view: View
    /// Hex SHA-256 of the stored bytes; also the blob's address in the photo store.
    public var sha256: String
    public var format: ImageFormat
    public var byteCount: Int
    public var status: Status
    public var width: Int?
    public var height: Int?
    /// The EXIF orientation tag (1–8) the photo was stored with; width and height are upright.
    public var orientation: Int?
    /// When the camera says it took the photo (EXIF DateTimeOriginal as ISO 8601, with the
    /// camera's UTC offset when it wrote one); nil when the file does not say. Read at processing.
    public var capturedAt: String?
    /// The quality gate's measures and verdict, once processed.
    public var quality: QualityReport?
    /// Why processing failed, when it did.
    public var error: String?
    public var createdAt: Date
    public var processedAt: Date?

    public init(
        id: UUID = UUID(),
        inspectionID: UUID,
        view: View,
        sha256: String,
        format: ImageFormat,
        byteCount: Int,
        status: Status = .queued,
        width: Int? = nil,
        height: Int? = nil,
        orientation: Int? = nil,
        capturedAt: String? = nil,
        quality: QualityReport? = nil,
        error: String? = nil,
        createdAt: Date,
        processedAt: Date? = nil
    ) {
        self.id = id
        self.inspectionID = inspectionID
        self.view = view
        self.sha256 = sha256
        self.format = format
        self.byteCount = byteCount
        self.status = status
        self.width = width
        self.height = height
        self.orientation = orientation
        self.capturedAt = capturedAt
        self.quality = quality
        self.error = error
        self.createdAt = createdAt
        self.processedAt = processedAt
    }

    /// Where the camera stood; comparison matches damage within the same or a neighbouring view.
    public enum View: String, Sendable, Codable, CaseIterable {
        case front
        case frontLeft = "front_left"
        case left
        case rearLeft = "rear_left"
        case rear
        case rearRight = "rear_right"
        case right
        case frontRight = "front_right"
        case interior
        case odometer
        case other
    }

    /// Processing state: `queued` → `processing` → `processed` (passed the quality gate),
    /// `rejected` (failed it: too blurred, too dark, unreadable, …; never evidence of new damage)
    /// or `failed` (processing itself failed after its retries).
    public enum Status: String, Sendable, Codable, CaseIterable {
        case queued
        case processing
        case processed
        case rejected
        case failed
    }

    /// Whether this photo may serve as evidence of damage.
    public var isEvidence: Bool { status == .processed }
}
