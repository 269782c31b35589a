import Foundation
import Logging
import Reporting
import Storage
import WalkaroundCore

/// The report stage of a completed inspection: waits until its photos (and, for a return, those
/// of the vehicle's last completed check-out) are processed, compares, and stores the report with
/// the template's prose and the damages' statuses in one transaction, so the report is readable
/// seconds after completion. Then it asks the provider chain (the LLMs, outside any transaction)
/// and replaces the prose with the first grounded answer; the job completes with that write. A
/// report written again meanwhile (its check-out erased) keeps its own prose.
public struct ReportProcessor: Sendable {
    public let database: any SQLDatabase
    public let queue: JobQueue
    public let writer: ReportWriter
    public var comparator = DamageComparator()
    /// Prices the new damages of returns compared with a check-out; nil: no estimates.
    public var costs: CostBook?
    /// Tells subscribers when a report is written; nil sends nothing.
    public var outbox: WebhookOutbox?
    /// Tells the inspection's event streams when the report is stored and when its prose changes.
    public var events: InspectionEvents?
    /// The language of each station's reports (the template's and the LLM's).
    public var languages = ReportLanguages()
    /// How long a report job waits before looking again at photos still being processed.
    public var recheck: Duration = .milliseconds(500)

    public init(database: any SQLDatabase, queue: JobQueue, writer: ReportWriter) {
        self.database = database
        self.queue = queue
        self.writer = writer
    }

    public func process(_ job: Job) async throws {
        let started = ContinuousClock.now
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
        var compared = InspectionReport(findings: findings, checkout: checkout, comparator: comparator, at: Date().truncatedToMicroseconds)
        if compared.comparedWith != nil, let matrix = try await costs?.matrix() { compared.costs = matrix.estimate(compared.damages) }
        let report = compared
        let language = languages.language(for: inspection.station)
        let asksProviders = !writer.chain(for: report).isEmpty
        let writtenAt = Date().truncatedToMicroseconds
        let checkoutID = checkout?.inspection.id
        let reports = ReportRepository(database: database)
        let stored = try await database.transaction { db -> Bool in
            // The check-out first, then the inspection: erasure locks in that order too. A check-out
            // erased meanwhile must not come back in this report: compare again without it.
            if let before = checkoutID, try await !inspections.existsLockedShared(before, in: db) {
                try await queue.postpone(job, until: Date(), reason: "the check-out was erased; comparing again", in: db)
                return false
            }
            // An erasure of the inspection itself meanwhile leaves nothing to store.
            guard try await inspections.getForUpdate(id, in: db) != nil else {
                try await queue.complete(job, at: Date(), in: db)
                return false
            }
            // A report people have reviewed already (this job runs again after its worker died)
            // stays as they reviewed it.
            let firstWriting = try await reports.get(id, in: db)?.status == .queued
            guard try await reports.store(report, prose: writer.templateProse(for: report, language: language), at: writtenAt, in: db) else {
                try await queue.complete(job, at: Date(), in: db)
                return false
            }
            // Once per writing: a job run again after its worker died stores again but tells no one twice.
            if firstWriting, let outbox {
                try await outbox.emit(.reportReady, inspection: id, station: report.inspection.station, data: ReportReadyEvent(report), at: writtenAt, in: db)
            }
            if !asksProviders { try await queue.complete(job, at: Date(), in: db) }
            return true
        }
        guard stored else { return }
        await events?.changed(id)
        guard asksProviders else {
            writer.recordWriting(provider: ReportTemplate.provider, since: started)
            return writer.countTemplate()
        }
        let (prose, discarded) = await writer.providerProse(for: report, language: language)
        if prose == nil { writer.countTemplate() }
        let final = prose ?? writer.templateProse(for: report, language: language, discarded: discarded)
        try await database.transaction { db in
            // The inspection first, as everywhere; a report written again meanwhile is left alone.
            if try await inspections.getForUpdate(id, in: db) != nil {
                _ = try await reports.replaceProse(of: id, writtenAt: writtenAt, with: final, in: db)
            }
            try await queue.complete(job, at: Date(), in: db)
        }
        writer.recordWriting(provider: final.provider, since: started)
        await events?.changed(id)
    }

    /// The inspection's photos and detections, or nil while any photo is still queued or processing.
    func findings(of inspection: Inspection) async throws -> InspectionFindings? {
        let photos = try await PhotoRepository(database: database).photos(of: inspection.id)
        guard !photos.contains(where: { $0.status == .queued || $0.status == .processing }) else { return nil }
        let detections = try await DetectionRepository(database: database).detections(ofInspection: inspection.id)
        return InspectionFindings(inspection: inspection, photos: photos, detections: detections.values.flatMap { $0 }.sorted { $0.id.uuidString < $1.id.uuidString })
    }
}

/// `inspection.report_ready`: the report is written; what it found, in counts.
struct ReportReadyEvent: Encodable {
    var inspectionId: UUID
    var station: String
    var kind: Inspection.Kind
    var plate: String?
    var comparedWith: UUID?
    var counts: [String: Int]

    init(_ report: InspectionReport) {
        inspectionId = report.inspection.id
        station = report.inspection.station
        kind = report.inspection.kind
        plate = report.vehicle.plate
        comparedWith = report.comparedWith?.id
        counts = Dictionary(uniqueKeysWithValues: DamageStatus.allCases.map { ($0.rawValue, report.damages($0).count) })
    }
}
