import Foundation
import Pipeline
import Storage
import Testing
import WalkaroundCore

@testable import WalkaroundServer

@Suite("Durable job queue")
struct JobQueueTests {
    /// A database with migrations applied and `count` photos, each with a queued job.
    private func withQueue(
        _ backend: Backend,
        photos count: Int,
        retry: RetryPolicy = RetryPolicy(maxAttempts: 3, baseDelay: .seconds(30)),
        _ body: @Sendable (JobQueue, [UUID]) async throws -> Void
    ) async throws {
        let environment = try await TestEnvironment.make(backend)
        defer { environment.remove() }
        let components = try await WalkaroundComponents.open(settings: environment.settings(), metrics: WalkaroundMetrics(), logger: TestEnvironment.logger)
        try await components.withDatabase { database in
            try await Migrations(database: database).apply()
            let queue = JobQueue(database: database, retryPolicy: retry)
            let inspection = Inspection(kind: .checkout, station: "MUC-01", vehicle: VehicleRef(plate: "M1"), createdAt: Date().truncatedToMicroseconds)
            try await InspectionRepository(database: database).insert(inspection)
            var ids: [UUID] = []
            for index in 0..<count {
                let photo = Photo(inspectionID: inspection.id, view: .front, sha256: "\(index)", format: .jpeg, byteCount: 1, createdAt: Date().truncatedToMicroseconds)
                try await database.transaction { db in
                    try await PhotoRepository(database: database).insert(photo, in: db)
                    try await queue.enqueue(photoID: photo.id, at: Date(timeIntervalSinceNow: -1), in: db)
                }
                ids.append(photo.id)
            }
            try await body(queue, ids)
        }
    }

    @Test(arguments: Backend.available)
    func anExpiredLeaseIsClaimedAgain(_ backend: Backend) async throws {
        try await withQueue(backend, photos: 1) { queue, _ in
            // The claims say when they happen, so a loaded machine cannot let the lease run out
            // between the first two (a 4-second lease in real time did, under the whole suite).
            let first = try await queue.claim(limit: 5, worker: "a", lease: .seconds(60))
            #expect(first.count == 1)
            #expect(first.first?.attempts == 1)
            #expect(try await queue.claim(limit: 5, worker: "b", lease: .seconds(10)).isEmpty, "a leased job is not handed out twice")
            let again = try await queue.claim(limit: 5, worker: "b", lease: .seconds(10), now: Date().addingTimeInterval(61))
            #expect(again.map(\.id) == first.map(\.id))
            #expect(again.first?.attempts == 2)
            #expect(again.first?.worker == "b")
            #expect(again.first?.reclaims == 1, "taken over from another worker: counted for quarantine")
        }
    }

    /// A worker that takes back its own job after its lease lapsed (a database outage kept it
    /// from renewing) did not die: the take-back is not counted towards quarantine.
    @Test(arguments: Backend.available)
    func aWorkerTakingBackItsOwnLapsedJobIsNoReclaim(_ backend: Backend) async throws {
        try await withQueue(backend, photos: 1) { queue, _ in
            let first = try #require(try await queue.claim(limit: 1, worker: "a", lease: .seconds(60)).first)
            let later = Date().addingTimeInterval(120)
            let again = try #require(try await queue.claim(limit: 1, worker: "a", lease: .seconds(60), now: later).first)
            #expect(again.id == first.id && again.attempts == 2 && again.reclaims == 0)
            let other = try #require(try await queue.claim(limit: 1, worker: "b", lease: .seconds(60), now: later.addingTimeInterval(120)).first)
            #expect(other.reclaims == 1)
        }
    }

