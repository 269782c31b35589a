import Foundation
import Storage
import WalkaroundCore

/// The durable job queue, a table in the database.
///
/// Claims take a lease: a job whose worker died is claimable again once its lease has run out.
/// PostgreSQL claims with `FOR UPDATE SKIP LOCKED`, so concurrent workers never block on or
/// double-claim a job; SQLite claims inside a `BEGIN IMMEDIATE` transaction, which serialises writers.
public struct JobQueue: Sendable {
    public let database: any SQLDatabase
    public var retryPolicy: RetryPolicy

    public init(database: any SQLDatabase, retryPolicy: RetryPolicy = RetryPolicy()) {
        self.database = database
        self.retryPolicy = retryPolicy
    }

    /// Adds a job for `photoID`, inside the caller's transaction so the photo and its job commit together.
    @discardableResult
    public func enqueue(photoID: UUID, at date: Date, in db: any SQLExecutor) async throws -> UUID {
        try await insert(.processPhoto, photoID: photoID, inspectionID: nil, at: date, in: db)
    }

    /// Adds the report job of a completed inspection, inside the caller's transaction.
    @discardableResult
    public func enqueueReport(inspectionID: UUID, at date: Date, in db: any SQLExecutor) async throws -> UUID {
        try await insert(.writeReport, photoID: nil, inspectionID: inspectionID, at: date, in: db)
    }

    /// Adds the job that sends one webhook delivery, inside the caller's transaction (with the event's cause).
    @discardableResult
    public func enqueueDelivery(_ deliveryID: UUID, maxAttempts: Int, at date: Date, in db: any SQLExecutor) async throws -> UUID {
        try await insert(.deliverWebhook, photoID: nil, inspectionID: nil, deliveryID: deliveryID, maxAttempts: maxAttempts, at: date, in: db)
    }

    private func insert(
        _ kind: Job.Kind, photoID: UUID?, inspectionID: UUID?, deliveryID: UUID? = nil, maxAttempts: Int? = nil, at date: Date, in db: any SQLExecutor
    ) async throws -> UUID {
        let id = UUID()
        try await db.execute(
            """
            INSERT INTO jobs (id, kind, photo_id, inspection_id, delivery_id, status, attempts, max_attempts, run_at, created_at, updated_at, trace_context)
            VALUES (\(id), \(kind.sqlValue), \(photoID), \(inspectionID), \(deliveryID), \(Job.Status.queued.sqlValue), 0,
                    \(maxAttempts ?? retryPolicy.maxAttempts), \(date), \(date), \(date), \(TraceContext.current()))
            """
        )
        return id
    }

    /// Puts a claimed job back to wait until `date` without counting the attempt (what it needs is not there yet).
    public func postpone(_ job: Job, until date: Date, reason: String, now: Date = Date(), in db: (any SQLExecutor)? = nil) async throws {
        try await transition(
            job, "postpone",
            """
            UPDATE jobs SET status = \(Job.Status.queued.sqlValue), attempts = attempts - 1, lease_until = NULL, worker = NULL,
                claim_id = NULL, run_at = \(date), last_error = \(reason), updated_at = \(now)
            """,
            in: db
        )
    }

