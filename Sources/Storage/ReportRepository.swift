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
    /// The people's review (state `draft` and no damage reviewed until someone reviews it).
    public var review: ReportReview = ReportReview()
    /// Counts every change (prose, review): the report's ETag, what `If-Match` names.
    public var version: Int = 1
    /// The signed document of a final report (`SignedReport`), stored as it was signed.
    public var signed: Data?

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
        // The version keeps counting across a rewrite, so an ETag of the old report never
        // matches the new one.
        var version = 1
        if let old = try await db.execute("SELECT review_version, review FROM reports WHERE inspection_id = \(inspectionID)").first {
            version = min(try old.int("review_version"), Int(Int32.max) - 1) + 1
            // A report written again (its check-out erased) is another report: its review no
            // longer applies, and the audit trail says so, with what a final report charged.
            if let text = try old.optionalString("review") {
                let review = try Self.decoder.decode(ReportReview.self, from: Data(text.utf8))
                var before = ["state": review.state.rawValue]
                if let charged = review.chargeable {
                    before["chargeable_total_minor"] = String(charged.totalMinor)
                    before["currency"] = charged.currency
                }
                try await appendAudit(
                    ReviewAuditRecord(
                        inspectionID: inspectionID, at: date, action: .reviewDiscarded, keyID: nil, keyName: nil, role: "system", damage: nil,
                        before: before, after: ["state": ReportReview.State.draft.rawValue],
                        note: "the report is written again (the check-out it was compared with was erased); its review was discarded"
                    ),
                    in: db
                )
            }
        }
        try await db.execute("DELETE FROM reports WHERE inspection_id = \(inspectionID)")
        try await db.execute(
            """
            INSERT INTO reports (inspection_id, status, requested_at, review_version)
            VALUES (\(inspectionID), \(StoredReport.Status.queued.rawValue), \(date), \(version))
            """
        )
    }

    /// Stores the written report, and each of the inspection's detections' comparison status.
    /// Stores the written report, and each of the inspection's detections' comparison status;
    /// false (nothing stored) when people have reviewed the report already (a report job that
    /// runs again after its worker died must not replace what they reviewed).
    @discardableResult
    public func store(_ report: InspectionReport, prose: ReportProse, at date: Date, in db: any SQLExecutor) async throws -> Bool {
        let data = String(decoding: try Self.encoder.encode(report), as: UTF8.self)
        let text = String(decoding: try Self.encoder.encode(prose), as: UTF8.self)
        let updated = try await db.execute(
            """
            UPDATE reports SET status = \(StoredReport.Status.written.rawValue), compared_with = \(report.comparedWith?.id),
                provider = \(prose.provider), data = \(data), prose = \(text), written_at = \(date), review_version = review_version + 1,
                new_damages = \(report.damages.filter { $0.status == .new }.count)
            WHERE inspection_id = \(report.inspection.id) AND review IS NULL
            RETURNING inspection_id
            """
        )
        guard !updated.isEmpty else { return false }
        for damage in report.damages {
            for sighting in damage.sightings {
                try await db.execute("UPDATE detections SET status = \(damage.status?.sqlValue) WHERE id = \(sighting.detectionID)")
            }
        }
        return true
    }

    /// Replaces the prose of the report stored at `writtenAt` (and only that one: a report written
    /// again meanwhile keeps its own); false when there is no such report any more.
    public func replaceProse(of inspectionID: UUID, writtenAt: Date, with prose: ReportProse, in db: any SQLExecutor) async throws -> Bool {
        let text = String(decoding: try Self.encoder.encode(prose), as: UTF8.self)
        return try await !db.execute(
            """
            UPDATE reports SET provider = \(prose.provider), prose = \(text), review_version = review_version + 1
            WHERE inspection_id = \(inspectionID) AND status = \(StoredReport.Status.written.rawValue) AND written_at = \(writtenAt)
              AND review_state <> \(ReportReview.State.final.rawValue)
            RETURNING inspection_id
            """
        ).isEmpty
    }

    public func get(_ inspectionID: UUID) async throws -> StoredReport? {
        try await get(inspectionID, in: database)
    }

    /// The report as `db` (a transaction) sees it.
    public func get(_ inspectionID: UUID, in db: any SQLExecutor) async throws -> StoredReport? {
        guard let row = try await db.execute("SELECT * FROM reports WHERE inspection_id = \(inspectionID)").first else { return nil }
        return try Self.stored(row)
    }

    /// Every report people have reviewed (`reviewed` or `final`), by inspection id.
    public func reviewedReports() async throws -> [StoredReport] {
        try await database.execute(
            """
            SELECT * FROM reports WHERE status = \(StoredReport.Status.written.rawValue)
              AND review_state IN (\(ReportReview.State.reviewed.rawValue), \(ReportReview.State.final.rawValue))
            ORDER BY inspection_id
            """
        ).map(Self.stored)
    }

    static func stored(_ row: SQLRow) throws -> StoredReport {
        StoredReport(
            inspectionID: try row.uuid("inspection_id"),
            status: try row.value("status"),
            requestedAt: try row.date("requested_at"),
            writtenAt: try row.optionalDate("written_at"),
            report: try row.optionalString("data").map { try Self.decoder.decode(InspectionReport.self, from: Data($0.utf8)) },
            prose: try row.optionalString("prose").map { try Self.decoder.decode(ReportProse.self, from: Data($0.utf8)) },
            review: try row.optionalString("review").map { try Self.decoder.decode(ReportReview.self, from: Data($0.utf8)) } ?? ReportReview(),
            version: try row.int("review_version"),
            signed: try row.optionalString("signed").map { Data($0.utf8) }
        )
    }

    /// Stores `review` (and the signed document of a final one) if the report is still at
    /// `version` (nobody changed it meanwhile), with the audit records of the change, in the
    /// caller's transaction; the new version (`version` + 1), or nil when the report moved on.
    public func saveReview(
        _ review: ReportReview, of inspectionID: UUID, ifVersion version: Int, audit: [ReviewAuditRecord], signed: Data? = nil, in db: any SQLExecutor
    ) async throws -> Int? {
        let text = String(decoding: try Self.encoder.encode(review), as: UTF8.self)
        let document = signed.map { String(decoding: $0, as: UTF8.self) }
        guard
            let row = try await db.execute(
                """
                UPDATE reports SET review = \(text), review_state = \(review.state.rawValue), review_version = review_version + 1,
                    signed = \(document)
                WHERE inspection_id = \(inspectionID) AND status = \(StoredReport.Status.written.rawValue) AND review_version = \(version)
                RETURNING review_version
                """
            ).first
        else { return nil }
        for record in audit { try await appendAudit(record, in: db) }
        return try row.int("review_version")
    }

    func appendAudit(_ record: ReviewAuditRecord, in db: any SQLExecutor) async throws {
        let before = String(decoding: try Self.encoder.encode(record.before), as: UTF8.self)
        let after = String(decoding: try Self.encoder.encode(record.after), as: UTF8.self)
        try await db.execute(
            """
            INSERT INTO review_audit (id, inspection_id, changed_at, action, key_id, key_name, role, damage, before_values, after_values, note)
            VALUES (\(record.id), \(record.inspectionID), \(record.at), \(record.action.rawValue), \(record.keyID), \(record.keyName),
                    \(record.role), \(record.damage), \(before), \(after), \(record.note))
            """
        )
    }

    /// The review's audit trail of an inspection, oldest first.
    public func audit(of inspectionID: UUID) async throws -> [ReviewAuditRecord] {
        try await database.execute("SELECT * FROM review_audit WHERE inspection_id = \(inspectionID) ORDER BY changed_at, id").map { row in
            ReviewAuditRecord(
                id: try row.uuid("id"), inspectionID: try row.uuid("inspection_id"), at: try row.date("changed_at"),
                action: try row.value("action"), keyID: try row.optionalUUID("key_id"), keyName: try row.optionalString("key_name"),
                role: try row.string("role"), damage: try row.optionalString("damage"),
                before: try Self.decoder.decode([String: String].self, from: Data(try row.string("before_values").utf8)),
                after: try Self.decoder.decode([String: String].self, from: Data(try row.string("after_values").utf8)),
                note: try row.optionalString("note")
            )
        }
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
