import Foundation
import Logging
import Metrics
import Storage
import WalkaroundCore

/// Erasing an inspection: the one procedure the erase route and retention both run.
///
/// In one transaction the rows go (photos, detections, jobs, idempotency records, the report, the
/// vehicle when nothing else uses it), the inspection's photo addresses are marked for collection,
/// and every other report that was compared with it is requested again (so the erased evidence
/// leaves those reports too: the report job writes them anew without it). After the commit each
/// address is collected: removed unless a photo still uses it. A failed unlink does not fail the
/// erasure; the address stays marked and the janitor retries it.
///
/// Metrics: `walkaround_erasures_total{reason}` (`request`, `retention`).
public struct InspectionErasure: Sendable {
    public enum Reason: String, Sendable {
        /// An admin asked (a data-subject request, a mistake).
        case request
        /// Older than its station's retention period.
        case retention
    }

    /// What was done.
    public struct Outcome: Sendable, Equatable {
        public var filesRemoved: Int
        /// Files left for the janitor after a failed unlink.
        public var filesPending: Int
        /// Other inspections whose reports are written again.
        public var reportsRequested: [UUID]
    }

    public let database: any SQLDatabase
    public let blobs: any PhotoStore
    public let queue: JobQueue
    public let signal: WakeSignal
    private let metrics: any MetricsFactory

    public init(database: any SQLDatabase, blobs: any PhotoStore, queue: JobQueue, signal: WakeSignal, metrics: any MetricsFactory = MetricsSystem.factory) {
        self.database = database
        self.blobs = blobs
        self.queue = queue
        self.signal = signal
        self.metrics = metrics
    }

    /// Erases the inspection; nil when there is none. Throws `InspectionOnHold` while it is held.
    public func erase(_ id: UUID, reason: Reason, logger: Logger) async throws -> Outcome? {
        let collector = PhotoFileCollector(database: database, blobs: blobs)
        let now = Date().truncatedToMicroseconds
        let erased: ErasedInspection? = try await database.transaction { db in
            guard let erased = try await InspectionRepository(database: database).erase(id, in: db) else { return nil }
            try await collector.mark(erased.addresses, at: now, in: db)
            let reports = ReportRepository(database: database)
            for dependent in erased.dependentReports {
                try await reports.request(dependent, at: now, in: db)
                try await queue.enqueueReport(inspectionID: dependent, at: now, in: db)
            }
            return erased
        }
        guard let erased else { return nil }
        if !erased.dependentReports.isEmpty { signal.jobsEnqueued() }
        var outcome = Outcome(filesRemoved: 0, filesPending: 0, reportsRequested: erased.dependentReports)
        for address in erased.addresses {
            do {
                if try await collector.collect(address) == .removed { outcome.filesRemoved += 1 }
            } catch {
                outcome.filesPending += 1
                logger.warning("photo file not removed; the janitor retries", metadata: ["sha256": "\(address)", "error": "\(error)"])
            }
        }
        Counter(label: "walkaround_erasures_total", dimensions: [("reason", reason.rawValue)], factory: metrics).increment()
        logger.notice(
            "inspection erased",
            metadata: [
                "inspection_id": "\(id)", "station": "\(erased.inspection.station)", "reason": "\(reason.rawValue)",
                "files_removed": "\(outcome.filesRemoved)", "files_pending": "\(outcome.filesPending)",
                "reports_requested": "\(erased.dependentReports.count)",
            ]
        )
        return outcome
    }
}
