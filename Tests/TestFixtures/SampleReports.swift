import Foundation
import WalkaroundCore

/// A sighting on its own photo (or `photo`), with the box given by centre and size in 0–1 units.
public func sighting(
    _ className: String, _ view: Photo.View, x: Double, y: Double, w: Double = 0.1, h: Double = 0.08, confidence: Double = 0.8,
    evidence: Bool = true, photo: UUID = UUID()
) -> DamageSighting {
    DamageSighting(
        detectionID: UUID(), photoID: photo, view: view, className: className, confidence: confidence,
        region: Box(x1: x - w / 2, y1: y - h / 2, x2: x + w / 2, y2: y + h / 2), onEvidence: evidence
    )
}

public func checkout(_ sightings: [DamageSighting], views: Set<Photo.View> = Set(Photo.View.allCases)) -> CheckoutEvidence {
    CheckoutEvidence(inspectionID: UUID(), sightings: sightings, evidenceViews: views)
}

/// A return of M AB 1234 at MUC-01: a new scratch on the left side, a pre-existing dent at the rear,
/// and a crack at the front recorded at check-out but not seen again.
public func sampleReport(edgeCases: [String] = []) -> InspectionReport {
    let comparator = DamageComparator()
    let before = [sighting("dent", .rear, x: 0.5, y: 0.6), sighting("crack", .front, x: 0.3, y: 0.7)]
    let after = [sighting("scratch", .left, x: 0.4, y: 0.5, w: 0.2, h: 0.2), sighting("dent", .rear, x: 0.51, y: 0.6)]
    let comparison = comparator.compare(returned: after, checkout: checkout(before, views: [.left, .rear, .right]))
    var inspection = Inspection(kind: .return, station: "MUC-01", vehicle: VehicleRef(plate: "MAB1234"), createdAt: Date(timeIntervalSince1970: 1_795_000_000))
    inspection.plateVerdict = PlateVerdict(plate: "MAB1234", formatted: "M AB 1234", country: "D", confidence: 0.9, readings: 3, agreeing: 3, check: .match)
    let photos = [Photo.View.left, .rear, .front].map { PhotoUse(id: UUID(), view: $0, status: .processed, used: true, reason: nil) }
        + [PhotoUse(id: UUID(), view: .right, status: .rejected, used: false, reason: "too blurred")]
    var checkoutInspection = inspection
    checkoutInspection.kind = .checkout
    checkoutInspection.createdAt = Date(timeIntervalSince1970: 1_794_000_000)
    return InspectionReport(
        inspection: InspectionSummary(inspection), vehicle: inspection.vehicle, vehicleID: nil, plate: inspection.plateVerdict,
        comparedWith: InspectionSummary(checkoutInspection), comparisonNote: nil, photos: photos, damages: comparison.damages,
        notSeen: comparison.notSeen, edgeCases: edgeCases, generatedAt: Date()
    )
}

