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
    /// What the object is evidence of: a damage, a licence plate, or a car part (whose
    /// `className` is then a `CarPart` name).
    public var role: Role
    public var createdAt: Date

    /// What a detected object is used for.
    public enum Role: String, Sendable, Codable, CaseIterable {
        /// Evidence for comparison and reports.
        case damage
        /// A licence plate: read by the plate reader, never a damage.
        case plate
        /// A part of the car (a part model's class, named by `CarPart`): names the part a damage is on.
        case part
    }

    public init(
        id: UUID = UUID(), photoID: UUID, model: String = "", className: String, confidence: Double, box: Box, status: DamageStatus? = nil,
        role: Role? = nil, createdAt: Date
    ) {
        self.role = role ?? (className == "license_plate" ? .plate : .damage)
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
