import Foundation

/// One inspection's stored findings: the inspection, its photos and their detections.
public struct InspectionFindings: Sendable {
    public var inspection: Inspection
    public var photos: [Photo]
    public var detections: [Detection]

    public init(inspection: Inspection, photos: [Photo], detections: [Detection]) {
        self.inspection = inspection
        self.photos = photos
        self.detections = detections
    }

    /// Damage sightings (detections whose role is `damage`), on photos whose size is known.
    public var sightings: [DamageSighting] {
        let byID = Dictionary(uniqueKeysWithValues: photos.map { ($0.id, $0) })
        return detections.filter { $0.role == .damage }.compactMap { detection in
            byID[detection.photoID].flatMap { DamageSighting(detection, on: $0) }
        }
    }

    /// The car parts a part model found, by photo, in 0–1 coordinates of the upright photo.
    public var parts: [UUID: [PartSighting]] {
        let byID = Dictionary(uniqueKeysWithValues: photos.map { ($0.id, $0) })
        var found: [UUID: [PartSighting]] = [:]
        for detection in detections where detection.role == .part {
            guard let part = CarPart(rawValue: detection.className), let photo = byID[detection.photoID],
                let sighting = DamageSighting(detection, on: photo)
            else { continue }
            found[detection.photoID, default: []].append(PartSighting(part: part, region: sighting.region, confidence: detection.confidence))
        }
        return found
    }

    /// The views this inspection has photos of that passed the quality gate.
    public var evidenceViews: Set<Photo.View> { Set(photos.filter(\.isEvidence).map(\.view)) }
}

extension InspectionReport {
    /// The detector class that is a licence plate, not a damage.
    public static let plateClass = "license_plate"
    /// At this many `needs_review` damages a case is an edge case.
    public static let edgeCaseReviewCount = 3

    /// The report of `findings`: a check-out lists its damages; a return is compared with
    /// `checkout`, the vehicle's last completed check-out (nil when there is none).
    public init(findings: InspectionFindings, checkout: InspectionFindings?, comparator: DamageComparator = DamageComparator(), at date: Date) {
        let inspection = findings.inspection
        let sightings = findings.sightings
        var comparison: DamageComparison
        let note: String?
        switch (inspection.kind, checkout) {
        case (.checkout, _):
            comparison = DamageComparison(damages: comparator.damages(of: sightings, prefix: "D"), notSeen: [])
            note = "a check-out records the vehicle's condition; it is compared when the vehicle returns"
        case (.return, nil):
            comparison = comparator.compare(returned: sightings, checkout: nil)
            note = "no completed check-out of this vehicle before this return: damages cannot be called new"
        case (.return, let checkout?):
            comparison = comparator.compare(
                returned: sightings,
                checkout: CheckoutEvidence(inspectionID: checkout.inspection.id, sightings: checkout.sightings, evidenceViews: checkout.evidenceViews)
            )
            note = nil
        }
        // A part model's boxes name the part where they cover a damage (both inspections' photos).
        let parts = findings.parts.merging(checkout?.parts ?? [:]) { mine, _ in mine }
        if !parts.isEmpty {
            for index in comparison.damages.indices { comparison.damages[index].namePart(from: parts) }
            for index in comparison.notSeen.indices { comparison.notSeen[index].namePart(from: parts) }
        }
        let photos = findings.photos.map(PhotoUse.init)
        var edgeCases: [String] = []
        if inspection.plateVerdict.mismatch {
            edgeCases.append("the photos show plate \(inspection.plateVerdict.formatted ?? inspection.plateVerdict.plate ?? "?"), not the declared one")
        }
        let review = comparison.count(.needsReview)
        if review >= Self.edgeCaseReviewCount {
            edgeCases.append("\(review) damages need review")
        }
        self.init(
            inspection: InspectionSummary(inspection), vehicle: inspection.vehicle, vehicleID: inspection.vehicleID, plate: inspection.plateVerdict,
            comparedWith: inspection.kind == .return ? checkout.map { InspectionSummary($0.inspection) } : nil, comparisonNote: note,
            photos: photos, damages: comparison.damages, notSeen: comparison.notSeen, edgeCases: edgeCases, generatedAt: date
        )
        if inspection.kind == .return, let checkout {
            comparedPhotos = checkout.photos.map(PhotoUse.init)
            framing = comparison.framing
        }
    }
}
