import Foundation
import Imaging
import Logging
import Metrics
import Storage
import WalkaroundCore

/// The processing stage of a photo job: reads the stored photo and records what it finds.
///
/// For now it reads the image header (format and dimensions); the imaging, quality and detection
/// stages join here.
public struct PhotoProcessor: Sendable {
    public let database: any SQLDatabase
    public let blobs: PhotoBlobStore
    public let queue: JobQueue
    /// Added before the stage finishes; a fault-injection knob for crash tests and demos, zero otherwise.
    public var stageDelay: Duration
    private let processingSeconds: Metrics.Timer

    public init(database: any SQLDatabase, blobs: PhotoBlobStore, queue: JobQueue, stageDelay: Duration = .zero, metrics: any MetricsFactory) {
        self.database = database
        self.blobs = blobs
        self.queue = queue
        self.stageDelay = stageDelay
        self.processingSeconds = Metrics.Timer(label: "walkaround_photo_processing_seconds", factory: metrics)
    }

    /// Runs one attempt of `job`; throws `JobFailure` when the attempt fails.
    public func process(_ job: Job) async throws {
        let photos = PhotoRepository(database: database)
        guard let photo = try await photos.get(job.photoID) else {
            // The inspection was erased while the job waited: nothing left to do.
            try await queue.complete(job, at: Date(), in: database)
            return
        }
        try await photos.setStatus(photo.id, .processing)
        guard let bytes = try await blobs.read(sha256: photo.sha256) else {
            throw JobFailure.permanent("photo file \(photo.sha256) is missing from the photo store")
        }
        let header: ImageHeader
        do {
            header = try ImageHeader.read(bytes)
        } catch {
            throw JobFailure.permanent(error.description)
        }
        if stageDelay > .zero { try await Task.sleep(for: stageDelay) }
        let finished = Date()
        try await database.transaction { db in
            try await photos.markProcessed(photo.id, width: header.width, height: header.height, at: finished, in: db)
            try await queue.complete(job, at: finished, in: db)
        }
        processingSeconds.record(duration: .nanoseconds(Int64(max(0, finished.timeIntervalSince(photo.createdAt)) * 1e9)))
    }

    /// Records a failed attempt on the job and the photo: queued again, or failed with the reason kept.
    public func recordFailure(_ job: Job, _ failure: JobFailure) async throws {
        let photos = PhotoRepository(database: database)
        try await database.transaction { db in
            let status = try await queue.fail(job, failure: failure, at: Date(), in: db)
            let photoStatus: Photo.Status = status == .failed ? .failed : .queued
            try await photos.setStatus(job.photoID, photoStatus, error: failure.reason, in: db)
        }
    }
}
