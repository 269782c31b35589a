import Foundation
import Imaging
import Inference
import Logging
import Metrics
import Storage
import WalkaroundCore

/// The processing stage of a photo job: decodes the stored photo (orientation applied, scaled to
/// the model input), runs the quality gate, then the detection models on every photo that could
/// be decoded (a rejected photo's detections are kept but never count as evidence). The verdict,
/// measures, perceptual hash and detections are stored in one transaction.
///
/// A photo that cannot be decoded (corrupt, truncated, over the pixel limit) is `rejected` with
/// the reason, not retried: the same bytes would fail the same way.
public struct PhotoProcessor: Sendable {
    public let database: any SQLDatabase
    public let blobs: PhotoBlobStore
    public let queue: JobQueue
    public let analyzer: PhotoAnalyzer
    /// The detection models; nil runs the quality gate only.
    public let inference: InferenceService?
    /// Added before the stage finishes; a fault-injection knob for crash tests and demos, zero otherwise.
    public var stageDelay: Duration
    private let processingSeconds: Metrics.Timer

    public init(
        database: any SQLDatabase, blobs: PhotoBlobStore, queue: JobQueue, analyzer: PhotoAnalyzer = PhotoAnalyzer(),
        inference: InferenceService? = nil, stageDelay: Duration = .zero, metrics: any MetricsFactory
    ) {
        self.inference = inference
        self.database = database
        self.blobs = blobs
        self.queue = queue
        self.analyzer = analyzer
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
        let analysis = analyzer.analyze(bytes)
        let detections = try await detect(analysis, photo: photo)
        if stageDelay > .zero { try await Task.sleep(for: stageDelay) }
        let finished = Date()
        let size = analysis.header?.uprightSize
        let maxDistance = analyzer.thresholds.maxDuplicateDistance
        try await database.transaction { db in
            var report = analysis.report
            if report.accepted, let hash = report.measures.flatMap({ PerceptualHash(hex: $0.perceptualHash) }) {
                try await photos.lockInspection(photo.inspectionID, in: db)
                let earlier = try await photos.acceptedHashes(of: photo.inspectionID, excluding: photo.id, in: db)
                if let twin = earlier.first(where: { PerceptualHash(hex: $0.hash).map { $0.distance(to: hash) <= maxDistance } ?? false }) {
                    report = report.markingDuplicate(of: twin.view.rawValue)
                }
            }
            try await photos.recordAnalysis(
                photo.id, width: size?.width, height: size?.height, orientation: analysis.header?.orientation.rawValue,
                quality: report, at: finished, in: db
            )
            try await DetectionRepository(database: database).replace(detections, of: photo.id, in: db)
            try await queue.complete(job, at: finished, in: db)
        }
        processingSeconds.record(duration: .nanoseconds(Int64(max(0, finished.timeIntervalSince(photo.createdAt)) * 1e9)))
    }

    /// The models' detections on a decodable photo; none without models or pixels.
    private func detect(_ analysis: PhotoAnalyzer.Analysis, photo: Photo) async throws -> [Detection] {
        guard let inference, analysis.header != nil else { return [] }
        switch inference.state {
        case .loading: throw JobFailure.transient("the detection models are still loading")
        case .failed(let reason): throw JobFailure.transient("the detection models failed to load: \(reason)")
        case .ready: break
        }
        let found: [ModelDetection]
        do {
            found = try await inference.detect { size in analysis.letterboxed(size: size)! }
        } catch let overloaded as InferenceOverloaded {
            throw JobFailure.transient(overloaded.description)
        } catch {
            throw JobFailure.transient("detection failed: \(error)")
        }
        let now = Date()
        return found.map {
            Detection(
                photoID: photo.id, model: $0.model, className: $0.object.className, confidence: Double($0.object.confidence),
                box: $0.object.box, createdAt: now
            )
        }
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
