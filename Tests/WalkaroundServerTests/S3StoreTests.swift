import Configuration
import Foundation
import HTTPTypes
import Storage
import Testing

@testable import WalkaroundServer

/// The S3 store `make test` starts (tools/with-s3.sh: SeaweedFS on loopback).
enum TestS3 {
    static let env = ProcessInfo.processInfo.environment

    /// Settings for the test bucket, with `prefix` so each test sees only its own objects.
    static func settings(prefix: String = "t-\(UUID().uuidString.prefix(8).lowercased())/") throws -> S3Settings {
        let endpoint = try #require(env["WALKAROUND_TEST_S3_ENDPOINT"], "S3 tests need WALKAROUND_TEST_S3_ENDPOINT: run them with `make test`")
        return S3Settings(
            endpoint: endpoint, bucket: env["WALKAROUND_TEST_S3_BUCKET"] ?? "", region: "eu-central-1",
            accessKeyID: env["WALKAROUND_TEST_S3_ACCESS_KEY_ID"] ?? "", secretAccessKey: env["WALKAROUND_TEST_S3_SECRET_ACCESS_KEY"] ?? "",
            prefix: prefix, timeout: .seconds(120)
        )
    }

    /// The service's settings for the test bucket (`secret` replaces the right one).
    static func overrides(secret: String? = nil) throws -> [AbsoluteConfigKey: ConfigValue] {
        let s3 = try settings()
        return [
            "walkaround.s3.endpoint": ConfigValue(.string(s3.endpoint), isSecret: false),
            "walkaround.s3.bucket": ConfigValue(.string(s3.bucket), isSecret: false),
            "walkaround.s3.region": ConfigValue(.string(s3.region), isSecret: false),
            "walkaround.s3.prefix": ConfigValue(.string(s3.prefix), isSecret: false),
            "walkaround.s3.accessKeyId": ConfigValue(.string(s3.accessKeyID), isSecret: true),
            "walkaround.s3.secretAccessKey": ConfigValue(.string(secret ?? s3.secretAccessKey), isSecret: true),
            "walkaround.s3.timeoutMs": ConfigValue(.int(60_000), isSecret: false),
        ]
    }

    /// Whether a store is there; CI (`WALKAROUND_TEST_REQUIRE_S3=1`) insists on one.
    static var available: Bool {
        env["WALKAROUND_TEST_S3_ENDPOINT"] != nil || env["WALKAROUND_TEST_REQUIRE_S3"] == "1"
    }

    static func pid() throws -> Int32 {
        let file = try #require(env["WALKAROUND_TEST_S3_PIDFILE"])
        return try #require(Int32((try String(contentsOfFile: file, encoding: .utf8)).trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    /// Stops the store (SIGTERM, then waits until it is gone).
    static func stop() async throws {
        let pid = try pid()
        kill(pid, SIGTERM)
        for _ in 0..<200 where kill(pid, 0) == 0 { try await Task.sleep(for: .milliseconds(50)) }
        if kill(pid, 0) == 0 { kill(pid, SIGKILL) }
    }

    static func start() async throws {
        let script = try #require(env["WALKAROUND_TEST_S3_RESTART"])
        let started = try await ChildProcess.run("/bin/bash", [script], timeout: .seconds(60))
        #expect(started.status == 0, "\(started.errors)")
    }

    /// A signed request by curl's own SigV4 (a second implementation beside ours).
    static func curl(_ method: String, _ path: String) async throws -> String {
        let s3 = try settings()
        return try await ChildProcess.run(
            "/usr/bin/curl",
            ["-s", "-X", method, "--aws-sigv4", "aws:amz:eu-central-1:s3", "--user", "\(s3.accessKeyID):\(s3.secretAccessKey)", s3.endpoint + "/" + s3.bucket + path],
            timeout: .seconds(30)
        ).output
    }
}

/// Photos in a real S3-compatible store: the operations, the service on top of it, a wrong
/// secret, and the store going away under uploads. Serialized: one test stops the store.
@Suite("Photos in S3", .serialized, .enabled(if: TestS3.available))
struct S3StoreTests {
    @Test func theStoreKeepsPhotosByAddress() async throws {
        var settings = try TestS3.settings()
        (settings.multipartThreshold, settings.partSize) = (6 << 20, 5 << 20)
        let store = try S3PhotoStore(settings: settings)
        try await store.check()
        let small = TestImages.jpeg(seed: 1)
        let smallAddress = PhotoBlobStore.address(of: small)
        #expect(try await !store.exists(sha256: smallAddress))
        #expect(try await store.read(sha256: smallAddress) == nil)
        try await store.store(small, sha256: smallAddress)
        #expect(try await store.exists(sha256: smallAddress))
        #expect(try await store.read(sha256: smallAddress) == small)
        // Over the threshold: three parts (5 + 5 + 2 MiB), read back whole.
        var large = [UInt8](repeating: 0, count: 12 << 20)
        for index in stride(from: 0, to: large.count, by: 4096) { large[index] = UInt8(truncatingIfNeeded: index / 4096) }
        let largeAddress = PhotoBlobStore.address(of: large)
        try await store.store(large, sha256: largeAddress)
        let back = try #require(try await store.read(sha256: largeAddress))
        #expect(back.count == large.count && PhotoBlobStore.address(of: back) == largeAddress)
        let listed = try await store.addresses(modifiedBefore: Date().addingTimeInterval(60))
        #expect(Set(listed) == [smallAddress, largeAddress])
        #expect(try await store.addresses(modifiedBefore: Date().addingTimeInterval(-3600)).isEmpty, "nothing was stored an hour ago")
        try await store.remove(sha256: largeAddress)
        try await store.remove(sha256: largeAddress)  // idempotent
        #expect(try await !store.exists(sha256: largeAddress))
        // A multipart upload that never finished is aborted by the janitor's step, only once old enough.
        _ = try await TestS3.curl("POST", "/\(settings.prefix)\(String(repeating: "b", count: 64))?uploads=")
        #expect(try await store.removeTemporaries(modifiedBefore: Date().addingTimeInterval(-3600)) == 0)
        #expect(try await store.removeTemporaries(modifiedBefore: Date().addingTimeInterval(60)) == 1)
        #expect(try await store.removeTemporaries(modifiedBefore: Date().addingTimeInterval(60)) == 0)
        try await store.remove(sha256: smallAddress)
    }

