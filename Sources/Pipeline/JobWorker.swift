import Foundation
import Logging
import Metrics
import ServiceLifecycle
import Storage
import Synchronization
import Tracing

/// Claims jobs from the queue (photos to process, reports to write) and runs up to `concurrency` of them at once.
///
/// On graceful shutdown (SIGTERM) it stops claiming and lets in-flight jobs finish for up to
/// `drainTimeout`; jobs still running then are cancelled and released back to the queue, so
/// another worker takes them at once instead of waiting for the lease to run out.
///
/// Every attempt's end is counted in `walkaround_jobs_total{kind,outcome}`: `done`, `retry` (failed,
/// queued again with backoff), `failed` (given up: the photo or report is `failed`), `released`
/// (handed back at shutdown), `quarantined` (its workers died on it `maxReclaims` times: not run
/// again), `stale` (a late write of a worker whose lease had run out: nothing changed).
///
/// A running job's lease is renewed every `lease / 3` (the heartbeat), so a long job (a report
/// waiting on the LLM chain) is never taken over while its worker is alive.
public struct JobWorker: Service {
    public struct Settings: Sendable {
        public var concurrency: Int
        public var lease: Duration
        public var pollInterval: Duration
        public var drainTimeout: Duration
        /// A job taken over this many times from a worker that died mid-job is `quarantined`, not
        /// run again: a poison photo costs at most this many worker restarts. 0 never quarantines.
        public var maxReclaims: Int
        /// An attempt running longer than this is cancelled and its lease no longer renewed, so
        /// a job stuck on a call that never returns (a database connection lost mid-query) is
        /// taken again once its lease runs out instead of being held for ever.
        public var maxRunTime: Duration

        public init(
            concurrency: Int = 4, lease: Duration = .seconds(60), pollInterval: Duration = .milliseconds(200), drainTimeout: Duration = .seconds(25),
            maxReclaims: Int = 2, maxRunTime: Duration = .seconds(900)
        ) {
            self.maxRunTime = maxRunTime
            self.concurrency = concurrency
            self.lease = lease
            self.pollInterval = pollInterval
            self.drainTimeout = drainTimeout
            self.maxReclaims = maxReclaims
        }

        /// How often a running job's lease is renewed: three times per lease, so one slow renewal
        /// does not let another worker take a live job.
        public var heartbeat: Duration { lease / 3 }
    }

    public let queue: JobQueue
    public let processor: PhotoProcessor
    /// Writes reports; report jobs fail (and retry) in a worker without one.
    public let reports: ReportProcessor?
    /// Sends webhook deliveries; nil in processes that only run other jobs.
    public let webhooks: WebhookDeliverer?
    public let settings: Settings
    public let signal: WakeSignal
    public let name: String
    private let logger: Logger
    private let metrics: any MetricsFactory
    /// Jobs running in this worker now, by kind (the gauge's value).
    private let runningByKind = KindCounts()

    public init(
        queue: JobQueue, processor: PhotoProcessor, reports: ReportProcessor? = nil, webhooks: WebhookDeliverer? = nil, settings: Settings,
        signal: WakeSignal, logger: Logger, metrics: any MetricsFactory = MetricsSystem.factory
    ) {
        self.queue = queue
        self.processor = processor
        self.reports = reports
        self.webhooks = webhooks
        self.settings = settings
        self.signal = signal
        self.name = "\(ProcessInfo.processInfo.hostName)/\(ProcessInfo.processInfo.processIdentifier)/\(UUID().uuidString.prefix(8))"
        self.logger = logger
        self.metrics = metrics
    }

    private func count(_ job: Job, _ outcome: String) {
        Counter(label: "walkaround_jobs_total", dimensions: [("kind", job.kind.rawValue), ("outcome", outcome)], factory: metrics).increment()
    }

    /// A failed attempt by its kind of failure: `transient` (retried), `unavailable` (a dependency
    /// is down: waited out), `permanent` (given up at once), `overran` (past `maxRunTime`), `quarantined`.
    private func countFailure(_ job: Job, _ reason: String) {
        Counter(label: "walkaround_job_failures_total", dimensions: [("kind", job.kind.rawValue), ("reason", reason)], factory: metrics).increment()
    }

    /// Claimed jobs: how long each waited since it was due (`walkaround_job_queue_wait_seconds`),
    /// and one more running (`walkaround_jobs_in_flight`).
    private func started(_ jobs: [Job], at now: Date = Date()) {
        for job in jobs {
            let waited = max(0, min(now.timeIntervalSince(job.runAt), 86_400))
            Metrics.Timer(label: "walkaround_job_queue_wait_seconds", dimensions: [("kind", job.kind.rawValue)], factory: metrics)
                .record(duration: .nanoseconds(Int64(waited * 1e9)))
            runningByKind.add(job.kind, 1, into: Gauge(label: "walkaround_jobs_in_flight", dimensions: [("kind", job.kind.rawValue)], factory: metrics))
        }
    }

