import Foundation

/// The evidence of one damage that could be charged: the return photo's crop around it beside the
/// check-out photo's crop of the same place (moved by the view's framing shift), each photo with
/// its hash, times and station, so a reviewer and the renter see both and can check the files.
public struct DamageEvidence: Sendable, Equatable, Codable {
    public var damage: String
    public var returned: EvidenceCrop
    /// Nil when the check-out has no usable photo of the damage's view.
    public var checkout: EvidenceCrop?
    /// Why there is no check-out crop.
    public var checkoutMissing: String?

    public init(damage: String, returned: EvidenceCrop, checkout: EvidenceCrop?, checkoutMissing: String?) {
        self.damage = damage
        self.returned = returned
        self.checkout = checkout
        self.checkoutMissing = checkoutMissing
    }

    /// Which side of the comparison a crop shows.
    public enum Side: String, Sendable, Codable, CaseIterable {
        case `return`
        case checkout
    }

    public func crop(_ side: Side) -> EvidenceCrop? { side == .return ? returned : checkout }
}

/// A region of one photo, in 0–1 coordinates of the upright photo, and the photo's provenance.
public struct EvidenceCrop: Sendable, Equatable, Codable {
    public var photoID: UUID
    public var inspectionID: UUID
    public var station: String
    public var view: Photo.View
    /// The part of the photo shown.
    public var region: Box
    /// The damage's box; on the check-out, where the return's box lies after the framing shift.
    public var box: Box
    public var sha256: String?
    public var capturedAt: String?
    public var uploadedAt: Date?

    public init(photo: PhotoUse, inspection: InspectionSummary, region: Box, box: Box) {
        photoID = photo.id
        inspectionID = inspection.id
        station = inspection.station
        view = photo.view
        self.region = region
        self.box = box
        sha256 = photo.sha256
        capturedAt = photo.capturedAt
        uploadedAt = photo.uploadedAt
    }
}

extension InspectionReport {
    /// The share of the frame a crop covers at least (each side), so a small damage is shown with
    /// enough of the car around it to recognise the place.
    public static let evidenceMinimumSide = 0.3
    /// How many times the damage's box a crop is (each side).
    public static let evidenceMargin = 2.0

    /// The evidence of every damage that could be charged (the comparison's `new` and
    /// `needs_review` damages, and those reviewers drew), in report order; empty unless this is a
    /// return compared with a check-out.
    public func evidence(review: ReportReview) -> [DamageEvidence] {
        guard inspection.kind == .return, let comparedWith else { return [] }
        var located: [(id: String, photo: UUID, region: Box)] = damages.compactMap { damage in
            guard ReportReview.isChargeCandidate(damage, in: self), let best = damage.sightings.first else { return nil }
            return (damage.id, best.photoID, best.region)
        }
        located += review.added.map { ($0.id, $0.photoID, $0.region) }
        let ownPhotos = Dictionary(photos.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        return located.compactMap { item in
            guard let photo = ownPhotos[item.photo] else { return nil }
            let returned = EvidenceCrop(photo: photo, inspection: inspection, region: Self.cropRegion(around: item.region), box: item.region)
            guard let candidates = comparedPhotos else {
                return DamageEvidence(damage: item.id, returned: returned, checkout: nil, checkoutMissing: "the report was written before check-out photos were kept")
            }
            // The check-out's first usable photo of the same view: the one the comparison looked at.
            guard let before = candidates.first(where: { $0.view == photo.view && $0.used }) else {
                return DamageEvidence(
                    damage: item.id, returned: returned, checkout: nil,
                    checkoutMissing: "the check-out has no usable photo of the \(photo.view.rawValue) view"
                )
            }
            let shift = framing?.first(where: { $0.view == photo.view }) ?? FramingShift(view: photo.view, dx: 0, dy: 0)
            let moved = Box(x1: item.region.x1 + shift.dx, y1: item.region.y1 + shift.dy, x2: item.region.x2 + shift.dx, y2: item.region.y2 + shift.dy)
            let checkout = EvidenceCrop(photo: before, inspection: comparedWith, region: Self.cropRegion(around: moved), box: moved)
            return DamageEvidence(damage: item.id, returned: returned, checkout: checkout, checkoutMissing: nil)
        }
    }

    /// A crop around `box` (0–1): `evidenceMargin` times its size, at least `evidenceMinimumSide`,
    /// at most the whole frame, moved (not shrunk) to lie inside the photo.
    public static func cropRegion(around box: Box) -> Box {
        func span(_ low: Double, _ high: Double) -> (Double, Double) {
            let (a, b) = (low.isFinite ? low : 0, high.isFinite ? high : 1)
            let side = min(1, max(evidenceMinimumSide, (b - a) * evidenceMargin))
            let centre = (a + b) / 2
            let start = min(max(centre - side / 2, 0), 1 - side)
            return (start, start + side)
        }
        let (x1, x2) = span(box.x1, box.x2)
        let (y1, y2) = span(box.y1, box.y2)
        return Box(x1: x1, y1: y1, x2: x2, y2: y2)
    }
}