    @Test(arguments: Backend.available)
    func failuresBackOffThenFailForGood(_ backend: Backend) async throws {
        try await withQueue(backend, photos: 1) { queue, _ in
            var job = try #require(try await queue.claim(limit: 1, worker: "a", lease: .seconds(10)).first)
            let status = try await queue.fail(job, failure: .transient("database hiccup"), at: Date())
            #expect(status == .queued)
            #expect(try await queue.claim(limit: 1, worker: "a", lease: .seconds(10)).isEmpty, "not before its backoff")
            let later = Date(timeIntervalSinceNow: 60)
            job = try #require(try await queue.claim(limit: 1, worker: "a", lease: .seconds(10), now: later).first)
            #expect(job.attempts == 2)
            #expect(job.lastError == "database hiccup")
            try await queue.fail(job, failure: .transient("again"), at: later)
            job = try #require(try await queue.claim(limit: 1, worker: "a", lease: .seconds(10), now: later.addingTimeInterval(600)).first)
            #expect(job.attempts == 3)
            let final = try await queue.fail(job, failure: .transient("third time"), at: later.addingTimeInterval(600))
            #expect(final == .failed, "the third of three attempts is the last")
            #expect(try await queue.claim(limit: 1, worker: "a", lease: .seconds(10), now: later.addingTimeInterval(3600)).isEmpty)
            let photoID = try #require(job.photoID)
            let stored = try #require(try await queue.jobs(forPhoto: photoID).first)
            #expect(stored.status == .failed)
            #expect(stored.lastError == "third time")
        }
    }

    /// Something the job needs is down (the inference pods, the store): the failure is waited out
    /// without using attempts while the job is younger than the outage limit, tried again after a
    /// quarter of its wait (2 s to 1 min); past the limit it counts like any other.
    @Test(arguments: Backend.available)
    func anOutageIsWaitedOutWithoutUsingAttempts(_ backend: Backend) async throws {
        let policy = RetryPolicy(maxAttempts: 1, baseDelay: .seconds(2), outageLimit: .seconds(3_600))
        try await withQueue(backend, photos: 1, retry: policy) { queue, _ in
            var job = try #require(try await queue.claim(limit: 1, worker: "a", lease: .seconds(10)).first)
            let created = try #require(job.createdAt)
            let photoID = try #require(job.photoID)
            for minutes in [0.0, 1, 10, 59] {
                let now = created.addingTimeInterval(minutes * 60)
                #expect(try await queue.fail(job, failure: .unavailable("pods down"), at: now) == .queued, "at \(minutes) min")
                let stored = try #require(try await queue.jobs(forPhoto: photoID).first)
                #expect(stored.status == .queued && stored.attempts == 0 && stored.lastError == "pods down", "the attempt given back at \(minutes) min")
                let wait = stored.runAt.timeIntervalSince(now)
                let expected = min(max(minutes * 60 / 4, 2), 60)
                #expect(wait >= expected * 0.8 - 0.01 && wait <= expected * 1.2 + 0.01, "waits \(wait) s at \(minutes) min, \(expected) s ± 20 % expected")
                #expect(try await queue.claim(limit: 1, worker: "a", lease: .seconds(10), now: stored.runAt.addingTimeInterval(-0.5)).isEmpty, "not before then")
                job = try #require(try await queue.claim(limit: 1, worker: "a", lease: .seconds(10), now: stored.runAt.addingTimeInterval(1)).first)
                #expect(job.attempts == 1)
            }
            // Any other failure uses the single attempt, and so does an outage past the limit.
            #expect(try await queue.fail(job, failure: .unavailable("pods down"), at: created.addingTimeInterval(3_601)) == .failed)
            #expect(try await queue.jobs(forPhoto: photoID).first?.status == .failed)
        }
        try await withQueue(backend, photos: 1, retry: policy) { queue, _ in
            let job = try #require(try await queue.claim(limit: 1, worker: "a", lease: .seconds(10)).first)
            #expect(try await queue.fail(job, failure: .transient("a wrong answer"), at: Date()) == .failed, "counted: the one attempt is used")
        }
        // What errors mean for a job, and the delay's bounds for hostile waits.
        #expect(JobFailure.of(StorageError.unavailable("connection lost")).waitsForDependency)
        #expect(!JobFailure.of(StorageError.database("syntax")).waitsForDependency)
        #expect(!JobFailure.of(StorageError.corrupt("truncated")).retryable, "a corrupt stored photo is not waited for")
        #expect(!JobFailure.of(CancellationError()).waitsForDependency)
        for waited in [-5, .nan, .infinity, 1e300] as [TimeInterval] {
            let delay = policy.outageDelay(waited: waited).seconds
            #expect(delay >= 1.6 - 0.01 && delay <= 72 + 0.01, "\(waited): \(delay)")
        }
    }