    /// Claims up to `limit` jobs that are due, or whose lease expired, for `worker` until `now + lease`.
    /// A job taken over from an expired lease counts one more `reclaims` when another worker takes
    /// it (its worker died or stalled: what quarantine counts). The same worker taking its own job
    /// back lived through the lapse (a database outage kept it from renewing): not counted, or a
    /// database restart would quarantine healthy photos.
    public func claim(limit: Int, worker: String, lease: Duration, kinds: KindFilter = .all, now: Date = Date()) async throws -> [Job] {
        let leaseUntil = now.addingTimeInterval(lease.seconds)
        let claim = UUID()
        // Constants of the code (`Job.Kind`'s raw values), never input.
        let kindFilter: String
        switch kinds {
        case .all: kindFilter = ""
        case .excluding(let kind): kindFilter = " AND kind <> '\(kind.rawValue)'"
        case .only(let kind): kindFilter = " AND kind = '\(kind.rawValue)'"
        }
        return try await database.transaction { db in
            let lock = db.dialectSQL(postgres: " FOR UPDATE SKIP LOCKED", sqlite: "")
            return try await db.execute(
                """
                UPDATE jobs SET attempts = attempts + 1,
                    reclaims = reclaims + CASE WHEN status = \(Job.Status.running.sqlValue) AND (worker IS NULL OR worker <> \(worker)) THEN 1 ELSE 0 END,
                    status = \(Job.Status.running.sqlValue), lease_until = \(leaseUntil), worker = \(worker), claim_id = \(claim),
                    updated_at = \(now)
                WHERE id IN (
                    SELECT id FROM jobs
                    WHERE ((status = \(Job.Status.queued.sqlValue) AND run_at <= \(now))
                       OR (status = \(Job.Status.running.sqlValue) AND lease_until < \(now)))\(unsafeSQL: kindFilter)
                    ORDER BY run_at, id
                    LIMIT \(limit)\(unsafeSQL: lock)
                )
                RETURNING *
                """
            ).map(Job.init(row:))
        }
    }

    /// Which kinds of job a claim takes (a worker bounds how many webhook deliveries it runs at once).
    public enum KindFilter: Sendable, Equatable {
        case all
        case excluding(Job.Kind)
        case only(Job.Kind)
    }

    /// Extends a running job's lease (the worker's heartbeat); false when the claim is no longer held.
    public func renew(_ job: Job, lease: Duration, now: Date = Date()) async throws -> Bool {
        do {
            try await transition(job, "lease renewal", "UPDATE jobs SET lease_until = \(now.addingTimeInterval(lease.seconds)), updated_at = \(now)")
            return true
        } catch is JobOwnershipLost {
            return false
        }
    }

    /// Marks the job done, in the caller's transaction with the work's results; throws
    /// `JobOwnershipLost` (rolling the results back) when the claim is no longer held.
    public func complete(_ job: Job, at date: Date, in db: any SQLExecutor) async throws {
        try await transition(
            job, "completion",
            "UPDATE jobs SET status = \(Job.Status.done.sqlValue), lease_until = NULL, last_error = NULL, updated_at = \(date)", in: db
        )
    }

    /// Records a failed attempt: queued again after a backoff, or failed for good when the failure
    /// is permanent or the attempts are used up, or `quarantined`. Returns the new status; throws
    /// `JobOwnershipLost` when the claim is no longer held.
    /// A failure that `waitsForDependency` while the job is younger than `retryPolicy.outageLimit`
    /// is not counted: the job waits (longer the longer the outage) and keeps all its attempts, so
    /// an inference pod restart or a store outage shorter than the limit fails no photo for good.
    @discardableResult
    public func fail(_ job: Job, failure: JobFailure, quarantine: Bool = false, at date: Date, in db: (any SQLExecutor)? = nil) async throws
        -> Job.Status
    {
        if failure.waitsForDependency, !quarantine, let created = job.createdAt {
            let waited = max(0, date.timeIntervalSince(created))
            if waited < retryPolicy.outageLimit.seconds {
                let runAt = date.addingTimeInterval(retryPolicy.outageDelay(waited: waited).seconds)
                try await transition(
                    job, "failure",
                    """
                    UPDATE jobs SET status = \(Job.Status.queued.sqlValue), attempts = attempts - 1, run_at = \(runAt), lease_until = NULL,
                        last_error = \(failure.reason), updated_at = \(date)
                    """, in: db
                )
                return .queued
            }
        }
        let terminal = quarantine || !failure.retryable || job.attempts >= job.maxAttempts
        let status: Job.Status = quarantine ? .quarantined : terminal ? .failed : .queued
        let runAt = terminal ? date : date.addingTimeInterval(retryPolicy.delay(afterAttempt: job.attempts, kind: job.kind).seconds)
        try await transition(
            job, "failure",
            """
            UPDATE jobs SET status = \(status.sqlValue), run_at = \(runAt), lease_until = NULL,
                last_error = \(failure.reason), updated_at = \(date)
            """, in: db
        )
        return status
    }

