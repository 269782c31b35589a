import Foundation
import Imaging
import Inference
import Logging
import Metrics
import Storage
import Tracing
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
    public let blobs: any PhotoStore
    public let queue: JobQueue
    public let analyzer: PhotoAnalyzer
    /// The detection models; nil runs the quality gate only.
    public let inference: (any DetectionModels)?
    /// Reads the plates the models find; nil leaves plates unread.
    public let plates: PlateReader?
    /// Added before the stage finishes; a fault-injection knob for crash tests and demos, zero otherwise.
    public var stageDelay: Duration
    /// Tells subscribers about rejected photos; nil sends nothing.
    public var outbox: WebhookOutbox?
    /// Uploads of this process, still in memory: read instead of the file when there.
    public var handoff: UploadHandoff?
    /// Tells the inspection's event streams when the photo starts and when its verdict is stored.
    public var events: InspectionEvents?
    /// Detections of bytes already seen with these models (Redis); nil runs the models every time.
    public var detectionCache: DetectionCache?
    private let processingSeconds: Metrics.Timer
    private let metrics: any MetricsFactory

    public init(
        database: any SQLDatabase, blobs: any PhotoStore, queue: JobQueue, analyzer: PhotoAnalyzer = PhotoAnalyzer(),
        inference: (any DetectionModels)? = nil, plates: PlateReader? = nil, stageDelay: Duration = .zero, metrics: any MetricsFactory
    ) {
        self.inference = inference
        self.plates = plates
        self.database = database
        self.blobs = blobs
        self.queue = queue
        self.analyzer = analyzer
        self.stageDelay = stageDelay
        self.processingSeconds = Metrics.Timer(label: "walkaround_photo_processing_seconds", factory: metrics)
        self.metrics = metrics
    }

    /// The analyzer photos are decoded and measured with: at the scale both the gate and the
    /// models need, the (largest) model's input size, whose letterbox the model then takes as it
    /// is (at 640 for a 480 model it decoded finer, measured more pixels and resampled a second time).
    public var effectiveAnalyzer: PhotoAnalyzer {
        var analyzer = self.analyzer
        if let size = inference?.inputSizes.max() { analyzer.modelSize = size }
        return analyzer
    }

    /// Records how long one stage of a photo's processing took (`walkaround_photo_stage_seconds`):
    /// `queue` (upload committed → claimed and started), `read` (the stored file), `decode_gate`
    /// (decode at the model's scale and the quality measures), `inference` (every model, batching
    /// included), `plates`, `store` (the transaction with the verdict and detections).
    private func stage(_ name: String, since start: ContinuousClock.Instant) -> ContinuousClock.Instant {
        let now = ContinuousClock.now
        record(stage: name, now - start)
        return now
    }

    private func record(stage name: String, _ duration: Duration) {
        Metrics.Timer(label: "walkaround_photo_stage_seconds", dimensions: [("stage", name)], factory: metrics).record(duration: duration)
    }

    private static let logger = Logger(label: "photo-processor")

    /// `walkaround_photo_verdicts_total{station,verdict}` and, for a rejection,
    /// `walkaround_photo_rejections_total{station,issue}` per issue code (a fixed set).
    private func countVerdict(_ report: QualityReport, station: String?) {
        let station = station ?? "unknown"
        Counter(
            label: "walkaround_photo_verdicts_total", dimensions: [("station", station), ("verdict", report.accepted ? "accepted" : "rejected")],
            factory: metrics
        ).increment()
        guard !report.accepted else { return }
        for issue in Set(report.issues.map(\.code.rawValue)) {
            Counter(label: "walkaround_photo_rejections_total", dimensions: [("station", station), ("issue", issue)], factory: metrics).increment()
        }
    }

    /// Runs one attempt of `job`; throws `JobFailure` when the attempt fails.
    public func process(_ job: Job) async throws {
        let photos = PhotoRepository(database: database)
        guard let photoID = job.photoID, let photo = try await photos.get(photoID) else {
            // The inspection was erased while the job waited: nothing left to do.
            try await queue.complete(job, at: Date(), in: database)
            return
        }
        // A settled photo whose inspection's report is written is that report's evidence: a re-run
        // (a job queued again by hand) must not replace the detections the report refers to.
        if photo.status == .processed || photo.status == .rejected,
            try await ReportRepository(database: database).get(photo.inspectionID)?.status == .written
        {
            try await queue.complete(job, at: Date(), in: database)
            return
        }
        try await queue.markPhotoProcessing(job, photoID: photo.id)
        await events?.changed(photo.inspectionID)
        // From the upload's commit (its row's time) to here: waiting for a worker and the claim.
        record(stage: "queue", .nanoseconds(Int64(max(0, min(Date().timeIntervalSince(photo.createdAt), 86_400)) * 1e9)))
        var clock = ContinuousClock.now
        // Tell the models a photo is on its way, so a batch waits for it only when one is coming.
        let expectation = await inference?.expectPhoto()
        defer { expectation?.abandon() }
        // The upload's bytes, handed over in memory when this process accepted it, else the file's.
        let handed = handoff?.take(photo.sha256)
        var stored = handed?.bytes
        if stored == nil { stored = try await blobs.read(sha256: photo.sha256) }
        guard let bytes = stored else { throw JobFailure.permanent("photo file \(photo.sha256) is missing from the photo store") }
        clock = stage("read", since: clock)
        let analyzer = effectiveAnalyzer
        let analysis: PhotoAnalyzer.Analysis = try await withSpan("decode_gate") { span in
            if let early = handed?.analysis, early.analyzer.modelSize == analyzer.modelSize, let done = try? await early.result.value {
                // Started while the upload was being stored; `decode_gate` is then what was left of it.
                span.attributes["walkaround.decode.started_at_upload"] = true
                return done
            }
            // Decoding and measuring take a core for tens of milliseconds: off the cooperative pool,
            // whose few threads also run the lease heartbeats and the request handlers.
            return try await CPUWork.pool.runIfActive { [analyzer] in analyzer.analyze(bytes) }
        }
        clock = stage("decode_gate", since: clock)
        let (detections, plateBoxes) = try await withSpan("inference") { _ in
            try await detect(analysis, photo: photo, expectation: expectation)
        }
        clock = stage("inference", since: clock)
        let inspection = try await InspectionRepository(database: database).get(photo.inspectionID)
        // The declared plate steers the country guess and is what the vote is checked against.
        let declared = plateBoxes.isEmpty ? nil : inspection?.vehicle.plate
        let readings: [PlateReading] = plateBoxes.isEmpty ? [] : await withSpan("plates") { span in
            span.attributes["walkaround.plates.boxes"] = plateBoxes.count
            return await readPlates(plateBoxes, bytes: bytes, analysis: analysis, photo: photo, declared: declared)
        }
        if !plateBoxes.isEmpty { clock = stage("plates", since: clock) }
        if stageDelay > .zero { try await Task.sleep(for: stageDelay) }
        let finished = Date()
        let size = analysis.header?.uprightSize
        let maxDistance = self.analyzer.thresholds.maxDuplicateDistance
        let verdict = try await withSpan("store") { _ in try await database.transaction { db -> QualityReport in
            var report = analysis.report
            let hash = report.accepted ? report.measures.flatMap({ PerceptualHash(hex: $0.perceptualHash) }) : nil
            // The inspection first, as in every transaction that writes an inspection's data (uploads,
            // erasure, reports): one lock order, no deadlock. It also makes the duplicate check and
            // the plate vote, which read the other photos, one at a time per inspection.
            try await photos.lockInspection(photo.inspectionID, in: db)
            if let hash {
                let earlier = try await photos.acceptedHashes(of: photo.inspectionID, excluding: photo.id, in: db)
                if let twin = earlier.first(where: { PerceptualHash(hex: $0.hash).map { $0.distance(to: hash) <= maxDistance } ?? false }) {
                    report = report.markingDuplicate(of: twin.view.rawValue)
                }
            }
            if !report.accepted, let outbox, let inspection {
                let event = PhotoRejectedEvent(
                    inspectionId: photo.inspectionID, photoId: photo.id, station: inspection.station, view: photo.view, issues: report.issues,
                    advice: report.advice
                )
                try await outbox.emit(.photoRejected, inspection: photo.inspectionID, station: inspection.station, data: event, at: finished, in: db)
            }
            try await photos.recordAnalysis(
                photo.id, width: size?.width, height: size?.height, orientation: analysis.header?.orientation.rawValue,
                capturedAt: analysis.header?.capturedAt,
                quality: report, at: finished, in: db
            )
            try await DetectionRepository(database: database).replace(detections, of: photo.id, in: db)
            try await PlateReadingRepository(database: database).replace(readings, of: photo.id, in: db)
            try await queue.complete(job, at: finished, in: db)
            // A photo with readings may change the vote (as evidence or not); one without cannot.
            if !readings.isEmpty {
                let evidence = try await PlateReadingRepository(database: database).evidence(ofInspection: photo.inspectionID, in: db)
                try await InspectionRepository(database: database).setPlateVerdict(
                    photo.inspectionID, PlateVote.vote(evidence, declared: declared), in: db
                )
            }
            return report
        } }
        _ = stage("store", since: clock)
        countVerdict(verdict, station: inspection?.station)
        await events?.changed(photo.inspectionID)
        let endToEnd = max(0, min(finished.timeIntervalSince(photo.createdAt), 86_400))
        processingSeconds.record(duration: .nanoseconds(Int64(endToEnd * 1e9)))
        // One line per photo, in its trace: the slow ones are found in Loki by `ms` (upload to findings).
        Self.logger.info(
            "photo processed",
            metadata: [
                "photo_id": "\(photo.id)", "inspection_id": "\(photo.inspectionID)", "station": "\(inspection?.station ?? "")",
                "verdict": "\(verdict.accepted ? "accepted" : "rejected")", "detections": "\(detections.count)",
                "ms": "\((endToEnd * 1000).rounded())",
            ]
        )
    }

    /// The models' detections on a decodable photo (none without models or pixels), and the boxes
    /// of the classes whose role is `plate`.
    private func detect(_ analysis: PhotoAnalyzer.Analysis, photo: Photo, expectation: PhotoExpectation?) async throws -> ([Detection], [Box]) {
        guard let inference, analysis.header != nil else { return ([], []) }
        switch inference.state {
        case .loading: throw JobFailure.unavailable("the detection models are still loading")
        case .failed(let reason): throw JobFailure.transient("the detection models failed to load: \(reason)")
        case .ready: break
        }
        var found: [ModelDetection]
        let digest = inference.modelsDigest
        let upright = analysis.header?.uprightSize
        if let detectionCache, let digest, let upright,
            let cached = await detectionCache.get(
                sha256: photo.sha256, digest: digest, width: upright.width, height: upright.height, models: inference.modelNames
            )
        {
            // The models will not see this photo: no batch may wait for it.
            expectation?.abandon()
            found = cached
        } else {
            do {
                found = try await inference.detect(expectation: expectation) { size in analysis.letterboxed(size: size)! }
            } catch let overloaded as InferenceOverloaded {
                throw JobFailure.unavailable(overloaded.description)
            } catch let remote as RemoteInference.Unavailable where remote.podsDown {
                throw JobFailure.unavailable("detection failed: \(remote)")
            } catch {
                throw JobFailure.transient("detection failed: \(error)")
            }
            if let detectionCache, let digest { await detectionCache.set(found, sha256: photo.sha256, digest: digest) }
        }
        let now = Date()
        // Stored by what they are: damages and plates by their class, parts by the part they name;
        // `ignore` classes not at all.
        let detections = found.compactMap { found -> Detection? in
            let role: Detection.Role
            var className = found.object.className
            switch found.role {
            case .damage: role = .damage
            case .plate: role = .plate
            case .part:
                guard let part = found.part else { return nil }
                role = .part
                className = part.rawValue
            case .ignore: return nil
            }
            return Detection(
                photoID: photo.id, model: found.model, className: className, confidence: Double(found.object.confidence),
                box: found.object.box, role: role, createdAt: now
            )
        }
        return (detections, found.filter { $0.role == .plate }.map(\.object.box))
    }

    /// The plate readings of the `plate` boxes (see `PlateReader.readPlates`).
    private func readPlates(_ boxes: [Box], bytes: [UInt8], analysis: PhotoAnalyzer.Analysis, photo: Photo, declared: String?) async
        -> [PlateReading]
    {
        guard let plates, analysis.header != nil else { return [] }
        let preferred = declared.flatMap { PlateGrammar.best($0)?.country }
        return await plates.readPlates(in: bytes, decoder: analyzer.decoder, boxes: boxes, preferredCountry: preferred).map {
            PlateReading(photoID: photo.id, box: $0.box, read: $0.text, at: Date())
        }
    }

    /// Records a failed attempt on the job and the photo: queued again, or failed with the reason kept.
    /// Returns the job's status after it: `queued` again (to retry) or `failed` for good.
    @discardableResult
    public func recordFailure(_ job: Job, _ failure: JobFailure, quarantine: Bool = false) async throws -> Job.Status {
        let photos = PhotoRepository(database: database)
        return try await database.transaction { db in
            if let photoID = job.photoID { try await photos.lockInspection(ofPhoto: photoID, in: db) }
            let status = try await queue.fail(job, failure: failure, quarantine: quarantine, at: Date(), in: db)
            let photoStatus: Photo.Status = status == .queued ? .queued : .failed
            if let photoID = job.photoID { try await photos.setStatus(photoID, photoStatus, error: failure.reason, in: db) }
            if let deliveryID = job.deliveryID, status != .queued {
                try await WebhookRepository(database: database).markFailed(deliveryID, reason: failure.reason, in: db)
            }
            return status
        }
    }
}

/// `photo.rejected`: which photo, why, and what to do about it (a station app asks for a retake).
struct PhotoRejectedEvent: Encodable {
    var inspectionId: UUID
    var photoId: UUID
    var station: String
    var view: Photo.View
    var issues: [QualityIssue]
    var advice: String?
}