    @Test(arguments: Backend.available)
    func releaseHandsTheJobBackUncounted(_ backend: Backend) async throws {
        try await withQueue(backend, photos: 1) { queue, _ in
            let job = try #require(try await queue.claim(limit: 1, worker: "a", lease: .seconds(60)).first)
            try await queue.release(job)
            let again = try #require(try await queue.claim(limit: 1, worker: "b", lease: .seconds(60)).first)
            #expect(again.id == job.id)
            #expect(again.attempts == 1)
        }
    }

    @Test(arguments: Backend.available)
    func concurrentClaimsNeverShareAJob(_ backend: Backend) async throws {
        try await withQueue(backend, photos: 30) { queue, photos in
            let claimed = try await withThrowingTaskGroup(of: [UUID].self) { group in
                for worker in 0..<6 {
                    group.addTask { try await queue.claim(limit: 4, worker: "w\(worker)", lease: .seconds(60)).compactMap(\.photoID) }
                }
                return try await group.reduce(into: [UUID]()) { $0 += $1 }
            }
            #expect(claimed.count == 24)
            #expect(Set(claimed).count == claimed.count, "no job claimed twice")
            #expect(Set(claimed).isSubset(of: Set(photos)))
            #expect(try await queue.queuedCount() == 6)
        }
    }

    /// A worker whose lease ran out and whose job another worker took over: its late writes change nothing.
    @Test(arguments: Backend.available)
    func aStaleWorkersLateWritesChangeNothing(_ backend: Backend) async throws {
        try await withQueue(backend, photos: 1) { queue, _ in
            let stale = try #require(try await queue.claim(limit: 1, worker: "a", lease: .seconds(1)).first)
            let later = Date(timeIntervalSinceNow: 5)
            let current = try #require(try await queue.claim(limit: 1, worker: "b", lease: .seconds(600), now: later).first)
            #expect(current.id == stale.id)
            #expect(current.reclaims == 1, "taken over from an expired lease")
            #expect(current.claimID != stale.claimID)
            await #expect(throws: JobOwnershipLost.self) {
                try await queue.database.transaction { db in try await queue.complete(stale, at: Date(), in: db) }
            }
            await #expect(throws: JobOwnershipLost.self) { try await queue.fail(stale, failure: .permanent("late"), at: Date()) }
            await #expect(throws: JobOwnershipLost.self) { try await queue.release(stale) }
            await #expect(throws: JobOwnershipLost.self) { try await queue.postpone(stale, until: Date(), reason: "late") }
            #expect(try await queue.renew(stale, lease: .seconds(60)) == false)
            let photoID = try #require(current.photoID)
            var stored = try #require(try await queue.jobs(forPhoto: photoID).first)
            #expect(stored.status == .running)
            #expect(stored.worker == "b")
            #expect(stored.attempts == 2)
            #expect(try await queue.renew(current, lease: .seconds(120)) == true)
            try await queue.database.transaction { db in try await queue.complete(current, at: Date(), in: db) }
            stored = try #require(try await queue.jobs(forPhoto: photoID).first)
            #expect(stored.status == .done)
            #expect(stored.claimID == current.claimID)
        }
    }

    /// A worker with enough of one kind in flight (webhook deliveries on slow receivers) claims
    /// only the others.
    @Test(arguments: Backend.available)
    func aClaimCanSkipAKind(_ backend: Backend) async throws {
        try await withQueue(backend, photos: 2) { queue, _ in
            #expect(try await queue.claim(limit: 5, worker: "a", lease: .seconds(60), kinds: .excluding(.processPhoto)).isEmpty)
            #expect(try await queue.claim(limit: 5, worker: "a", lease: .seconds(60), kinds: .only(.deliverWebhook)).isEmpty)
            let photos = try await queue.claim(limit: 5, worker: "a", lease: .seconds(60), kinds: .only(.processPhoto))
            #expect(photos.count == 2 && photos.allSatisfy { $0.kind == .processPhoto })
        }
    }

    @Test(arguments: Backend.available)
    func quarantineIsTerminal(_ backend: Backend) async throws {
        try await withQueue(backend, photos: 1) { queue, _ in
            let job = try #require(try await queue.claim(limit: 1, worker: "a", lease: .seconds(60)).first)
            #expect(try await queue.fail(job, failure: .transient("poison"), quarantine: true, at: Date()) == .quarantined)
            #expect(try await queue.claim(limit: 1, worker: "a", lease: .seconds(60), now: Date(timeIntervalSinceNow: 86_400)).isEmpty)
        }
    }
}
