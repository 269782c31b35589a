import Foundation
import Storage
import WalkaroundCore

/// Accepts an uploaded photo so that nothing acknowledged is ever lost: the file is written
/// durably first, then the photo row, its processing job and the idempotency record commit in
/// one transaction. A crash before the commit leaves only an unreferenced file, which the janitor
/// removes; after it, the job is in the queue. A refused upload removes its file unless another
/// photo uses the same bytes (`PhotoFileCollector`).
public struct PhotoIntake: Sendable {
    public struct Upload: Sendable {
        public var inspectionID: UUID
        public var view: Photo.View
        public var bytes: [UInt8]
        public var format: ImageFormat
        /// The client's `Idempotency-Key`, scoped to the API key that sent it.
        public var idempotency: (apiKeyID: UUID, key: String)?
        /// The bytes' SHA-256 when it was computed as they arrived; nil: computed here.
        public var sha256: String?

        public init(
            inspectionID: UUID, view: Photo.View, bytes: [UInt8], format: ImageFormat, idempotency: (apiKeyID: UUID, key: String)?, sha256: String? = nil
        ) {
            self.sha256 = sha256
            self.inspectionID = inspectionID
            self.view = view
            self.bytes = bytes
            self.format = format
            self.idempotency = idempotency
        }
    }

    /// What the caller answers: a new photo, or the first answer to a retried request.
    public enum Outcome: Sendable {
        case accepted(Photo, response: IdempotentResponse)
        case replayed(IdempotentResponse)
    }

    /// Why an upload was refused; nothing was stored in the database.
    public enum Refusal: Error, Equatable {
        case inspectionNotFound
        case inspectionCompleted
        case photoLimitReached(Int)
        case idempotencyKeyReused
    }

    public let database: any SQLDatabase
    public let blobs: any PhotoStore
    public let queue: JobQueue
    public let maxPhotosPerInspection: Int
    public let signal: WakeSignal
    /// Where an accepted upload's bytes wait for this process's worker (nil: it reads the file).
    public let handoff: UploadHandoff?
    /// Tells the inspection's event streams about an accepted photo.
    public var events: InspectionEvents?

    public init(
        database: any SQLDatabase, blobs: any PhotoStore, queue: JobQueue, maxPhotosPerInspection: Int, signal: WakeSignal, handoff: UploadHandoff? = nil
    ) {
        self.handoff = handoff
        self.database = database
        self.blobs = blobs
        self.queue = queue
        self.maxPhotosPerInspection = maxPhotosPerInspection
        self.signal = signal
    }

    /// Stores the upload; `render` turns the new photo into the response body kept for replays.
    public func accept(_ upload: Upload, status: Int, render: @Sendable (Photo) throws -> String) async throws -> Outcome {
        let sha256 = upload.sha256 ?? PhotoBlobStore.address(of: upload.bytes)
        let fingerprint = "\(upload.inspectionID.uuidString)|\(upload.view.rawValue)|\(sha256)"
        let idempotency = IdempotencyRepository(database: database)
        if let replay = try await previousAnswer(upload, fingerprint: fingerprint, in: idempotency) { return .replayed(replay) }

        // The worker's decode starts now, beside the fsync and the commit; dropped if refused.
        let early = handoff?.startAnalysis(upload.bytes)
        try await blobs.store(upload.bytes, sha256: sha256)
        let photo = Photo(
            inspectionID: upload.inspectionID,
            view: upload.view,
            sha256: sha256,
            format: upload.format,
            byteCount: upload.bytes.count,
            createdAt: Date().truncatedToMicroseconds
        )
        let response = IdempotentResponse(fingerprint: fingerprint, status: status, body: try render(photo))
        do {
            try await database.transaction { db in
                guard let inspection = try await InspectionRepository(database: database).getForUpdate(upload.inspectionID, in: db) else {
                    throw Refusal.inspectionNotFound
                }
                // Under the address lock the file is either still there or was collected meanwhile
                // (an erasure of the only other photo with these bytes): then it is written again.
                try await db.lockAddress(sha256)
                if try await !blobs.exists(sha256: sha256) { try await blobs.store(upload.bytes, sha256: sha256) }
                guard inspection.status == .open else { throw Refusal.inspectionCompleted }
                let photos = PhotoRepository(database: database)
                guard try await photos.count(of: upload.inspectionID, in: db) < maxPhotosPerInspection else {
                    throw Refusal.photoLimitReached(maxPhotosPerInspection)
                }
                try await photos.insert(photo, in: db)
                try await queue.enqueue(photoID: photo.id, at: photo.createdAt, in: db)
                if let (apiKeyID, key) = upload.idempotency {
                    try await idempotency.insert(
                        apiKeyID: apiKeyID, key: key, inspectionID: upload.inspectionID, photoID: photo.id,
                        response: response, at: photo.createdAt, in: db
                    )
                }
            }
        } catch StorageError.uniqueViolation {
            // A concurrent request with the same Idempotency-Key committed first: answer as it did.
            // The file goes first unless a photo uses it, whatever the answer turns out to be.
            await removeUnreferenced(sha256)
            if let replay = try await previousAnswer(upload, fingerprint: fingerprint, in: idempotency) { return .replayed(replay) }
            throw Refusal.idempotencyKeyReused
        } catch {
            // Refused (or the database failed): the file stays only if a photo uses it.
            await removeUnreferenced(sha256)
            throw error
        }
        // Durable now (file and row): the worker of this process may take the bytes from memory.
        handoff?.put(upload.bytes, sha256: sha256, analysis: early)
        signal.jobsEnqueued()
        await events?.changed(upload.inspectionID)
        return .accepted(photo, response: response)
    }

    /// Best effort: when the collection fails too, the address is marked or the janitor's walk finds the file.
    private func removeUnreferenced(_ sha256: String) async {
        _ = try? await PhotoFileCollector(database: database, blobs: blobs).collect(sha256)
    }

    private func previousAnswer(_ upload: Upload, fingerprint: String, in repository: IdempotencyRepository) async throws -> IdempotentResponse? {
        guard let (apiKeyID, key) = upload.idempotency,
            let previous = try await repository.find(apiKeyID: apiKeyID, key: key)
        else { return nil }
        guard previous.fingerprint == fingerprint else { throw Refusal.idempotencyKeyReused }
        return previous
    }
}
