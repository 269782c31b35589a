import Configuration
import Foundation
import HTTPTypes
import TestFixtures
import Testing

@testable import WalkaroundServer

/// Image routes under load: immutable representations answer `If-None-Match` with 304 without
/// decoding anything, and decoding beyond the configured concurrency waits briefly, then gets 503
/// with `Retry-After` and a code.
@Suite("Image route limits")
struct ImageRouteLimitsTests {
    @Test(arguments: Backend.available)
    func immutableImagesHonourIfNoneMatch(_ backend: Backend) async throws {
        try await TestApp.run(backend) { app in
            let id = try await app.createInspection()
            let photoID = try #require(try await app.upload(TestImages.jpeg(), to: id).object["id"] as? String)
            for route in ["image", "thumbnail.jpg", "thumbnail.jpg?size=64"] {
                let first = try await app.request(.get, "/v1/photos/\(photoID)/\(route)", key: app.keys.station)
                #expect(first.status == .ok)
                let tag = try #require(first.headers[.eTag])
                let again = try await app.request(.get, "/v1/photos/\(photoID)/\(route)", key: app.keys.station, headers: [.ifNoneMatch: tag])
                #expect(again.status == .notModified, "\(route)")
                #expect(again.body.readableBytes == 0)
                #expect(again.headers[.eTag] == tag)
                let other = try await app.request(.get, "/v1/photos/\(photoID)/\(route)", key: app.keys.station, headers: [.ifNoneMatch: "\"other\""])
                #expect(other.status == .ok, "\(route)")
            }
            // The tag never lets another station's key skip the access check.
            let tagged = try await app.request(.get, "/v1/photos/\(photoID)/image", key: app.keys.station)
            let foreign = try await app.request(
                .get, "/v1/photos/\(photoID)/image", key: app.keys.otherStation, headers: [.ifNoneMatch: try #require(tagged.headers[.eTag])]
            )
            #expect(foreign.status == .forbidden)
        }
    }

    @Test func decodingBeyondTheLimitIs503WithRetryAfter() async throws {
        let tight: [AbsoluteConfigKey: ConfigValue] = [
            "walkaround.images.concurrency": ConfigValue(.int(1), isSecret: false),
            "walkaround.images.maxWaitMs": ConfigValue(.int(0), isSecret: false),
        ]
        try await TestApp.run(.sqlite, tight) { app in
            let id = try await app.createInspection()
            let big = FlatPNG.png(width: 5_000, height: 5_000, value: 120, colourType: .rgb)
            let photoID = try #require(try await app.upload(big, to: id, contentType: "image/png").object["id"] as? String)
            let statuses = try await withThrowingTaskGroup(of: (Int, String?, String?).self) { group in
                for size in 100..<108 {
                    group.addTask {
                        let response = try await app.request(.get, "/v1/photos/\(photoID)/thumbnail.jpg?size=\(size)", key: app.keys.station)
                        return (Int(response.status.code), response.errorCode, response.headers[.retryAfter])
                    }
                }
                var all: [(Int, String?, String?)] = []
                for try await result in group { all.append(result) }
                return all
            }
            #expect(statuses.contains { $0.0 == 200 }, "\(statuses)")
            let busy = statuses.filter { $0.0 == 503 }
            #expect(!busy.isEmpty, "eight at once with one slot and no wait: \(statuses)")
            #expect(busy.allSatisfy { $0.1 == "busy" && $0.2 == "1" }, "\(busy)")
            #expect(statuses.allSatisfy { $0.0 == 200 || $0.0 == 503 })
        }
    }
}
