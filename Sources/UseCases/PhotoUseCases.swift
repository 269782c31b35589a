import Foundation
import Logging
import Metrics
import Pipeline
import Storage
import WalkaroundCore

/// Photos: upload to an inspection, and read the stored original with its detections. Access
/// goes through the photo's inspection.
public struct PhotoUseCases: Sendable {
    let inspections: InspectionRepository
    let photos: PhotoRepository
    let detections: DetectionRepository
    let blobs: any PhotoStore
    let intake: PhotoIntake
    let metrics: any MetricsFactory

    public init(database: any SQLDatabase, blobs: any PhotoStore, intake: PhotoIntake, metrics: any MetricsFactory = MetricsSystem.factory) {
        self.metrics = metrics
        inspections = InspectionRepository(database: database)
        photos = PhotoRepository(database: database)
        detections = DetectionRepository(database: database)
        self.blobs = blobs
        self.intake = intake
    }

    /// The inspection if the key may add photos to it: asked before the body is read, so a
    /// refused upload costs no transfer.
    public func mayUpload(to inspectionID: UUID, by key: APIKey) async throws -> Inspection {
        try await inspections.authorized(inspectionID, for: key, .create, .photo)
    }

    /// Stores the upload (see `PhotoIntake`); `render` makes the answer kept for replays of its
    /// `Idempotency-Key`, which is scoped to the key.
    public func upload(
        to inspectionID: UUID, view: Photo.View, bytes: [UInt8], sha256: String? = nil, format: ImageFormat, idempotencyKey: String?, by key: APIKey,
        logger: Logger, render: @Sendable (Photo) throws -> String
    ) async throws -> PhotoIntake.Outcome {
        let inspection = try await mayUpload(to: inspectionID, by: key)
        let upload = PhotoIntake.Upload(
            inspectionID: inspectionID, view: view, bytes: bytes, format: format, idempotency: idempotencyKey.map { (key.id, $0) }, sha256: sha256
        )
        let outcome: PhotoIntake.Outcome
        do {
            outcome = try await intake.accept(upload, status: 202, render: render)
        } catch let refusal as PhotoIntake.Refusal {
            count(station: inspection.station, "refused")
            throw UseCaseError(refusal)
        }
        switch outcome {
        case .accepted(let photo, _):
            count(station: inspection.station, "accepted")
            logger.info(
                "photo accepted",
                metadata: ["photo_id": "\(photo.id)", "inspection_id": "\(inspectionID)", "station": "\(inspection.station)", "bytes": "\(bytes.count)"]
            )
            // A second photo of a view: the station took it again (mostly after a rejection).
            if (try? await photos.hasOther(view, of: inspectionID, than: photo.id)) == true {
                Counter(label: "walkaround_photo_retakes_total", dimensions: [("station", inspection.station)], factory: metrics).increment()
            }
        case .replayed:
            count(station: inspection.station, "replayed")
        }
        return outcome
    }

    /// `walkaround_uploads_total{station,outcome}`: `accepted`, `replayed` (an Idempotency-Key
    /// answered again), `refused` (the inspection's state or limit, a reused key).
    private func count(station: String, _ outcome: String) {
        Counter(label: "walkaround_uploads_total", dimensions: [("station", station), ("outcome", outcome)], factory: metrics).increment()
    }

    /// The photo, when the key may read its inspection's photos.
    public func photo(_ id: UUID, by key: APIKey) async throws -> Photo {
        guard let photo = try await photos.get(id) else { throw UseCaseError.notFound("photo") }
        _ = try await inspections.authorized(photo.inspectionID, for: key, .read, .photo)
        return photo
    }

    /// The stored bytes of a photo the caller may read.
    public func bytes(of photo: Photo) async throws -> [UInt8] {
        guard let bytes = try await blobs.read(sha256: photo.sha256) else { throw UseCaseError.notFound("photo file") }
        return bytes
    }

    /// What was found on a photo the caller may read.
    public func detections(of photo: Photo) async throws -> [Detection] {
        try await detections.detections(of: photo.id)
    }
}

extension UseCaseError {
    init(_ refusal: PhotoIntake.Refusal) {
        switch refusal {
        case .inspectionNotFound: self = .notFound("inspection")
        case .inspectionCompleted: self = .conflict("inspection_completed", "the inspection is completed and takes no more photos")
        case .photoLimitReached(let limit): self = .conflict("photo_limit_reached", "the inspection already has \(limit) photos")
        case .idempotencyKeyReused: self = .invalid("idempotency_key_reused", "this Idempotency-Key was used for a different upload")
        }
    }
}
