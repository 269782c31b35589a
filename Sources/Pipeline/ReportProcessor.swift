import Foundation
import Logging
import Reporting
import Storage
import WalkaroundCore

/// The report stage of a completed inspection: waits until its photos (and, for a return, those
/// of the vehicle's last completed check-out) are processed, compares, writes the prose with the
/// provider chain, and stores the report, the damages' statuses and the job's completion in one
/// transaction. The LLM calls happen outside the transaction.
public struct ReportProcessor: Sendable {
    public let database: any SQLDatabase
    public let queue: JobQueue
    public let writer: ReportWriter
    public var comparator = DamageComparator()
    /// How long a report job waits before looking again at photos still being processed.
    public var recheck: Duration = .milliseconds(500)

    public init(database: any SQLDatabase, queue: JobQueue, writer: ReportWriter) {
        self.database = database
        self.queue = queue
        self.writer = writer
    }

    public func process(_ job: Job) async throws {
        let inspections = InspectionRepository(database: database)
        guard let id = job.inspectionID, let inspection = try await inspections.get(id) else {
            try await queue.complete(job, at: Date(), in: database)  // erased while the job waited
            return
        }
        guard let findings = try await findings(of: inspection) else {
            return try await queue.postpone(job, until: Date().addingTimeInterval(recheck.seconds), reason: "waiting for photos to be processed")
        }
        var checkout: InspectionFindings?
        if inspection.kind == .return, let vehicleID = inspection.vehicleID,
            let before = try await inspections.lastCompletedCheckout(vehicleID: vehicleID, before: inspection.createdAt)
        {
            guard let found = try await self.findings(of: before) else {
                return try await queue.postpone(job, until: Date().addingTimeInterval(recheck.seconds), reason: "waiting for the check-out's photos")
            }
            checkout = found
        }
        let report = InspectionReport(findings: findings, checkout: checkout, comparator: comparator, at: Date().truncatedToMicroseconds)
        let prose = await writer.prose(for: report)
        let checkoutID = checkout?.inspection.id
        try await database.transaction { db in
            // The check-out first, then the inspection: erasure locks in that order too. A check-out
            // erased meanwhile must not come back in this report: compare again without it.
            if let before = checkoutID, try await !inspections.existsLockedShared(before, in: db) {
                return try await queue.postpone(job, until: Date(), reason: "the check-out was erased; comparing again", in: db)
            }
            // An erasure of the inspection itself meanwhile leaves nothing to store.
            guard try await inspections.getForUpdate(id, in: db) != nil else { return try await queue.complete(job, at: Date(), in: db) }
            try await ReportRepository(database: database).store(report, prose: prose, at: Date(), in: db)
            try await queue.complete(job, at: Date(), in: db)
        }
    }

    /// The inspection's photos and detections, or nil while any photo is still queued or processing.
    func findings(of inspection: Inspection) async throws -> InspectionFindings? {
        let photos = try await PhotoRepository(database: database).photos(of: inspection.id)
        guard !photos.contains(where: { $0.status == .queued || $0.status == .processing }) else { return nil }
        let detections = try await DetectionRepository(database: database).detections(ofInspection: inspection.id)
        return InspectionFindings(inspection: inspection, photos: photos, detections: detections.values.flatMap { $0 }.sorted { $0.id.uuidString < $1.id.uuidString })
    }
}
