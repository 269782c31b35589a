import Configuration
import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import Pipeline
import Storage
import Testing

@testable import WalkaroundServer

/// The Redis `make test` starts (tools/with-redis.sh).
enum TestRedis {
    static let env = ProcessInfo.processInfo.environment

    static var available: Bool { env["WALKAROUND_TEST_REDIS_URL"] != nil || env["WALKAROUND_TEST_REQUIRE_REDIS"] == "1" }

    static func url() throws -> String {
        try #require(env["WALKAROUND_TEST_REDIS_URL"], "Redis tests need WALKAROUND_TEST_REDIS_URL: run them with `make test`")
    }

    static func overrides() throws -> [AbsoluteConfigKey: ConfigValue] {
        [
            "walkaround.redis.url": ConfigValue(.string(try url()), isSecret: true),
            // The whole suite runs in parallel on 2 cores: a command may wait seconds for a thread.
            "walkaround.redis.timeoutMs": ConfigValue(.int(10_000), isSecret: false),
        ]
    }

    /// Settings for clients made in the tests, with the same loaded-machine deadline.
    static func settings() throws -> RedisSettings {
        var settings = try RedisSettings(url: try url())
        settings.timeout = .seconds(10)
        return settings
    }

    static func kill() async throws {
        let file = try #require(env["WALKAROUND_TEST_REDIS_PIDFILE"])
        let pid = try #require(Int32((try String(contentsOfFile: file, encoding: .utf8)).trimmingCharacters(in: .whitespacesAndNewlines)))
        Foundation.kill(pid, SIGKILL)
        for _ in 0..<100 where Foundation.kill(pid, 0) == 0 { try await Task.sleep(for: .milliseconds(20)) }
    }

