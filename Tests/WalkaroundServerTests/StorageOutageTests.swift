import Foundation
import HTTPTypes
import Storage
import Testing

@testable import WalkaroundServer

/// The photo store's disk fills up: uploads get 503 with `Retry-After` and a code, nothing is
/// half-stored (no row, no partial file), and uploads succeed again once there is room. The full
/// disk is a real one: a 2 MiB tmpfs mounted over the photo folder (the tests run as root; where
/// mounting is refused the test records why and stops).
@Suite("Storage outages", .serialized)
struct StorageOutageTests {
    static func mount(_ arguments: [String]) async throws -> Int32 {
        try await ChildProcess.run("/bin/mount", arguments, timeout: .seconds(30)).status
    }

    /// A JPEG signature and header followed by `count` filler bytes: accepted at upload (only sniffed).
    static func bigJPEG(seed: UInt8, count: Int) -> [UInt8] {
        TestImages.fakeJPEG(padding: 64, seed: seed) + [UInt8](repeating: seed, count: count)
    }

    @Test func aFullPhotoDiskIs503AndLosesNothing() async throws {
        try await TestApp.run(.sqlite) { app in
            let root = try app.folder.root
            guard try await Self.mount(["-t", "tmpfs", "-o", "size=2m", "tmpfs", root]) == 0 else {
                Issue.record("could not mount a tmpfs over \(root): this test needs root and mount(8)")
                return
            }
            let outcome = await Result { try await Self.fillTheDisk(app, root: root) }
            _ = try? await ChildProcess.run("/bin/umount", [root], timeout: .seconds(30))
            try outcome.get()
        }
    }

    private static func fillTheDisk(_ app: TestApp, root: String) async throws {
        try FileManager.default.createDirectory(atPath: root + "/tmp", withIntermediateDirectories: true)
        let id = try await app.createInspection()
        let first = try await app.upload(Self.bigJPEG(seed: 1, count: 1_200_000), to: id)
        #expect(first.status == .accepted)
        let full = try await app.upload(Self.bigJPEG(seed: 2, count: 1_200_000), to: id, headers: [.init("Idempotency-Key")!: "second"])
        #expect(full.status == .serviceUnavailable)
        #expect(full.errorCode == "unavailable")
        #expect(full.headers[.retryAfter] == "1")
        let rows = try await app.database.execute("SELECT id FROM photos")
        #expect(rows.count == 1, "the refused upload stored no row")
        #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/tmp").isEmpty, "no partial file left behind")
        // Room again (the first photo's file removed by hand stands for an operator freeing space).
        let small = try await app.upload(TestImages.fakeJPEG(padding: 1000, seed: 3), to: id, headers: [.init("Idempotency-Key")!: "second"])
        #expect(small.status == .unprocessableContent || small.status == .accepted, "\(small.status)")
        let retry = try await app.upload(Self.bigJPEG(seed: 4, count: 100_000), to: id)
        #expect(retry.status == .accepted, "smaller uploads fit again")
        #expect(try await app.request(.get, "/health", key: nil).status == .ok)
    }
}

extension Result where Failure == any Error {
    /// The outcome of `body`, thrown or returned, to act on before passing it on.
    init(_ body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
