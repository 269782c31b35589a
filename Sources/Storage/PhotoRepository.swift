import Foundation
import WalkaroundCore

/// Photos in the database.
public struct PhotoRepository: Sendable {
    public let database: any SQLDatabase

    public init(database: any SQLDatabase) {
        self.database = database
    }

    public func insert(_ photo: Photo, in db: any SQLExecutor) async throws {
        try await db.execute(
            """
            INSERT INTO photos (id, inspection_id, view, sha256, format, byte_count, status, width, height, error, created_at, processed_at)
            VALUES (\(photo.id), \(photo.inspectionID), \(photo.view.sqlValue), \(photo.sha256), \(photo.format.sqlValue),
                    \(photo.byteCount), \(photo.status.sqlValue), \(photo.width), \(photo.height), \(photo.error),
                    \(photo.createdAt), \(photo.processedAt))
            """
        )
    }

    public func get(_ id: UUID) async throws -> Photo? {
        try await database.first("SELECT * FROM photos WHERE id = \(id)").map(Photo.init(row:))
    }

    /// The photos of an inspection in upload order.
    public func photos(of inspectionID: UUID, in db: (any SQLExecutor)? = nil) async throws -> [Photo] {
        try await (db ?? database).execute("SELECT * FROM photos WHERE inspection_id = \(inspectionID) ORDER BY created_at, id")
            .map(Photo.init(row:))
    }

    /// Whether the inspection has a photo of `view` other than `photoID` (the new one is then a retake).
    public func hasOther(_ view: Photo.View, of inspectionID: UUID, than photoID: UUID) async throws -> Bool {
        try await database.first(
            "SELECT 1 AS one FROM photos WHERE inspection_id = \(inspectionID) AND view = \(view.rawValue) AND id <> \(photoID) LIMIT 1"
        ) != nil
    }

    public func count(of inspectionID: UUID, in db: any SQLExecutor) async throws -> Int {
        try await db.first("SELECT COUNT(*) AS n FROM photos WHERE inspection_id = \(inspectionID)")?.int("n") ?? 0
    }

    public func setStatus(_ id: UUID, _ status: Photo.Status, error: String? = nil, in db: (any SQLExecutor)? = nil) async throws {
        try await (db ?? database).execute(
            "UPDATE photos SET status = \(status.sqlValue), error = \(error) WHERE id = \(id)"
        )
    }

    /// Records what the quality gate found: `processed` when the photo passed, `rejected` when not.
    /// `width`/`height`/`orientation` are nil for a photo that could not be decoded.
    public func recordAnalysis(
        _ id: UUID, width: Int?, height: Int?, orientation: Int?, capturedAt: String? = nil, quality: QualityReport, at date: Date, in db: any SQLExecutor
    ) async throws {
        let status: Photo.Status = quality.accepted ? .processed : .rejected
        try await db.execute(
            """
            UPDATE photos SET status = \(status.sqlValue), width = \(width), height = \(height), orientation = \(orientation),
                captured_at = \(capturedAt),
                quality = \(try Self.encode(quality)), phash = \(quality.measures?.perceptualHash), error = NULL, processed_at = \(date)
            WHERE id = \(id)
            """
        )
    }

    /// Perceptual hashes of the other photos of an inspection that passed the gate, with their views.
    /// Call inside the transaction that records the verdict, after `lockInspection`.
    public func acceptedHashes(of inspectionID: UUID, excluding photoID: UUID, in db: any SQLExecutor) async throws -> [(view: Photo.View, hash: String)] {
        try await db.execute(
            """
            SELECT view, phash FROM photos
            WHERE inspection_id = \(inspectionID) AND id <> \(photoID) AND status = \(Photo.Status.processed.sqlValue) AND phash IS NOT NULL
            ORDER BY created_at, id
            """
        ).map { (try $0.value("view"), try $0.string("phash")) }
    }

    /// Serialises quality verdicts within one inspection, so two near-identical photos processed at
    /// the same moment cannot both pass. (SQLite transactions are serial already.)
    public func lockInspection(_ inspectionID: UUID, in db: any SQLExecutor) async throws {
        if db.dialect == .postgres {
            try await db.execute("SELECT id FROM inspections WHERE id = \(inspectionID) FOR UPDATE")
        }
    }

    /// Locks the inspection the photo belongs to (see `lockInspection`).
    public func lockInspection(ofPhoto photoID: UUID, in db: any SQLExecutor) async throws {
        if db.dialect == .postgres {
            try await db.execute("SELECT id FROM inspections WHERE id = (SELECT inspection_id FROM photos WHERE id = \(photoID)) FOR UPDATE")
        }
    }

    static func encode(_ quality: QualityReport) throws -> String {
        String(decoding: try JSONEncoder().encode(quality), as: UTF8.self)
    }
}

extension Photo {
    init(row: SQLRow) throws {
        self.init(
            id: try row.uuid("id"),
            inspectionID: try row.uuid("inspection_id"),
            view: try row.value("view"),
            sha256: try row.string("sha256"),
            format: try row.value("format"),
            byteCount: try row.int("byte_count"),
            status: try row.value("status"),
            width: try row.optionalInt("width"),
            height: try row.optionalInt("height"),
            orientation: try row.optionalInt("orientation"),
            capturedAt: try row.optionalString("captured_at"),
            quality: try row.optionalString("quality").flatMap { try? JSONDecoder().decode(QualityReport.self, from: Data($0.utf8)) },
            error: try row.optionalString("error"),
            createdAt: try row.date("created_at"),
            processedAt: try row.optionalDate("processed_at")
        )
    }
}
