import Configuration
import Foundation
import HTTPTypes
import Storage
import Testing

@testable import WalkaroundServer

/// PostgreSQL restarted (fast shutdown, start again) while a station uploads a stream of photos:
/// uploads during the outage get 503 `unavailable` with `Retry-After`, never a 500; the client
/// retries with the same `Idempotency-Key`; afterwards every photo is stored once and processed,
/// and the service answers again without a restart of its own. The server is a private instance
/// (`tools/pg-instance.sh`), so the restart does not disturb the other suites' server.
@Suite("PostgreSQL restarted under load", .serialized, .timeLimit(.minutes(10)))
struct PostgresRestartTests {
    static let script = #filePath.components(separatedBy: "/Tests/")[0] + "/tools/pg-instance.sh"

    /// Runs `tools/pg-instance.sh ACTION DIR` and returns the server's URL. posix_spawn and
    /// waitpid, not Foundation's Process: its waitUntilExit did not return here once the script
    /// had left a server running in the background.
    @discardableResult
    static func instance(_ action: String, _ dir: String) throws -> String {
        var pid: pid_t = 0
        var argv: [UnsafeMutablePointer<CChar>?] = []
        for argument in [script, action, dir] { argv.append(strdup(argument)) }
        argv.append(nil)
        defer { argv.forEach { free($0) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        guard posix_spawn(&pid, script, &actions, nil, argv, environ) == 0 else {
            throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "could not start pg-instance.sh"])
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        guard status == 0 else { throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "pg-instance.sh \(action) failed: \(status)"]) }
        return ((try? String(contentsOfFile: dir + "/url", encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func uploadsDuringARestartAre503AndNothingAcceptedIsLost() async throws {
        guard Backend.available.contains(.postgres) else { return }
        let dir = NSTemporaryDirectory() + "walkaround-pg-restart-" + UUID().uuidString.prefix(8)
        let url = try Self.instance("start", dir)
        defer {
            _ = try? Self.instance("stop", dir)
            try? FileManager.default.removeItem(atPath: dir)
        }
        // A short lease: a job whose worker lost its transaction in the restart is taken again soon.
        // An attempt stuck on a connection lost mid-query is cancelled after 10 s (the default is 15 min).
        // A 2 s lease expired twice around the restart with the whole suite on two cores
        // (quarantining a healthy photo); 20 s attempts made the stuck ones outlast the test's
        // 5 minutes; 5 s attempts overran on a loaded machine.
        let lease: [AbsoluteConfigKey: ConfigValue] = [
            "walkaround.job.leaseMs": ConfigValue(.int(5_000), isSecret: false),
            "walkaround.job.maxRunMs": ConfigValue(.int(10_000), isSecret: false),
        ]
        try await TestApp.run(.postgres, lease, postgresURL: url) { app in
            let id = try await app.createInspection()
            let uploads = 30
            let restartAfter = 8
            let sent = Counter()
            async let restarted: Void = {
                while sent.value < restartAfter { try await Task.sleep(for: .milliseconds(10)) }
                // On a thread of its own: waiting for the restart on one of the two cooperative
                // threads would starve the workers' lease renewals.
                _ = try await withCheckedThrowingContinuation { (done: CheckedContinuation<String, any Error>) in
                    DispatchQueue.global().async { done.resume(with: Result { try Self.instance("restart", dir) }) }
                }
            }()
            var outageAnswers = 0
            for index in 0..<uploads {
                let key: HTTPFields = [.init("Idempotency-Key")!: "stream-\(index)"]
                let bytes = TestImages.jpeg(width: 320, height: 240, seed: UInt8(index))
                let deadline = ContinuousClock.now + .seconds(60)
                while true {
                    let response = try await app.upload(bytes, to: id, headers: key)
                    if response.status == .accepted { break }
                    #expect(response.status == .serviceUnavailable, "upload \(index): \(response.status) \(response.text)")
                    #expect(response.errorCode == "unavailable")
                    #expect(response.headers[.retryAfter] != nil)
                    outageAnswers += 1
                    guard ContinuousClock.now < deadline else {
                        Issue.record("upload \(index) was not accepted within a minute of the restart")
                        return
                    }
                    try await Task.sleep(for: .milliseconds(100))
                }
                sent.increment()
            }
            try await restarted
            let photos = try await app.waitUntilSettled(id, timeout: .seconds(90))
            if photos.isEmpty {
                for job in try await app.database.execute("SELECT status, attempts, reclaims, last_error, lease_until FROM jobs WHERE status <> 'done'") {
                    print("unsettled job: \(job)")
                }
            }
            #expect(photos.count == uploads, "each photo stored once, retries replayed")
            let unsettled = photos.filter { $0["status"] as? String != "rejected" && $0["status"] as? String != "processed" }
            #expect(unsettled.isEmpty, "\(unsettled)")
            for job in try await app.database.execute("SELECT status, attempts, reclaims, last_error FROM jobs WHERE status <> 'done'") {
                print("job not done: \(job)")
            }
            let jobs = try await app.database.execute("SELECT status FROM jobs")
            #expect(jobs.count == uploads)
            #expect(try jobs.allSatisfy { try $0.string("status") == "done" })
            print("PostgreSQL restart: \(uploads) uploads accepted, \(outageAnswers) answers 503 during the outage")
        }
    }
}

/// A counter shared between the upload loop and the restart task.
private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    var value: Int { lock.withLock { count } }
    func increment() { lock.withLock { count += 1 } }
}