    static func start() async throws {
        let started = try await ChildProcess.run("/bin/bash", [try #require(env["WALKAROUND_TEST_REDIS_RESTART"])], timeout: .seconds(30))
        #expect(started.status == 0, "\(started.errors)")
    }
}

/// Redis for what it is good at, against a real redis-server: commands and pipelining, signals
/// between pods, the event stream, and Redis killed mid-run costing speed only. Serialized: one
/// test kills the server.
@Suite("Redis", .serialized, .enabled(if: TestRedis.available))
struct RedisTests {
    static let logger = Logger(label: "redis-test")

    @Test func commandsAndPipelinesGetTheirOwnAnswers() async throws {
        let client = RedisClient(settings: try TestRedis.settings(), logger: Self.logger)
        defer { client.close() }
        let key = "test:\(UUID().uuidString)"
        #expect(try await client.command(["SET", key, "v1", "PX", "60000"]) == .simpleString("OK"))
        #expect(try await client.command(["GET", key]).string == "v1")
        #expect(try await client.command(["GET", key + ":missing"]) == .null)
        // Many in flight on few connections: each answer reaches its own command.
        let answers = try await client.pipeline((0..<200).map { ["INCRBY", key + ":n", "\($0)"] })
        #expect(answers.count == 200 && answers.compactMap(\.int).count == 200)
        #expect(try await client.command(["GET", key + ":n"]).int == Int64((0..<200).reduce(0, +)))
        await #expect(throws: RedisError.self) { try await client.command(["NOSUCHCOMMAND"]) }
        #expect(try await client.command(["HGETALL", key + ":none"]) == .map([]), "RESP3: a map, not a flat array")
        #expect(client.isAvailable, "an error reply is an answer, not an outage")
        var wrong = try TestRedis.settings()
        wrong.password = "wrong"
        let refused = RedisClient(settings: wrong, logger: Self.logger)
        await #expect(throws: RedisError.self) { try await refused.command(["PING"]) }
    }

    /// Two pods' event hubs on one Redis: a change in one wakes the other's stream at once.
    @Test func aChangeInOnePodWakesTheOthersStreams() async throws {
        let settings = try TestRedis.settings()
        let (redisA, redisB) = (RedisClient(settings: settings, logger: Self.logger), RedisClient(settings: settings, logger: Self.logger))
        defer { redisA.close(); redisB.close() }
        let podA = InspectionEvents(redis: redisA, logger: Self.logger), podB = InspectionEvents(redis: redisB, logger: Self.logger)
        let subscriber = RedisSubscriber(settings: settings, pattern: InspectionEvents.channelPrefix + "*", logger: Self.logger) { channel, _ in
            if let id = UUID(uuidString: String(channel.dropFirst(InspectionEvents.channelPrefix.count))) { podA.wake(id) }
        }
        let running = Task { await subscriber.run() }
        defer { running.cancel() }
        try #require(try await eventually(.seconds(60)) { subscriber.isSubscribed })
        let (watched, other) = (UUID(), UUID())
        async let woken = podA.wait(for: watched, timeout: .seconds(60))
        #expect(try await eventually(.seconds(60)) { podA.waiting >= 1 }, "the watched stream waits before the change")
        async let notWoken = podA.wait(for: other, timeout: .seconds(5))
        _ = try await eventually(.seconds(5)) { podA.waiting >= 2 }
        let started = ContinuousClock.now
        await podB.changed(watched)
        #expect(await woken, "woken by the other pod's signal, not by the 60 s timeout")
        #expect(ContinuousClock.now - started < .seconds(30))
        #expect(await notWoken == false, "another inspection's stream is not woken")
    }

    /// A photo uploaded to an api pod wakes an idle worker in another process through Redis at
    /// once: the worker polls only every 2 minutes here, so only the wake-up can be that fast.
    @Test(arguments: Backend.available)
    func anUploadWakesAWorkerInAnotherPod(_ backend: Backend) async throws {
        var overrides = try TestRedis.overrides()
        overrides["walkaround.role"] = ConfigValue(.string("api"), isSecret: false)
        try await TestApp.run(backend, overrides) { app in
            let id = try await app.createInspection()
            #expect(try await app.upload(TestImages.jpeg(seed: 30), to: id).status == .accepted)
            let environment = TestEnvironment(backend: backend, dataDir: app.components.settings.dataDir, databaseURL: app.components.settings.databaseURL)
            let worker = try WorkerProcess.start(
                environment, stageDelayMs: 0, leaseMs: 60_000, drainMs: 1_000, pollMs: 120_000, extra: ["WALKAROUND_REDIS_URL": try TestRedis.url()]
            )
            defer { worker.signal(SIGKILL) }
            // The first photo is found by the worker's first claim as it starts; then it waits.
            var photos = try await app.waitUntilSettled(id, timeout: .seconds(120))
            #expect(photos.count == 1 && photos.allSatisfy { $0["status"] as? String != "failed" }, "\(worker.log)")
            for seed in 31..<34 {
                let started = ContinuousClock.now
                #expect(try await app.upload(TestImages.jpeg(seed: UInt8(seed)), to: id).status == .accepted)
                photos = try await app.waitUntilSettled(id, timeout: .seconds(60))
                #expect(photos.count == seed - 29 && photos.allSatisfy { $0["status"] as? String != "failed" }, "\(worker.log)")
                #expect(ContinuousClock.now - started < .seconds(45), "woken through Redis, not by the 2-minute poll")
            }
        }
    }

    /// The event stream tells a station about its photo's verdict and the report, in order, and ends
    /// once the report is written.
    @Test func theEventStreamFollowsAnInspectionToItsReport() async throws {
        try await TestApp.run(.sqlite, try TestRedis.overrides()) { app in
            let id = try await app.createInspection()
            #expect(try await app.request(.get, "/v1/inspections/\(id)/events", key: app.keys.otherStation).status == .forbidden, "another station's")
            let stream = Task { try await app.request(.get, "/v1/inspections/\(id)/events", key: app.keys.station) }
            try #require(try await eventually(.seconds(60)) { app.components.events.waiting > 0 }, "the stream is open")
            #expect(try await app.upload(TestImages.jpeg(seed: 90), to: id).status == .accepted)
            _ = try await app.waitUntilSettled(id)
            #expect(try await app.request(.post, "/v1/inspections/\(id)/complete", key: app.keys.station).status == .ok)
            let response = try await stream.value
            #expect(response.status == .ok && response.headers[.contentType] == "text/event-stream; charset=utf-8")
            let events = response.text.components(separatedBy: "\n\n").compactMap { block -> (String, [String: Any])? in
                let lines = block.split(separator: "\n")
                guard let name = lines.first(where: { $0.hasPrefix("event: ") })?.dropFirst(7),
                    let data = lines.first(where: { $0.hasPrefix("data: ") })?.dropFirst(6),
                    let object = try? JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any]
                else { return nil }
                return (String(name), object)
            }
            let names = events.map(\.0)
            #expect(names.first == "inspection" && names.last == "done" && names.dropLast().last == "report", "\(names)")
            let photoStates = events.filter { $0.0 == "photo" }.compactMap { $0.1["status"] as? String }
            #expect(photoStates.first == "queued" || photoStates.first == "processing", "\(photoStates)")
            #expect(photoStates.last == "processed", "the verdict arrives: \(photoStates)")
            #expect(events.contains { $0.0 == "inspection" && $0.1["status"] as? String == "completed" })
            #expect(events.dropLast().last?.1["status"] as? String == "written")
        }
    }

    /// The same bytes uploaded again (another inspection) take their detections from the cache;
    /// a poisoned entry is a miss, not a finding.
    @Test func aRepeatedUploadSkipsTheModels() async throws {
        var overrides = DemoModel.overrides()
        overrides.merge(try TestRedis.overrides()) { $1 }
        try await TestApp.run(.sqlite, overrides) { app in
            #expect(try await DetectionAPITests.waitForReady(app)["models"] as? String == "ready")
            let reference = try DemoModel.reference()
            let withDamage = try #require(reference.first { !$0.detections.isEmpty })
            let png = [UInt8](try Data(contentsOf: URL(fileURLWithPath: DemoModel.fixtures + "/reference/" + withDamage.image)))
            var found: [[String]] = []
            for _ in 0..<2 {
                let id = try await app.createInspection()
                #expect(try await app.upload(png, to: id, view: "front", contentType: "image/png").status == .accepted)
                let photo = try #require(try await app.waitUntilSettled(id).first)
                found.append(((photo["detections"] as? [[String: Any]]) ?? []).map { "\($0["class_name"] ?? "")@\($0["confidence"] ?? "")" }.sorted())
            }
            #expect(!found[0].isEmpty && found[0] == found[1], "\(found)")
            let metrics = try await app.operations("/metrics").text
            #expect(metrics.contains(#"walkaround_detection_cache_total{outcome="miss"} 1"#), "\(metrics.split(separator: "\n").filter { $0.contains("cache") })")
            #expect(metrics.contains(#"walkaround_detection_cache_total{outcome="hit"} 1"#))
            // A poisoned entry for these bytes: ignored, the models run again.
            let redis = try #require(app.components.redis)
            let keys = try await redis.command(["KEYS", "walkaround:detections:*"])
            guard case .array(let names) = keys, let name = names.first?.string else {
                Issue.record("no cache entry: \(keys)")
                return
            }
            try await redis.command(["SET", name, #"[{"model":"damage","role":"damage","classIndex":0,"className":"dent","confidence":2,"box":[-1e300,0,1e300,1]}]"#])
            let id = try await app.createInspection()
            #expect(try await app.upload(png, to: id, view: "front", contentType: "image/png").status == .accepted)
            let photo = try #require(try await app.waitUntilSettled(id).first)
            #expect(((photo["detections"] as? [[String: Any]]) ?? []).count == found[0].count)
            #expect(try await app.operations("/metrics").text.contains(#"walkaround_detection_cache_total{outcome="invalid"} 1"#))
        }
    }

    /// A thumbnail is made once and then served from Redis (by any pod); a corrupt entry is made again.
    @Test func thumbnailsAreMadeOnce() async throws {
        try await TestApp.run(.sqlite, try TestRedis.overrides()) { app in
            let id = try await app.createInspection()
            let upload = try await app.upload(TestImages.jpeg(seed: 93), to: id)
            let photo = try #require(upload.object["id"] as? String)
            let first = try await app.request(.get, "/v1/photos/\(photo)/thumbnail.jpg?size=200", key: app.keys.station)
            let second = try await app.request(.get, "/v1/photos/\(photo)/thumbnail.jpg?size=200", key: app.keys.station)
            #expect(first.status == .ok && second.status == .ok && first.body == second.body)
            var metrics = try await app.operations("/metrics").text
            #expect(metrics.contains(#"walkaround_cache_total{cache="thumbnail",outcome="miss"} 1"#))
            #expect(metrics.contains(#"walkaround_cache_total{cache="thumbnail",outcome="hit"} 1"#))
            let sha = try #require(upload.object["sha256"] as? String)
            try await #require(app.components.redis).command(["SET", "walkaround:thumbnail:\(sha):200", "not a jpeg"])
            let third = try await app.request(.get, "/v1/photos/\(photo)/thumbnail.jpg?size=200", key: app.keys.station)
            #expect(third.status == .ok && third.body == first.body, "a corrupt entry is made again, never served")
            metrics = try await app.operations("/metrics").text
            #expect(metrics.contains(#"walkaround_cache_total{cache="thumbnail",outcome="invalid"} 1"#))
        }
    }

    @Test func redisKilledMidRunCostsSpeedOnly() async throws {
        try await TestApp.run(.sqlite, try TestRedis.overrides()) { app in
            let redis = try #require(app.components.redis)
            let id = try await app.createInspection()
            #expect(try await app.upload(TestImages.jpeg(seed: 91), to: id, view: "front").status == .accepted)
            try await TestRedis.kill()
            let outcome = await Result {
                // Uploads, processing and the event stream go on without it.
                #expect(try await app.upload(TestImages.jpeg(seed: 92), to: id, view: "rear").status == .accepted)
                let photos = try await app.waitUntilSettled(id)
                #expect(photos.count == 2 && photos.allSatisfy { $0["status"] as? String == "processed" }, "\(photos)")
                #expect(!redis.isAvailable, "the client knows it is down")
                let metrics = try await app.operations("/metrics").text
                #expect(metrics.contains("walkaround_redis_up 0"), "the degraded mode shows")
                #expect(try await app.request(.post, "/v1/inspections/\(id)/complete", key: app.keys.station).status == .ok)
                let events = try await app.request(.get, "/v1/inspections/\(id)/events", key: app.keys.station)
                #expect(events.status == .ok && events.text.contains("\"status\":\"written\""), "the stream polls instead")
            }
            try await TestRedis.start()
            try outcome.get()
            // Back: the client answers again after its back-off.
            // (The back-off grows to 30 s: give it several rounds.)
            #expect(try await eventually(.seconds(120)) { (try? await redis.command(["PING"])) != nil })
            #expect(try await app.operations("/metrics").text.contains("walkaround_redis_up 1"))
        }
    }

    /// Rate limits counted across pods in Redis. In this serialized suite, not beside the rate
    /// limits: the kill test above stops the shared Redis, and pods counting alone meanwhile would
    /// each admit the key's whole limit.
    @Test func twoPodsCountTogetherInRedis() async throws {
        var overrides = RateLimitTests.limits(key: 8, station: 0)
        overrides.merge(try TestRedis.overrides()) { $1 }
        try await TestApp.run(.sqlite, overrides) { podA in
            // The second pod needs the same key: the same database, so run it on podA's settings' folder.
            let podB = RedisClient(settings: try TestRedis.settings(), logger: RedisTests.logger)
            defer { podB.close() }
            let limiter = RateLimiter(limits: RateLimits(perKey: 8, perStation: 0), redis: podB)
            let keyID = try #require(try await APIKeyRepository(database: podA.database).authenticate(secret: podA.keys.station)).id
            // Both pods' clients connected, and well inside one minute's window.
            _ = try await #require(podA.components.redis).command(["PING"])
            _ = try await podB.command(["PING"])
            try await RateLimitTests.earlyInAMinute()
            let window = RateLimitTests.minute
            // Pod B (a limiter on the same Redis) uses 5 of the key's 8.
            for _ in 0..<5 { #expect(await limiter.admit(keyID: keyID, station: nil) == nil) }
            let (sent, refused) = try await RateLimitTests.exhaust(podA, key: podA.keys.station, limit: 8)
            #expect(refused?.status == .tooManyRequests)
            if RateLimitTests.minute == window {
                #expect(sent == 4, "pod A saw pod B's requests: the 4th on pod A is over the key's 8: \(sent)")
            } else {
                #expect(sent <= 4 + 8, "a window ended mid-test, the count started again: \(sent)")
            }
        }
    }
}

/// Rate limits per key and per station: 429 with `Retry-After` over the limit, counted across
/// pods in Redis, per pod without it.
@Suite("Rate limits", .serialized)
struct RateLimitTests {
    static func limits(key: Int, station: Int) -> [AbsoluteConfigKey: ConfigValue] {
        [
            "walkaround.rateLimit.keyPerMinute": ConfigValue(.int(key), isSecret: false),
            "walkaround.rateLimit.stationPerMinute": ConfigValue(.int(station), isSecret: false),
        ]
    }

    /// Requests until the first 429, and that answer. Windows are whole minutes of the clock, so
    /// one may end mid-test: then the count starts again and the 429 comes at most `limit` requests
    /// later. Sending up to `2 × limit + 1` finds it through one window's end, and starting early in
    /// a minute keeps a second end (60 s later) out of reach however slow the machine is.
    static func exhaust(_ app: TestApp, key: String, limit: Int) async throws -> (Int, TestResponse?) {
        let most = 2 * limit + 1
        for sent in 1...most {
            let response = try await app.request(.get, "/v1/inspections?limit=1", key: key)
            if response.status == .tooManyRequests { return (sent, response) }
            #expect(response.status == .ok)
        }
        return (most, nil)
    }

    /// Waits until the clock's minute is at most 40 s old, so a test's requests start well inside
    /// one window.
    static func earlyInAMinute() async throws {
        while Int(Date().timeIntervalSince1970) % 60 > 40 { try await Task.sleep(for: .seconds(1)) }
    }

    /// The clock's minute: the limiter's window.
    static var minute: Int { Int(Date().timeIntervalSince1970) / 60 }

    @Test func overTheKeysLimitIs429UntilTheMinuteEnds() async throws {
        try await TestApp.run(.sqlite, Self.limits(key: 5, station: 0)) { app in
            try await Self.earlyInAMinute()
            let window = Self.minute
            let (sent, refused) = try await Self.exhaust(app, key: app.keys.station, limit: 5)
            let response = try #require(refused, "no 429 after \(sent) requests")
            if Self.minute == window {
                #expect(sent == 6, "the 6th request is over the key's 5: \(sent)")
            } else {
                #expect((6...11).contains(sent), "a window ended mid-test, the count started again: \(sent)")
            }
            #expect(response.errorCode == "rate_limited")
            let wait = try #require(response.headers[.retryAfter].flatMap { Int($0) })
            #expect((1...60).contains(wait))
            #expect(try await app.request(.get, "/v1/inspections?limit=1", key: app.keys.reviewer).status == .ok, "another key is not limited")
            #expect(try await app.request(.get, "/v1/inspections?limit=1", key: "wrong").status == .unauthorized, "an unknown key is 401, not counted")
            #expect(try await app.operations("/metrics").text.contains(#"walkaround_rate_limited_total{scope="key"}"#))
        }
    }

    @Test func aStationsKeysShareItsLimit() async throws {
        try await TestApp.run(.sqlite, Self.limits(key: 0, station: 6)) { app in
            let second = try await APIKeyRepository(database: app.database).create(role: .station, station: "MUC-01", name: "muc-2").secret
            try await Self.earlyInAMinute()
            let window = Self.minute
            for _ in 0..<3 { #expect(try await app.request(.get, "/v1/inspections?limit=1", key: app.keys.station).status == .ok) }
            let (sent, refused) = try await Self.exhaust(app, key: second, limit: 6)
            #expect(refused?.status == .tooManyRequests)
            if Self.minute == window {
                #expect(sent == 4, "the station's 6 were used by its two keys: \(sent)")
            } else {
                #expect(sent <= 4 + 6, "a window ended mid-test, the count started again: \(sent)")
            }
            #expect(try await app.request(.get, "/v1/inspections?limit=1", key: app.keys.otherStation).status == .ok, "another station is not limited")
        }
    }
}
