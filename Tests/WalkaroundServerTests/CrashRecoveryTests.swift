import Configuration
import Foundation
import Pipeline
import Storage
import Testing

@testable import WalkaroundServer

/// A `walkaround serve --role worker` process, run from the built executable.
struct WorkerProcess {
    let child: ChildProcess

    static func start(
        _ environment: TestEnvironment, stageDelayMs: Int, leaseMs: Int, drainMs: Int, pollMs: Int = 50, extra: [String: String] = [:]
    ) throws -> WorkerProcess {
        let arguments = ["serve", "--role", "worker", "--host", "127.0.0.1", "--port", "0", "--data-dir", environment.dataDir]
            + (environment.databaseURL.map { ["--database-url", $0] } ?? [])
        let settings = [
            "WALKAROUND_DEBUG_STAGE_DELAY_MS": "\(stageDelayMs)",
            "WALKAROUND_JOB_LEASE_MS": "\(leaseMs)",
            "WALKAROUND_WORKER_DRAIN_MS": "\(drainMs)",
            "WALKAROUND_WORKER_POLL_MS": "\(pollMs)",
            "WALKAROUND_METRICS_PORT": "0",
            "WALKAROUND_MODEL_PATH": "",  // the quality gate only: these tests are about the queue
        ].merging(extra) { $1 }
        return WorkerProcess(child: try ChildProcess(walkaroundExecutable, arguments, environment: settings))
    }

    /// The exit status, or nil while it still runs after `timeout`.
    func waitForExit(timeout: Duration) async throws -> Int32? {
        try await child.waitForExit(timeout: timeout)?.status
    }

    func signal(_ signal: Int32) { child.signal(signal) }
    var wasKilled: Bool { child.exit?.signalled == true }
    var isRunning: Bool { child.isRunning }
    var log: String { child.output + child.errors }
}

@Suite("Crash recovery and graceful shutdown", .serialized)
struct CrashRecoveryTests {
    private func runningJobs(_ database: any SQLDatabase) async throws -> [SQLRow] {
        try await database.execute("SELECT * FROM jobs WHERE status = 'running'")
    }

    @Test(arguments: Backend.available)
    func aJobOfAKilledWorkerIsClaimedAgainAfterItsLease(_ backend: Backend) async throws {
        // The API runs in this process; the worker is a separate process we can kill.
        let apiOnly: [AbsoluteConfigKey: ConfigValue] = ["walkaround.role": ConfigValue(.string("api"), isSecret: false)]
        try await TestApp.run(backend, apiOnly) { app in
            let id = try await app.createInspection()
            for seed in 0..<3 { #expect(try await app.upload(TestImages.jpeg(seed: UInt8(seed)), to: id).status == .accepted) }

            let environment = TestEnvironment(backend: backend, dataDir: app.components.settings.dataDir, databaseURL: app.components.settings.databaseURL)
            // A lease long enough that a starved heartbeat never lapses it before the kill (a lapse
            // would let the worker take its own job back, a second attempt before the kill).
            let worker = try WorkerProcess.start(environment, stageDelayMs: 60_000, leaseMs: 10_000, drainMs: 1_000)
            let started = try await eventually { try await runningJobs(app.database).count == 3 }
            #expect(started, "the worker process claimed the jobs: \(worker.log)")
            worker.signal(SIGKILL)
            _ = try await worker.waitForExit(timeout: .seconds(5))
            #expect(worker.wasKilled)

            // A fresh worker in this process finds the jobs once their leases run out.
            let replacement = app.components.makeWorker(logger: TestEnvironment.logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await replacement.run() }
                let photos = try await app.waitUntilSettled(id)
                #expect(photos.count == 3)
                #expect(photos.allSatisfy { $0["status"] as? String == "processed" })
                group.cancelAll()
            }
            let jobs = try await app.database.execute("SELECT * FROM jobs")
            #expect(try jobs.map { try $0.string("status") } == ["done", "done", "done"])
            #expect(try jobs.allSatisfy { try $0.int("attempts") == 2 }, "each job was claimed by the killed worker, then again")
        }
    }

    /// An API-only app, one inspection, and a worker process that has claimed one photo's job.
    private func withClaimedJob(
        _ backend: Backend,
        stageDelayMs: Int,
        leaseMs: Int,
        drainMs: Int,
        _ body: @Sendable (TestApp, String, WorkerProcess) async throws -> Void
    ) async throws {
        let apiOnly: [AbsoluteConfigKey: ConfigValue] = ["walkaround.role": ConfigValue(.string("api"), isSecret: false)]
        try await TestApp.run(backend, apiOnly) { app in
            let id = try await app.createInspection()
            let environment = TestEnvironment(backend: backend, dataDir: app.components.settings.dataDir, databaseURL: app.components.settings.databaseURL)
            let worker = try WorkerProcess.start(environment, stageDelayMs: stageDelayMs, leaseMs: leaseMs, drainMs: drainMs)
            try await app.upload(TestImages.jpeg(), to: id)
            #expect(try await eventually { try await runningJobs(app.database).count == 1 }, "claimed: \(worker.log)")
            try await body(app, id, worker)
        }
    }

    @Test(arguments: Backend.available)
    func sigtermLetsInFlightJobsFinish(_ backend: Backend) async throws {
        try await withClaimedJob(backend, stageDelayMs: 1_500, leaseMs: 600_000, drainMs: 120_000) { app, id, worker in
            worker.signal(SIGTERM)
            let status = try await worker.waitForExit(timeout: .seconds(150))
            #expect(status == 0, "clean exit after the drain: \(worker.log)")
            let photos = try await app.inspection(id)["photos"] as? [[String: Any]]
            #expect(photos?.first?["status"] as? String == "processed", "the in-flight job finished before exit")
        }
    }