    @Test func uploadsAreProcessedErasedAndSweptThroughTheBucket() async throws {
        try await TestApp.run(.sqlite, try TestS3.overrides()) { app in
            #expect(app.components.blobs is S3PhotoStore)
            let ready = try await app.operations("/ready")
            #expect(ready.status == .ok && ready.object["photo_store"] as? String == "ok", "\(ready.text)")
            let id = try await app.createInspection()
            let jpeg = TestImages.jpeg(seed: 61)
            let upload = try await app.upload(jpeg, to: id)
            #expect(upload.status == .accepted)
            let photos = try await app.waitUntilSettled(id)
            #expect(photos.first?["status"] as? String == "processed", "\(photos)")
            let photo = try #require(photos.first?["id"] as? String)
            let image = try await app.request(.get, "/v1/photos/\(photo)/image", key: app.keys.station)
            #expect(image.status == .ok && Array(image.body.readableBytesView) == jpeg, "read back from the bucket")
            let address = PhotoBlobStore.address(of: jpeg)
            #expect(try await app.components.blobs.exists(sha256: address))
            // A stray object (an upload that died before its commit) goes once older than the grace period.
            let stray = TestImages.jpeg(seed: 62)
            try await app.components.blobs.store(stray, sha256: PhotoBlobStore.address(of: stray))
            let janitor = app.components.makeJanitor(logger: TestEnvironment.logger)
            let later = await janitor.sweep(now: Date().addingTimeInterval(2 * 3600))
            #expect(later.unreferencedRemoved == 1 && later.errors == 0, "\(later)")
            #expect(try await !app.components.blobs.exists(sha256: PhotoBlobStore.address(of: stray)))
            #expect(try await app.components.blobs.exists(sha256: address), "a photo's object stays")
            // Erasure deletes the object.
            #expect(try await app.request(.delete, "/v1/inspections/\(id)", key: app.keys.admin).status == .noContent)
            #expect(try await !app.components.blobs.exists(sha256: address))
        }
    }

    @Test func aWrongSecretIsAClearErrorAndStoresNothing() async throws {
        try await TestApp.run(.sqlite, try TestS3.overrides(secret: "not-the-secret")) { app in
            let ready = try await app.operations("/ready")
            #expect(ready.status == .serviceUnavailable)
            let reason = ready.object["photo_store"] as? String ?? ""
            #expect(reason.contains("403") && reason.contains("SignatureDoesNotMatch"), "\(reason)")
            let id = try await app.createInspection()
            let refused = try await app.upload(TestImages.jpeg(seed: 63), to: id)
            #expect(refused.status == .serviceUnavailable && refused.errorCode == "unavailable")
            #expect(refused.headers[.retryAfter] != nil)
            #expect(try await app.database.execute("SELECT id FROM photos").isEmpty, "no row for a photo that was not stored")
        }
    }

    @Test func anOutageRefusesUploadsWith503AndLosesNothingAccepted() async throws {
        try await TestApp.run(.sqlite, try TestS3.overrides()) { app in
            let id = try await app.createInspection()
            var accepted: [[UInt8]] = []
            for (seed, view) in zip(UInt8(70)..<UInt8(73), ["front", "rear", "left"]) {
                let jpeg = TestImages.jpeg(seed: seed)
                #expect(try await app.upload(jpeg, to: id, view: view).status == .accepted)
                accepted.append(jpeg)
            }
            try await TestS3.stop()
            let outcome = await Result {
                let refused = try await app.upload(TestImages.jpeg(seed: 80), to: id, view: "right")
                #expect(refused.status == .serviceUnavailable, "\(refused.text)")
                #expect(refused.errorCode == "unavailable" && refused.headers[.retryAfter] != nil)
                #expect(try await app.operations("/ready").status == .serviceUnavailable)
            }
            try await TestS3.start()
            try outcome.get()
            // Back: uploads are taken again, and every photo accepted before the outage is there and processed.
            let again = TestImages.jpeg(seed: 81)
            #expect(try await app.upload(again, to: id, view: "right").status == .accepted)
            accepted.append(again)
            let photos = try await app.waitUntilSettled(id, timeout: .seconds(120))
            #expect(photos.count == accepted.count, "only the refused upload is missing")
            #expect(photos.allSatisfy { $0["status"] as? String != "failed" }, "\(photos.map { $0["status"] ?? "" })")
            for jpeg in accepted {
                #expect(try await app.components.blobs.read(sha256: PhotoBlobStore.address(of: jpeg)) == jpeg)
            }
        }
    }
}
