import Foundation
import Storage
import WalkaroundCore

/// A photo that shows new damage in a report, with the detections to draw on it.
public struct ReportEvidence: Sendable {
    public var photo: Photo
    public var bytes: [UInt8]
    public var detections: [Detection]
    /// The damages this photo is the best sighting of, with the detection that shows each.
    public var shown: [(damage: String, detection: UUID)]
}

/// Reports: read the report of a completed inspection and the evidence of its new damages.
public struct ReportUseCases: Sendable {
    let inspections: InspectionRepository
    let reports: ReportRepository
    let photos: PhotoRepository
    let detections: DetectionRepository
    let blobs: PhotoBlobStore

    public init(database: any SQLDatabase, blobs: PhotoBlobStore) {
        inspections = InspectionRepository(database: database)
        reports = ReportRepository(database: database)
        photos = PhotoRepository(database: database)
        detections = DetectionRepository(database: database)
        self.blobs = blobs
    }

    /// The stored report (written or still pending) of an inspection the key may read reports
    /// of; `conflict` while the inspection is open.
    public func report(of inspectionID: UUID, by key: APIKey) async throws -> StoredReport {
        let inspection = try await inspections.authorized(inspectionID, for: key, .read, .report)
        guard inspection.status == .completed else {
            throw UseCaseError.conflict("inspection_open", "the report is written when the inspection is completed")
        }
        guard let stored = try await reports.get(inspection.id) else { throw UseCaseError.notFound("report") }
        return stored
    }

    /// The photo of each new damage's best sighting, each photo once, in a stable order; photos
    /// or files gone since the report was written are left out. Only for a report the caller
    /// read through `report(of:by:)`: its photos are the inspection's own.
    public func evidence(of report: InspectionReport) async throws -> [ReportEvidence] {
        var shownByPhoto: [UUID: [(damage: String, detection: UUID)]] = [:]
        for damage in report.damages(.new) {
            guard let sighting = damage.sightings.first else { continue }
            shownByPhoto[sighting.photoID, default: []].append((damage.id, sighting.detectionID))
        }
        var evidence: [ReportEvidence] = []
        for (photoID, shown) in shownByPhoto.sorted(by: { $0.key.uuidString < $1.key.uuidString }) {
            guard let photo = try await photos.get(photoID), photo.inspectionID == report.inspection.id,
                let bytes = try await blobs.read(sha256: photo.sha256)
            else { continue }
            evidence.append(ReportEvidence(photo: photo, bytes: bytes, detections: try await detections.detections(of: photo.id), shown: shown))
        }
        return evidence
    }
}