    @Test(arguments: Backend.available)
    func sigtermReleasesJobsThatOutlastTheDrain(_ backend: Backend) async throws {
        try await withClaimedJob(backend, stageDelayMs: 60_000, leaseMs: 600_000, drainMs: 300) { app, _, worker in
            worker.signal(SIGTERM)
            let status = try await worker.waitForExit(timeout: .seconds(60))
            #expect(status == 0, "clean exit: \(worker.log)")
            let job = try #require(try await app.database.first("SELECT * FROM jobs"))
            #expect(try job.string("status") == "queued", "released, not left leased for ten minutes")
            #expect(try job.int("attempts") == 0)
            #expect(job.isNull("lease_until"))
        }
    }

    /// A photo whose processing kills its worker costs at most `maxReclaims` (2) worker restarts:
    /// the third claim quarantines it without running it.
    @Test(arguments: Backend.available)
    func aJobThatKillsItsWorkersIsQuarantinedAfterTwoRestarts(_ backend: Backend) async throws {
        let apiOnly: [AbsoluteConfigKey: ConfigValue] = ["walkaround.role": ConfigValue(.string("api"), isSecret: false)]
        try await TestApp.run(backend, apiOnly) { app in
            let id = try await app.createInspection()
            #expect(try await app.upload(TestImages.jpeg(), to: id).status == .accepted)
            let environment = TestEnvironment(backend: backend, dataDir: app.components.settings.dataDir, databaseURL: app.components.settings.databaseURL)
            var restarts = 0
            for reclaims in 0..<2 {
                // Each worker claims the job (after the previous one's lease ran out) and dies mid-job.
                let worker = try WorkerProcess.start(environment, stageDelayMs: 60_000, leaseMs: 10_000, drainMs: 1_000)
                let claimed = try await eventually {
                    try await app.database.first("SELECT * FROM jobs WHERE status = 'running' AND reclaims = \(reclaims)") != nil
                }
                #expect(claimed, "worker \(reclaims + 1) claimed the job: \(worker.log)")
                worker.signal(SIGKILL)
                _ = try await worker.waitForExit(timeout: .seconds(5))
                restarts += 1
            }
            let survivor = try WorkerProcess.start(environment, stageDelayMs: 0, leaseMs: 1_000, drainMs: 1_000)
            defer { survivor.signal(SIGKILL) }
            let quarantined = try await eventually { try await app.database.first("SELECT * FROM jobs WHERE status = 'quarantined'") != nil }
            #expect(quarantined, "the third claim quarantined the job: \(survivor.log)")
            #expect(restarts == 2)
            #expect(survivor.isRunning, "the worker that met the poison job is alive")
            // The quarantine is written before it is logged.
            #expect(try await eventually(.seconds(60)) { survivor.log.contains("job quarantined") }, "\(survivor.log)")
            let photos = try await app.inspection(id)["photos"] as? [[String: Any]]
            #expect(photos?.first?["status"] as? String == "failed")
            #expect((photos?.first?["error"] as? String)?.contains("quarantined") == true)
            let job = try #require(try await app.database.first("SELECT * FROM jobs"))
            #expect(try job.int("reclaims") == 2)
        }
    }

    /// A worker process SIGKILLed while a station keeps uploading: a second worker process takes
    /// over; every accepted photo ends processed, its one job done, nothing stored twice.
    @Test(arguments: Backend.available)
    func aWorkerKilledUnderAStreamOfUploadsLosesNothing(_ backend: Backend) async throws {
        let apiOnly: [AbsoluteConfigKey: ConfigValue] = ["walkaround.role": ConfigValue(.string("api"), isSecret: false)]
        try await TestApp.run(backend, apiOnly) { app in
            let id = try await app.createInspection()
            let environment = TestEnvironment(backend: backend, dataDir: app.components.settings.dataDir, databaseURL: app.components.settings.databaseURL)
            let first = try WorkerProcess.start(environment, stageDelayMs: 300, leaseMs: 1_500, drainMs: 1_000)
            let uploads = 24
            var accepted = 0
            for index in 0..<uploads {
                let response = try await app.upload(TestImages.jpeg(width: 320, height: 240, seed: UInt8(index)), to: id)
                if response.status == .accepted { accepted += 1 }
                if index == 8 {
                    // Mid-stream, with jobs in flight: the worker dies without a word.
                    _ = try await eventually { try await runningJobs(app.database).count > 0 }
                    first.signal(SIGKILL)
                    _ = try await first.waitForExit(timeout: .seconds(5))
                }
            }
            #expect(first.wasKilled)
            let second = try WorkerProcess.start(environment, stageDelayMs: 0, leaseMs: 1_500, drainMs: 1_000)
            defer { second.signal(SIGKILL) }
            let photos = try await app.waitUntilSettled(id)
            #expect(accepted == uploads)
            #expect(photos.count == accepted)
            #expect(photos.allSatisfy { ["processed", "rejected"].contains($0["status"] as? String) }, "\(photos.map { $0["status"] ?? "" }) \(second.log)")
            let jobs = try await app.database.execute("SELECT status, reclaims FROM jobs")
            #expect(jobs.count == accepted, "one job per photo")
            #expect(try jobs.allSatisfy { try $0.string("status") == "done" })
            let reclaimed = try jobs.filter { try $0.int("reclaims") > 0 }.count
            #expect(reclaimed >= 1, "the killed worker's jobs were taken over")
            print("worker killed under uploads: \(accepted) accepted, \(photos.count) settled, \(reclaimed) taken over from the killed worker")
        }
    }
}