    /// Gives a claimed job back without counting the attempt (the worker is shutting down).
    public func release(_ job: Job, at date: Date = Date()) async throws {
        try await transition(
            job, "release",
            """
            UPDATE jobs SET status = \(Job.Status.queued.sqlValue), attempts = attempts - 1, lease_until = NULL,
                worker = NULL, claim_id = NULL, run_at = \(date), updated_at = \(date)
            """
        )
    }

    /// Marks the job's photo `processing`, only while the job is `running` under this claim: a
    /// worker that lost the job (its lease ran out, it overran) cannot set a photo another
    /// worker finished back to `processing`.
    public func markPhotoProcessing(_ job: Job, photoID: UUID) async throws {
        let rows = try await database.execute(
            """
            UPDATE photos SET status = \(Photo.Status.processing.sqlValue), error = NULL WHERE id = \(photoID)
            AND EXISTS (SELECT 1 FROM jobs WHERE id = \(job.id) AND status = \(Job.Status.running.sqlValue) AND claim_id = \(job.claimID))
            RETURNING id
            """
        )
        guard !rows.isEmpty else { throw JobOwnershipLost(jobID: job.id, transition: "start") }
    }

    /// Applies `update` to the job only while it is `running` under this job's claim: the one
    /// ownership rule every transition goes through.
    private func transition(_ job: Job, _ name: String, _ update: SQLStatement, in db: (any SQLExecutor)? = nil) async throws {
        let statement =
            update
            + " WHERE id = \(job.id) AND status = \(Job.Status.running.sqlValue) AND claim_id = \(job.claimID) RETURNING id"
        guard try await (db ?? database).execute(statement).isEmpty == false else {
            throw JobOwnershipLost(jobID: job.id, transition: name)
        }
    }

    /// Per kind: jobs due now (queued with `run_at` passed, or running with a lapsed lease, due since
    /// the lease ran out) and the age of the oldest one's due time, in seconds (0 when none is due).
    /// Every kind is present.
    public func dueStatistics(now: Date = Date()) async throws -> [Job.Kind: (due: Int, oldestAge: Double)] {
        let rows = try await database.execute(
            """
            SELECT kind, COUNT(*) AS n,
                MIN(CASE WHEN status = \(Job.Status.running.sqlValue) THEN lease_until ELSE run_at END) AS oldest FROM jobs
            WHERE (status = \(Job.Status.queued.sqlValue) AND run_at <= \(now)) OR (status = \(Job.Status.running.sqlValue) AND lease_until < \(now))
            GROUP BY kind
            """
        )
        var statistics = Dictionary(uniqueKeysWithValues: Job.Kind.allCases.map { ($0, (due: 0, oldestAge: 0.0)) })
        for row in rows {
            guard let kind = Job.Kind(rawValue: try row.string("kind")) else { continue }
            let age = try row.optionalDate("oldest").map { max(0, now.timeIntervalSince($0)) } ?? 0
            statistics[kind] = (try row.int("n"), age)
        }
        return statistics
    }

    /// Jobs waiting to run (the `walkaround_jobs_queued` gauge).
    public func queuedCount() async throws -> Int {
        try await database.first("SELECT COUNT(*) AS n FROM jobs WHERE status = \(Job.Status.queued.sqlValue)")?.int("n") ?? 0
    }

    /// Whether the inspection's report job is still to run or running (its prose may still change).
    public func reportPending(inspectionID: UUID) async throws -> Bool {
        try await database.first(
            """
            SELECT id FROM jobs WHERE inspection_id = \(inspectionID) AND kind = \(Job.Kind.writeReport.rawValue)
            AND status IN (\(Job.Status.queued.sqlValue), \(Job.Status.running.sqlValue)) LIMIT 1
            """
        ) != nil
    }

