import Foundation
import WalkaroundCore

/// The report of an inspection, as stored: requested when the inspection is completed, written by
/// the report job.
public struct StoredReport: Sendable, Equatable {
    public var inspectionID: UUID
    public var status: Status
    public var requestedAt: Date
    public var writtenAt: Date?
    /// Present once written.
    public var report: InspectionReport?
    public var prose: ReportProse?

    /// `queued` until the report job has written it.
    public enum Status: String, Sendable, Codable {
        case queued
        case written
    }
}

/// Reports in the database; the structured data and the prose are kept as JSON.
public struct ReportRepository: Sendable {
    public let database: any SQLDatabase

    public init(database: any SQLDatabase) {
        self.database = database
    }

    /// Records that a report is wanted (again, when the inspection is re-completed), in the caller's transaction.
    public func request(_ inspectionID: UUID, at date: Date, in db: any SQLExecutor) async throws {
        try await db.execute("DELETE FROM reports WHERE inspection_id = \(inspectionID)")
        try await db.execute(
            """
            INSERT INTO reports (inspection_id, status, requested_at) VALUES (\(inspectionID), \(StoredReport.Status.queued.rawValue), \(date))
            """
        )
    }

    /// Stores the written report, and each of the inspection's detections' comparison status.
    public func store(_ report: InspectionReport, prose: ReportProse, at date: Date, in db: any SQLExecutor) async throws {
        let data = String(decoding: try Self.encoder.encode(report), as: UTF8.self)
        let text = String(decoding: try Self.encoder.encode(prose), as: UTF8.self)
        try await db.execute(
            """
            UPDATE reports SET status = \(StoredReport.Status.written.rawValue), compared_with = \(report.comparedWith?.id),
                provider = \(prose.provider), data = \(data), prose = \(text), written_at = \(date)
            WHERE inspection_id = \(report.inspection.id)
            """
        )
        for damage in report.damages {
            for sighting in damage.sightings {
                try await db.execute("UPDATE detections SET status = \(damage.status?.sqlValue) WHERE id = \(sighting.detectionID)")
            }
        }
    }

    /// Replaces the prose of the report stored at `writtenAt` (and only that one: a report written
    /// again meanwhile keeps its own); false when there is no such report any more.
    public func replaceProse(of inspectionID: UUID, writtenAt: Date, with prose: ReportProse, in db: any SQLExecutor) async throws -> Bool {
        let text = String(decoding: try Self.encoder.encode(prose), as: UTF8.self)
        return try await !db.execute(
            """
            UPDATE reports SET provider = \(prose.provider), prose = \(text)
            WHERE inspection_id = \(inspectionID) AND status = \(StoredReport.Status.written.rawValue) AND written_at = \(writtenAt)
            RETURNING inspection_id
            """
        ).isEmpty
    }

    public func get(_ inspectionID: UUID) async throws -> StoredReport? {
        guard let row = try await database.first("SELECT * FROM reports WHERE inspection_id = \(inspectionID)") else { return nil }
        return StoredReport(
            inspectionID: try row.uuid("inspection_id"),
            status: try row.value("status"),
            requestedAt: try row.date("requested_at"),
            writtenAt: try row.optionalDate("written_at"),
            report: try row.optionalString("data").map { try Self.decoder.decode(InspectionReport.self, from: Data($0.utf8)) },
            prose: try row.optionalString("prose").map { try Self.decoder.decode(ReportProse.self, from: Data($0.utf8)) }
        )
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()
}

extension InspectionRepository {
    /// The vehicle's latest completed check-out created before `date`, the one a return is compared with.
    public func lastCompletedCheckout(vehicleID: UUID, before date: Date) async throws -> Inspection? {
        try await database.first(
            """
            SELECT * FROM inspections
            WHERE vehicle_id = \(vehicleID) AND kind = \(Inspection.Kind.checkout.sqlValue)
              AND status = \(Inspection.Status.completed.sqlValue) AND created_at < \(date)
            ORDER BY created_at DESC, id DESC LIMIT 1
            """
        ).map(Inspection.init(row:))
    }
}
