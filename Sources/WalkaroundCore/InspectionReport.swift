import Foundation

/// The report of a completed inspection as structured data: every fact the prose may use, and
/// nothing else. The prose is written from it (by an LLM or the template) and checked against it.
public struct InspectionReport: Sendable, Equatable, Codable {
    public var inspection: InspectionSummary
    public var vehicle: VehicleRef
    public var vehicleID: UUID?
    public var plate: PlateVerdict
    /// The check-out this return was compared with; nil on a check-out, or when none was found.
    public var comparedWith: InspectionSummary?
    /// Why there is no comparison (a check-out's own report, or no earlier check-out).
    public var comparisonNote: String?
    public var photos: [PhotoUse]
    /// The inspection's damages; on a return each has its comparison status.
    public var damages: [Damage]
    /// The check-out's damages not seen on the return.
    public var notSeen: [Damage]
    /// Why the case needs a closer look (many damages to review, a plate mismatch); empty when routine.
    public var edgeCases: [String]
    public var generatedAt: Date
    /// What the new damages would cost to repair, when a cost matrix is configured (returns compared with a check-out).
    public var costs: CostEstimate?
    /// The photos of the check-out this return was compared with; nil on a check-out, without
    /// one, and in reports written before evidence was kept.
    public var comparedPhotos: [PhotoUse]?
    /// Per view photographed at both inspections, the framing shift the comparison applied (nil
    /// without a comparison).
    public var framing: [FramingShift]?

    public init(
        inspection: InspectionSummary, vehicle: VehicleRef, vehicleID: UUID?, plate: PlateVerdict, comparedWith: InspectionSummary?,
        comparisonNote: String?, photos: [PhotoUse], damages: [Damage], notSeen: [Damage], edgeCases: [String], generatedAt: Date
    ) {
        self.inspection = inspection
        self.vehicle = vehicle
        self.vehicleID = vehicleID
        self.plate = plate
        self.comparedWith = comparedWith
        self.comparisonNote = comparisonNote
        self.photos = photos
        self.damages = damages
        self.notSeen = notSeen
        self.edgeCases = edgeCases
        self.generatedAt = generatedAt
    }

    /// Damages of the inspection with `status`, in order.
    public func damages(_ status: DamageStatus) -> [Damage] {
        (damages + notSeen).filter { $0.status == status }
    }

    /// Every damage id the report knows (its own and the check-out's).
    public var allDamages: [Damage] { damages + notSeen }
}

/// The parts of an inspection a report names.
public struct InspectionSummary: Sendable, Equatable, Codable {
    public var id: UUID
    public var kind: Inspection.Kind
    public var station: String
    public var reference: String?
    public var createdAt: Date
    public var completedAt: Date?

    public init(_ inspection: Inspection) {
        id = inspection.id
        kind = inspection.kind
        station = inspection.station
        reference = inspection.reference
        createdAt = inspection.createdAt
        completedAt = inspection.completedAt
    }
}

/// A photo of the inspection and whether the report could use it.
public struct PhotoUse: Sendable, Equatable, Codable {
    public var id: UUID
    public var view: Photo.View
    public var status: Photo.Status
    /// Passed the quality gate: evidence of damage.
    public var used: Bool
    /// Why it was not used (the quality gate's reasons, or the processing error).
    public var reason: String?
    /// Hex SHA-256 of the stored file (nil in reports written before evidence was kept).
    public var sha256: String?
    /// When the camera says it took the photo (see `Photo.capturedAt`).
    public var capturedAt: String?
    /// When the photo was uploaded.
    public var uploadedAt: Date?

    public init(id: UUID, view: Photo.View, status: Photo.Status, used: Bool, reason: String?) {
        self.id = id
        self.view = view
        self.status = status
        self.used = used
        self.reason = reason
    }

    /// How the report uses `photo`, with its hash and times.
    public init(_ photo: Photo) {
        self.init(
            id: photo.id, view: photo.view, status: photo.status, used: photo.isEvidence,
            reason: photo.isEvidence ? nil : photo.quality?.issues.map(\.message).joined(separator: "; ") ?? photo.error ?? photo.status.rawValue
        )
        sha256 = photo.sha256
        capturedAt = photo.capturedAt
        uploadedAt = photo.createdAt
    }
}

/// The prose of a report and who wrote it.
public struct ReportProse: Sendable, Equatable, Codable {
    /// A paragraph for the station manager and the customer.
    public var summary: String
    /// One sentence per damage, by damage id.
    public var damageNotes: [DamageNote]
    /// The provider that wrote it (`template` for the deterministic text).
    public var provider: String
    /// Providers whose answers were discarded, and why (unavailable, ungrounded).
    public var discarded: [String]
    /// The language it is written in (nil: English, as before languages were offered).
    public var language: ReportLanguage?

    public init(summary: String, damageNotes: [DamageNote], provider: String, discarded: [String] = []) {
        self.summary = summary
        self.damageNotes = damageNotes
        self.provider = provider
        self.discarded = discarded
    }

    public struct DamageNote: Sendable, Equatable, Codable {
        public var id: String
        public var text: String

        public init(id: String, text: String) {
            self.id = id
            self.text = text
        }
    }
}