    /// The jobs of a photo, oldest first.
    public func jobs(forPhoto photoID: UUID) async throws -> [Job] {
        try await database.execute("SELECT * FROM jobs WHERE photo_id = \(photoID) ORDER BY created_at").map(Job.init(row:))
    }
}

/// Exponential backoff between attempts: `base · 2^(attempt−1)`, capped, with ±20 % jitter so
/// jobs that failed together do not retry together.
public struct RetryPolicy: Sendable {
    public var maxAttempts: Int
    public var baseDelay: Duration
    public var maxDelay: Duration
    /// Webhook deliveries wait for a receiver that is down for hours (a redeploy, a weekend):
    /// base · 6^(attempt−1), capped: 5 s, 30 s, 3 min, 18 min, 1.8 h, 10 h, 10 h by default, so
    /// the default 8 attempts span about a day, as Standard Webhooks senders do.
    public var deliveryBaseDelay: Duration
    public var deliveryMaxDelay: Duration
    /// How long a job waits out a dependency's outage (`JobFailure.unavailable`) without counting
    /// attempts, from when it was queued; after that its failures count again.
    public var outageLimit: Duration

    public init(
        maxAttempts: Int = 5, baseDelay: Duration = .seconds(2), maxDelay: Duration = .seconds(300), deliveryBaseDelay: Duration = .seconds(5),
        deliveryMaxDelay: Duration = .seconds(36_000), outageLimit: Duration = .seconds(3_600)
    ) {
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.deliveryBaseDelay = deliveryBaseDelay
        self.deliveryMaxDelay = deliveryMaxDelay
        self.outageLimit = outageLimit
    }

    /// The wait before trying again a job that has waited `waited` seconds for a dependency: a
    /// quarter of that, at least the base delay (and 1 s) and at most a minute (±20 %), so a long outage
    /// is not polled by every queued photo every few seconds, and a short one costs seconds.
    public func outageDelay(waited: TimeInterval) -> Duration {
        let quarter = waited.isFinite ? max(0, waited) / 4 : 60
        let seconds = min(max(quarter, max(1, baseDelay.seconds)), 60)
        return .milliseconds(Int64(seconds * Double.random(in: 0.8...1.2) * 1000))
    }

    /// The wait before the next attempt of a job of `kind` after attempt number `attempt` failed (±20 %).
    public func delay(afterAttempt attempt: Int, kind: Job.Kind = .processPhoto) -> Duration {
        let (base, factor, cap) = kind == .deliverWebhook ? (deliveryBaseDelay, 6.0, deliveryMaxDelay) : (baseDelay, 2.0, maxDelay)
        // Attempts are at most 50 and the factor 6: 6^49 is a finite double, and the cap bounds it.
        let exponential = max(0, base.seconds) * pow(factor, Double(min(max(0, attempt - 1), 60)))
        let capped = min(exponential, max(0, cap.seconds), 7 * 86_400)
        return .milliseconds(Int64(capped * Double.random(in: 0.8...1.2) * 1000))
    }
}

extension Job {
    init(row: SQLRow) throws {
        self.init(
            id: try row.uuid("id"),
            kind: try row.value("kind"),
            photoID: try row.optionalUUID("photo_id"),
            inspectionID: try row.optionalUUID("inspection_id"),
            status: try row.value("status"),
            attempts: try row.int("attempts"),
            maxAttempts: try row.int("max_attempts"),
            runAt: try row.date("run_at"),
            leaseUntil: try row.optionalDate("lease_until"),
            worker: try row.optionalString("worker"),
            claimID: try row.optionalUUID("claim_id"),
            reclaims: try row.int("reclaims"),
            lastError: try row.optionalString("last_error"),
            deliveryID: try row.optionalUUID("delivery_id"),
            traceContext: try row.optionalString("trace_context"),
            createdAt: try row.optionalDate("created_at")
        )
    }
}
