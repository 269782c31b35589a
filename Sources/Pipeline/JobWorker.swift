import Foundation
import Logging
import Metrics
import ServiceLifecycle
import Storage
import Synchronization

/// Claims jobs from the queue (photos to process, reports to write) and runs up to `concurrency` of them at once.
///
/// On graceful shutdown (SIGTERM) it stops claiming and lets in-flight jobs finish for up to
/// `drainTimeout`; jobs still running then are cancelled and released back to the queue, so
/// another worker takes them at once instead of waiting for the lease to run out.
///
/// Every attempt's end is counted in `walkaround_jobs_total{kind,outcome}`: `done`, `retry` (failed,
/// queued again with backoff), `failed` (given up: the photo or report is `failed`), `released`
/// (handed back at shutdown).
public struct JobWorker: Service {
    public struct Settings: Sendable {
        public var concurrency: Int
        public var lease: Duration
        public var pollInterval: Duration
        public var drainTimeout: Duration

        public init(concurrency: Int = 4, lease: Duration = .seconds(60), pollInterval: Duration = .milliseconds(200), drainTimeout: Duration = .seconds(25)) {
            self.concurrency = concurrency
            self.lease = lease
            self.pollInterval = pollInterval
            self.drainTimeout = drainTimeout
        }
    }

    public let queue: JobQueue
    public let processor: PhotoProcessor
    /// Writes reports; report jobs fail (and retry) in a worker without one.
    public let reports: ReportProcessor?
    public let settings: Settings
    public let signal: WakeSignal
    public let name: String
    private let logger: Logger
    private let metrics: any MetricsFactory

    public init(
        queue: JobQueue, processor: PhotoProcessor, reports: ReportProcessor? = nil, settings: Settings, signal: WakeSignal, logger: Logger,
        metrics: any MetricsFactory = MetricsSystem.factory
    ) {
        self.queue = queue
        self.processor = processor
        self.reports = reports
        self.settings = settings
        self.signal = signal
        self.name = "\(ProcessInfo.processInfo.hostName)/\(ProcessInfo.processInfo.processIdentifier)/\(UUID().uuidString.prefix(8))"
        self.logger = logger
        self.metrics = metrics
    }

    private func count(_ job: Job, _ outcome: String) {
        Counter(label: "walkaround_jobs_total", dimensions: [("kind", job.kind.rawValue), ("outcome", outcome)], factory: metrics).increment()
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
        let inFlight = InFlightCount()
        await withDiscardingTaskGroup { group in
            while !Task.isShuttingDownGracefully && !Task.isCancelled {
                let free = settings.concurrency - inFlight.value
                var claimed: [Job] = []
                if free > 0 {
                    do {
                        claimed = try await queue.claim(limit: free, worker: name, lease: settings.lease)
                    } catch {
                        logger.error("claiming jobs failed", metadata: ["error": "\(error)"])
                    }
                }
                for job in claimed {
                    inFlight.add(1)
                    group.addTask {
                        await self.run(job)
                        inFlight.add(-1)
                        self.signal.signal()
                    }
                }
                if claimed.isEmpty || claimed.count == free {
                    await cancelWhenGracefulShutdown { await self.signal.wait(timeout: self.settings.pollInterval) }
                }
            }
        }
    }

    /// One attempt of a job, with its outcome recorded.
    private func run(_ job: Job) async {
        var metadata: Logger.Metadata = ["job": "\(job.id)", "kind": "\(job.kind.rawValue)", "attempt": "\(job.attempts)"]
        if let photo = job.photoID { metadata["photo"] = "\(photo)" }
        if let inspection = job.inspectionID { metadata["inspection"] = "\(inspection)" }
        do {
            if job.attempts > job.maxAttempts {
                throw JobFailure.permanent("gave up after \(job.maxAttempts) attempts whose workers stopped mid-job")
            }
            switch job.kind {
            case .processPhoto: try await processor.process(job)
            case .writeReport:
                guard let reports else { throw JobFailure.transient("this worker has no report writer") }
                try await reports.process(job)
            }
            count(job, "done")
            logger.info("job done", metadata: metadata)
        } catch is CancellationError {
            await release(job, metadata)
        } catch {
            let failure = error as? JobFailure ?? .transient("\(error)")
            metadata["error"] = "\(failure.reason)"
            if Task.isCancelled {
                await release(job, metadata)
                return
            }
            let status = await detached { try await processor.recordFailure(job, failure) }
            count(job, status == .failed ? "failed" : "retry")
            logger.warning("job attempt failed", metadata: metadata)
        }
    }

    private func release(_ job: Job, _ metadata: Logger.Metadata) async {
        await detached { try await queue.release(job) }
        count(job, "released")
        logger.warning("job released at shutdown", metadata: metadata)
    }

    /// Runs bookkeeping that must finish even when the job's task was cancelled; nil when it failed
    /// (logged).
    @discardableResult
    private func detached<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async -> T? {
        let logger = self.logger
        return await Task {
            do { return try await body() } catch {
                logger.error("recording job outcome failed", metadata: ["error": "\(error)"])
                return nil
            }
        }.value
    }
}

/// Jobs a worker is running now.
private final class InFlightCount: Sendable {
    private let count = Mutex(0)
    var value: Int { count.withLock { $0 } }
    func add(_ delta: Int) { count.withLock { $0 += delta } }
}
