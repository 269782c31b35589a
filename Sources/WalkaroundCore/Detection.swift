import Foundation

/// One object a detector found on a photo, in upright original-photo pixels.
public struct Detection: Sendable, Equatable, Codable {
    public var id: UUID
    public var photoID: UUID
    /// The configured model that found it.
    public var model: String
    /// The model's class name (`scratch`, `dent`, …, `license_plate`).
    public var className: String
    public var confidence: Double
    public var box: Box
    /// Set by the comparison of a return with its check-out; nil until then.
    public var status: DamageStatus?
    public var createdAt: Date

    public init(
        id: UUID = UUID(), photoID: UUID, model: String = "", className: String, confidence: Double, box: Box, status: DamageStatus? = nil,
        createdAt: Date
    ) {
        self.id = id
        self.photoID = photoID
        self.model = model
        self.className = className
        self.confidence = confidence
        self.box = box
        self.status = status
        self.createdAt = createdAt
    }
}

/// What the comparison decided about a damage.
public enum DamageStatus: String, Sendable, Codable, CaseIterable {
    /// Seen on the return, not at check-out.
    case new
    /// Already there at check-out.
    case preExisting = "pre_existing"
    /// Seen at check-out, not on the return photos (which may not show it).
    case notSeen = "not_seen"
    /// Evidence too weak to decide (a rejected photo, one low-confidence detection).
    case needsReview = "needs_review"
    /// No check-out to compare with.
    case unverified
}