    private func ended(_ job: Job, after duration: Duration) {
        Metrics.Timer(label: "walkaround_job_duration_seconds", dimensions: [("kind", job.kind.rawValue)], factory: metrics).record(duration: duration)
        runningByKind.add(job.kind, -1, into: Gauge(label: "walkaround_jobs_in_flight", dimensions: [("kind", job.kind.rawValue)], factory: metrics))
    }

    public func run() async throws {
        guard await schemaIsReady() else { return }
        logger.info("worker started", metadata: ["worker": "\(name)", "concurrency": "\(settings.concurrency)"])
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.claimAndProcess() }
            group.addTask {
                // Ends the drain: after graceful shutdown plus the drain timeout, or on cancellation.
                try? await gracefulShutdown()
                try? await Task.sleep(for: self.settings.drainTimeout)
            }
            await group.next()
            group.cancelAll()
        }
        logger.info("worker stopped", metadata: ["worker": "\(name)"])
    }

    /// Waits until every migration is applied (the server applies them as it starts), so the
    /// first claim does not meet a missing table, and until the detection models have loaded (or
    /// failed to: then jobs fail and retry with backoff, and /ready says why); false when shut
    /// down first.
    private func schemaIsReady() async -> Bool {
        let migrations = Migrations(database: queue.database)
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let modelsSettled = processor.inference.map { $0.state != .loading } ?? true
            if modelsSettled, let pending = try? await migrations.pending(), pending.isEmpty { return true }
            await cancelWhenGracefulShutdown { try? await Task.sleep(for: self.settings.pollInterval) }
        }
        return false
    }

    /// Claims while not shutting down, then waits for in-flight jobs.
    private func claimAndProcess() async {
        let inFlight = InFlightCount(), deliveries = InFlightCount()
        // Webhook deliveries wait on other people's servers (up to their timeout each): at most
        // half the slots (at least one), so slow receivers never stall photos and reports.
        let maxDeliveries = max(1, settings.concurrency / 2)
        await withDiscardingTaskGroup { group in
            while !Task.isShuttingDownGracefully && !Task.isCancelled {
                let free = settings.concurrency - inFlight.value
                var claimed: [Job] = []
                if free > 0 {
                    // Deliveries first, up to their share of the slots (so a backlog of photos does
                    // not starve them), then everything else. Each claim commits on its own and
                    // fails on its own: a failed second claim never discards the first one's jobs.
                    let room = maxDeliveries - deliveries.value
                    if room > 0 {
                        claimed += await claimStep(limit: min(room, free), kinds: .only(.deliverWebhook))
                    }
                    if claimed.count < free {
                        claimed += await claimStep(limit: free - claimed.count, kinds: .excluding(.deliverWebhook))
                    }
                }
                started(claimed)
                for job in claimed {
                    let delivery = job.kind == .deliverWebhook
                    inFlight.add(1)
                    if delivery { deliveries.add(1) }
                    group.addTask {
                        let start = ContinuousClock.now
                        await self.run(job)
                        self.ended(job, after: ContinuousClock.now - start)
                        inFlight.add(-1)
                        if delivery { deliveries.add(-1) }
                        self.signal.signal()
                    }
                }
                if claimed.isEmpty || claimed.count == free {
                    await cancelWhenGracefulShutdown { await self.signal.wait(timeout: self.settings.pollInterval) }
                }
            }
        }
    }

    /// One claim, bounded (a claim stuck on a lost connection must not stop the worker for good:
    /// it is cancelled, rolled back, and tried again on the next pass); none on failure.
    private func claimStep(limit: Int, kinds: JobQueue.KindFilter) async -> [Job] {
        let timeLimit = max(settings.lease, .seconds(30))
        do {
            if let jobs = try await Self.bounded(timeLimit, { try await queue.claim(limit: limit, worker: name, lease: settings.lease, kinds: kinds) }) {
                return jobs
            }
            logger.error("claiming jobs did not answer in time; trying again", metadata: ["limit_s": "\(timeLimit.seconds)"])
        } catch {
            logger.error("claiming jobs failed", metadata: ["error": "\(error)"])
        }
        return []
    }

    /// One attempt of a job, with its outcome recorded, its lease renewed while it runs.
    private func run(_ job: Job) async {
        var metadata: Logger.Metadata = ["job_id": "\(job.id)", "kind": "\(job.kind.rawValue)", "attempt": "\(job.attempts)"]
        if let photo = job.photoID { metadata["photo_id"] = "\(photo)" }
        if let inspection = job.inspectionID { metadata["inspection_id"] = "\(inspection)" }
        if settings.maxReclaims > 0, job.reclaims >= settings.maxReclaims {
            await quarantine(job, metadata)
            return
        }
        let context = metadata
        let deadline = ContinuousClock.now + settings.maxRunTime
        // Unstructured, so that an attempt that ignores cancellation (stuck on a lost connection)
        // can be abandoned: the slot and the drain do not wait for it.
        let (ended, ending) = AsyncStream<Bool>.makeStream()
        let overrun = Overrun()
        // The job's span continues the trace of the request that queued it (the upload), in
        // whichever pod; the attempt's task inherits it, and with it every span and log line inside.
        let span = startSpan(job.kind.rawValue, context: TraceContext.context(job.traceContext), ofKind: .consumer)
        span.attributes["walkaround.job.id"] = job.id.uuidString
        span.attributes["walkaround.job.attempt"] = job.attempts
        if let photo = job.photoID { span.attributes["walkaround.photo.id"] = photo.uuidString }
        if let inspection = job.inspectionID { span.attributes["walkaround.inspection.id"] = inspection.uuidString }
        defer { span.end() }
        let attempt = ServiceContext.withValue(span.context) {
            Task {
                await self.attempt(job, context, overrun: overrun, span: span)
                ending.yield(false)
            }
        }
        let heartbeat = Task {
            if await self.heartbeat(job, context, until: deadline) { ending.yield(true) }
        }
        let overran = await withTaskCancellationHandler {
            var next = ended.makeAsyncIterator()
            return await next.next() ?? false
        } onCancel: {
            attempt.cancel()
        }
        heartbeat.cancel()
        if Task.isCancelled {
            // The drain ended: the cancelled attempt releases its job. One that ignores
            // cancellation does not keep it leased: the job is released here (claim-checked, so
            // the attempt's late writes are then refused as stale).
            if await !Self.endsWithin(Self.abandonWait, { await attempt.value }) {
                await release(job, context)
            }
        } else if overran {
            // The cancelled attempt records a failed attempt (retried with backoff, failed after
            // `maxAttempts`); for one that ignores cancellation the failure is recorded here.
            overrun.happened.withLock { $0 = true }
            attempt.cancel()
            logger.error(
                "job ran past its time limit: cancelled",
                metadata: context.merging(["limit_s": "\(settings.maxRunTime.seconds)"]) { $1 }
            )
            count(job, "overran")
            countFailure(job, "overran")
            if await !Self.endsWithin(Self.abandonWait, { await attempt.value }) {
                let failure = JobFailure.transient("ran past its time limit of \(settings.maxRunTime.seconds) s and did not stop")
                if let status = await detached({ try await processor.recordFailure(job, failure) }, job: job, context) {
                    count(job, status == .failed ? "failed" : "retry")
                }
            }
        }
    }

    /// How long a cancelled attempt is given to end before the worker records its outcome itself.
    static let abandonWait: Duration = .seconds(5)

    /// Runs `body` in a task of its own and waits at most `limit` for it: nil when the limit came
    /// first (the task is then cancelled, so a claim rolls back rather than taking jobs no one
    /// runs; transactions end cleanly when cancelled). Works in a cancelled task, and bounds calls
    /// that may never return (a query on a connection lost mid-flight).
    static func bounded<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T? {
        let work = Task { try await body() }
        let resumed = Mutex(false)
        let result: Result<T?, any Error> = await withCheckedContinuation { continuation in
            let finish: @Sendable (Result<T?, any Error>) -> Void = { result in
                if resumed.withLock({ done in defer { done = true }; return !done }) { continuation.resume(returning: result) }
            }
            Task {
                do { finish(.success(try await work.value)) } catch { finish(.failure(error)) }
            }
            Task {
                try? await Task.sleep(for: limit)
                work.cancel()
                finish(.success(nil))
            }
        }
        return try result.get()
    }

    /// `bounded` for work that cannot fail: true when it ended within `limit`.
    static func endsWithin(_ limit: Duration, _ body: @escaping @Sendable () async -> Void) async -> Bool {
        (try? await bounded(limit, body)) != nil
    }

    /// Set once an attempt ran past `maxRunTime`: its cancellation is then a failed attempt, not a release.
    private final class Overrun: Sendable {
        let happened = Mutex(false)
    }

    private func attempt(_ job: Job, _ metadata: Logger.Metadata, overrun: Overrun, span: any Span) async {
        var metadata = metadata
        do {
            if job.attempts > job.maxAttempts {
                throw JobFailure.permanent("gave up after \(job.maxAttempts) attempts whose workers stopped mid-job")
            }
            switch job.kind {
            case .processPhoto: try await processor.process(job)
            case .writeReport:
                guard let reports else { throw JobFailure.transient("this worker has no report writer") }
                try await reports.process(job)
            case .deliverWebhook:
                guard let webhooks else { throw JobFailure.transient("this worker sends no webhooks") }
                try await webhooks.process(job)
            }
            count(job, "done")
            logger.info("job done", metadata: metadata)
        } catch let lost as JobOwnershipLost {
            stale(job, lost, metadata)
        } catch {
            let overran = overrun.happened.withLock { $0 }
            if !overran, error is CancellationError || Task.isCancelled {
                await release(job, metadata)
                return
            }
            let failure =
                overran
                ? JobFailure.transient("ran past its time limit of \(settings.maxRunTime.seconds) s and was cancelled")
                : JobFailure.of(error)
            metadata["error"] = "\(failure.reason)"

            span.setStatus(SpanStatus(code: .error, message: failure.reason))
            if !overran { countFailure(job, failure.waitsForDependency ? "unavailable" : failure.retryable ? "transient" : "permanent") }
            guard let status = await detached({ try await processor.recordFailure(job, failure) }, job: job, metadata) else { return }
            count(job, status == .failed ? "failed" : "retry")
            logger.warning("job attempt failed", metadata: metadata)
        }
    }

    /// Renews the job's lease every `settings.heartbeat` until cancelled (the attempt ended) or until `deadline`; true when the
    /// deadline ended it. A lost lease ends the renewals but not the attempt (its writes are then
    /// ignored as stale).
    private func heartbeat(_ job: Job, _ metadata: Logger.Metadata, until deadline: ContinuousClock.Instant) async -> Bool {
        var renewing = true
        while !Task.isCancelled {
            let next = ContinuousClock.now + settings.heartbeat
            do {
                try await Task.sleep(until: min(next, deadline))
            } catch {
                return false
            }
            if ContinuousClock.now >= deadline { return true }
            guard renewing else { continue }
            do {
                if try await !queue.renew(job, lease: settings.lease) {
                    logger.warning("job lease lost: another worker holds it now", metadata: metadata)
                    renewing = false
                }
            } catch is CancellationError {
                return false
            } catch {
                logger.warning("renewing the job's lease failed", metadata: metadata.merging(["error": "\(error)"]) { $1 })
            }
        }
        return false
    }

    /// Fails a job whose workers kept dying on it, without running it: the photo is `failed` with the reason.
    private func quarantine(_ job: Job, _ metadata: Logger.Metadata) async {
        let failure = JobFailure.permanent(
            "quarantined: its worker stopped mid-job \(job.reclaims) times (the limit is \(settings.maxReclaims)), so it is not run again"
        )
        guard await detached({ try await processor.recordFailure(job, failure, quarantine: true) }, job: job, metadata) != nil else { return }
        count(job, "quarantined")
        countFailure(job, "quarantined")
        logger.error("job quarantined", metadata: metadata.merging(["reclaims": "\(job.reclaims)", "error": "\(failure.reason)"]) { $1 })
    }

    private func release(_ job: Job, _ metadata: Logger.Metadata) async {
        guard await detached({ try await queue.release(job) }, job: job, metadata) != nil else { return }
        count(job, "released")
        logger.warning("job released at shutdown", metadata: metadata)
    }

    /// A late write of a worker that lost its claim: nothing was changed.
    private func stale(_ job: Job, _ lost: JobOwnershipLost, _ metadata: Logger.Metadata) {
        count(job, "stale")
        logger.warning("stale job write ignored", metadata: metadata.merging(["error": "\(lost)"]) { $1 })
    }

    /// Runs bookkeeping that must finish even when the job's task was cancelled; nil when it failed
    /// (logged; a lost claim is counted as `stale`).
    private func detached<T: Sendable>(_ body: @escaping @Sendable () async throws -> T, job: Job, _ metadata: Logger.Metadata) async -> T? {
        let result = await Task { () -> Result<T, any Error> in
            do { return .success(try await body()) } catch { return .failure(error) }
        }.value
        switch result {
        case .success(let value): return value
        case .failure(let lost as JobOwnershipLost):
            stale(job, lost, metadata)
        case .failure(let error):
            logger.error("recording job outcome failed", metadata: metadata.merging(["error": "\(error)"]) { $1 })
        }
        return nil
    }
}

/// Jobs a worker is running now.
private final class InFlightCount: Sendable {
    private let count = Mutex(0)
    var value: Int { count.withLock { $0 } }
    func add(_ delta: Int) { count.withLock { $0 += delta } }
}

/// Running jobs per kind, for the in-flight gauge.
private final class KindCounts: Sendable {
    private let counts = Mutex<[Job.Kind: Int]>([:])
    /// Adds `delta` to `kind`'s count and sets `gauge` to the new count, under the lock (two
    /// changes never reach the gauge in the wrong order).
    func add(_ kind: Job.Kind, _ delta: Int, into gauge: Gauge) {
        counts.withLock { counts in
            let value = max(0, counts[kind, default: 0] + delta)
            counts[kind] = value
            gauge.record(value)
        }
    }
}
