import Foundation
import Testing
@testable import WalkaroundCore

/// A part model's boxes name the part a damage is on (`CarPart.covering`), before the position rule.
@Suite struct PartModelTests {
    static func part(_ part: CarPart, _ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, _ confidence: Double = 0.9) -> PartSighting {
        PartSighting(part: part, region: Box(x1: x1, y1: y1, x2: x2, y2: y2), confidence: confidence)
    }

    @Test func theSmallestPartHoldingTheDamageNamesIt() {
        let parts = [Self.part(.frontBumper, 0, 0.6, 1, 1), Self.part(.headlampLeft, 0.7, 0.55, 0.95, 0.75)]
        // Inside both: the headlamp is the more specific part.
        #expect(CarPart.covering(Box(x1: 0.75, y1: 0.62, x2: 0.85, y2: 0.7), in: parts) == .headlampLeft)
        // Inside the bumper only.
        #expect(CarPart.covering(Box(x1: 0.2, y1: 0.8, x2: 0.3, y2: 0.9), in: parts) == .frontBumper)
    }

    @Test func aPartCoveringTooLittleOfTheDamageNamesNothing() {
        let parts = [Self.part(.bonnet, 0, 0, 0.5, 0.5)]
        // A quarter of the damage is on the bonnet's box: not enough.
        #expect(CarPart.covering(Box(x1: 0.4, y1: 0.4, x2: 0.6, y2: 0.6), in: parts) == nil)
        // Over half: the part that covers the most.
        let two = [Self.part(.frontDoorLeft, 0, 0, 0.58, 1), Self.part(.rearDoorLeft, 0.58, 0, 1, 1)]
        #expect(CarPart.covering(Box(x1: 0.4, y1: 0.4, x2: 0.6, y2: 0.6), in: two) == .frontDoorLeft)
    }

    @Test func hostileBoxesNameNothing() {
        let parts = [Self.part(.roof, .nan, 0, 1, 1), Self.part(.unknown, 0, 0, 1, 1), Self.part(.bonnet, 0, 0, .infinity, 1)]
        #expect(CarPart.covering(Box(x1: 0.2, y1: 0.2, x2: 0.3, y2: 0.3), in: parts) == nil)
        #expect(CarPart.covering(Box(x1: .nan, y1: 0, x2: 1, y2: 1), in: [Self.part(.roof, 0, 0, 1, 1)]) == nil)
        #expect(CarPart.covering(Box(x1: 0.5, y1: 0.5, x2: 0.5, y2: 0.6), in: [Self.part(.roof, 0, 0, 1, 1)]) == nil, "no area")
    }

    /// Through the report: a part model's detection on the damage's photo names the part; a
    /// damage no part box covers keeps the position rule's part; part detections are no damages.
    @Test func theReportNamesPartsFromThePartModelElseFromThePosition() {
        let now = Date()
        let inspection = Inspection(kind: .checkout, station: "MUC-01", vehicle: VehicleRef(plate: "M-AB 1"), createdAt: now)
        var photo = Photo(inspectionID: inspection.id, view: .front, sha256: "a", format: .jpeg, byteCount: 1, createdAt: now)
        photo.width = 1000
        photo.height = 1000
        photo.status = .processed
        let detections = [
            Detection(photoID: photo.id, className: "dent", confidence: 0.9, box: Box(x1: 750, y1: 620, x2: 850, y2: 700), createdAt: now),
            Detection(photoID: photo.id, className: "scratch", confidence: 0.9, box: Box(x1: 100, y1: 100, x2: 200, y2: 150), createdAt: now),
            Detection(photoID: photo.id, model: "parts", className: "headlamp_left", confidence: 0.8, box: Box(x1: 700, y1: 550, x2: 950, y2: 750), role: .part, createdAt: now),
            Detection(photoID: photo.id, model: "parts", className: "front_bumper", confidence: 0.8, box: Box(x1: 0, y1: 600, x2: 1000, y2: 1000), role: .part, createdAt: now),
        ]
        let report = InspectionReport(findings: InspectionFindings(inspection: inspection, photos: [photo], detections: detections), checkout: nil, at: now)
        #expect(report.damages.count == 2, "part boxes are not damages: \(report.damages.map(\.className))")
        let dent = report.damages.first { $0.className == "dent" }
        #expect(dent?.part == .headlampLeft && dent?.partSource == .model)
        let scratch = report.damages.first { $0.className == "scratch" }
        #expect(scratch?.part == .roof && scratch?.partSource == .position, "top 30 % of a front photo")
        // A reviewer's drawn damage on that photo takes the part model's part too.
        let drawn = AddedDamage.make(
            id: "R1", draft: AddedDamageDraft(photoID: photo.id, box: Box(x1: 300, y1: 800, x2: 400, y2: 900), className: "dent"), on: photo,
            parts: InspectionFindings(inspection: inspection, photos: [photo], detections: detections).parts[photo.id] ?? []
        )
        #expect((try? drawn.get())?.part == .frontBumper)
    }
}
