import Foundation
import WalkaroundCore

/// Detections in the database.
public struct DetectionRepository: Sendable {
    public let database: any SQLDatabase

    public init(database: any SQLDatabase) {
        self.database = database
    }

    public func insert(_ detections: [Detection], in db: (any SQLExecutor)? = nil) async throws {
        for detection in detections {
            try await (db ?? database).execute(
                """
                INSERT INTO detections (id, photo_id, model, class_name, confidence, x1, y1, x2, y2, status, role, created_at)
                VALUES (\(detection.id), \(detection.photoID), \(detection.model), \(detection.className), \(detection.confidence),
                        \(detection.box.x1), \(detection.box.y1), \(detection.box.x2), \(detection.box.y2),
                        \(detection.status?.sqlValue), \(detection.role.rawValue), \(detection.createdAt))
                """
            )
        }
    }

    /// Replaces a photo's detections (a re-run of its job must not add a second set).
    public func replace(_ detections: [Detection], of photoID: UUID, in db: any SQLExecutor) async throws {
        try await db.execute("DELETE FROM detections WHERE photo_id = \(photoID)")
        try await insert(detections, in: db)
    }

    /// A photo's detections, most confident first.
    public func detections(of photoID: UUID) async throws -> [Detection] {
        try await database.execute("SELECT * FROM detections WHERE photo_id = \(photoID) ORDER BY confidence DESC, id")
            .map(Detection.init(row:))
    }

    /// The detections on all photos of an inspection, by photo.
    public func detections(ofInspection inspectionID: UUID) async throws -> [UUID: [Detection]] {
        let rows = try await database.execute(
            """
            SELECT d.* FROM detections d JOIN photos p ON p.id = d.photo_id
            WHERE p.inspection_id = \(inspectionID) ORDER BY d.confidence DESC, d.id
            """
        )
        return Dictionary(grouping: try rows.map(Detection.init(row:)), by: \.photoID)
    }
}

extension Detection {
    init(row: SQLRow) throws {
        self.init(
            id: try row.uuid("id"),
            photoID: try row.uuid("photo_id"),
            model: try row.optionalString("model") ?? "",
            className: try row.string("class_name"),
            confidence: try row.double("confidence"),
            box: Box(x1: try row.double("x1"), y1: try row.double("y1"), x2: try row.double("x2"), y2: try row.double("y2")),
            status: try row.optionalString("status").flatMap(DamageStatus.init(rawValue:)),
            role: try row.optionalString("role").flatMap(Detection.Role.init(rawValue:)),
            createdAt: try row.date("created_at")
        )
    }
}
