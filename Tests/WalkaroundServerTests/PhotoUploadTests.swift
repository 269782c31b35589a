import Configuration
import Foundation
import HTTPTypes
import HummingbirdTesting
import Imaging
import Storage
import Testing

@testable import WalkaroundServer

@Suite("Photo uploads")
struct PhotoUploadTests {
    @Test(arguments: Backend.available)
    func rawAndMultipartUploadsAreProcessed(_ backend: Backend) async throws {
        try await TestApp.run(backend) { app in
            let id = try await app.createInspection()
            let jpeg = TestImages.jpeg(width: 1600, height: 1200, orientation: .rotatedClockwise)
            let raw = try await app.upload(jpeg, to: id, view: "front_left")
            #expect(raw.status == .accepted)
            #expect(raw.object["status"] as? String == "queued")
            #expect(raw.object["view"] as? String == "front_left")
            #expect(raw.object["sha256"] as? String == PhotoBlobStore.address(of: jpeg))
            #expect(raw.headers[.location] != nil)

            let png = TestImages.png(width: 780, height: 1040)
            let boundary = "walkaround-test-boundary"
            let form = multipartBody(boundary: boundary, parts: [
                ("view", nil, nil, Array("rear".utf8)),
                ("photo", "IMG_0001.PNG", "image/png", png),
            ])
            let multipart = try await app.upload(form, to: id, view: nil, contentType: "multipart/form-data; boundary=\(boundary)")
            #expect(multipart.status == .accepted)
            #expect(multipart.object["format"] as? String == "png")
            #expect(multipart.object["view"] as? String == "rear")
            // A view in the query and another (or an invalid one) in the form: refused, not filed under either.
            for formView in ["left", "__not_in_enum__"] {
                let contradicting = multipartBody(boundary: boundary, parts: [
                    ("view", nil, nil, Array(formView.utf8)), ("photo", "IMG_0002.PNG", "image/png", png),
                ])
                let refused = try await app.upload(contradicting, to: id, view: "front", contentType: "multipart/form-data; boundary=\(boundary)")
                #expect(refused.status == .badRequest, "\(formView)")
                #expect(refused.errorCode == "invalid_parameter")
            }

            let photos = try await app.waitUntilSettled(id)
            #expect(photos.count == 2)
            #expect(photos.map { $0["status"] as? String } == ["processed", "processed"])
            // The worker of this process took both uploads from memory, not from the files it was written to.
            #expect(app.components.handoff?.heldBytes == 0)
            #expect(try ImageHeader.read(jpeg).width == 1200, "the JPEG is stored on its side, 1200×1600")
            #expect(photos.map { $0["width"] as? Int } == [1600, 780], "sizes are upright")
            #expect(photos.map { $0["height"] as? Int } == [1200, 1040])
            #expect(photos.map { $0["orientation"] as? Int } == [6, 1])
            let quality = try #require(photos.first?["quality"] as? [String: Any])
            #expect(quality["accepted"] as? Bool == true)
            #expect(((quality["measures"] as? [String: Any])?["sharpness"] as? Double ?? 0) > 40)

            let photoID = try #require(photos.last?["id"] as? String)
            let image = try await app.request(.get, "/v1/photos/\(photoID)/image", key: app.keys.station)
            #expect(image.status == .ok)
            #expect(image.headers[.contentType] == "image/png")
            #expect(Array(image.body.readableBytesView) == png)
            let foreign = try await app.request(.get, "/v1/photos/\(photoID)/image", key: app.keys.otherStation)
            #expect(foreign.status == .forbidden)
        }
    }

    @Test(arguments: Backend.available)
    func badUploadsGetTheirStatusAndStoreNothing(_ backend: Backend) async throws {
        let overrides: [AbsoluteConfigKey: ConfigValue] = ["walkaround.upload.maxBytes": ConfigValue(.int(4096), isSecret: false)]
        try await TestApp.run(backend, overrides) { app in
            let id = try await app.createInspection()
            let jpeg = TestImages.fakeJPEG()
            let boundary = "b0undary"
            let cases: [(String, TestResponse, HTTPResponse.Status, String)] = [
                ("too large", try await app.upload(TestImages.fakeJPEG(padding: 5000), to: id), .contentTooLarge, "payload_too_large"),
                ("text as jpeg", try await app.upload(Array("hello, not a photo".utf8), to: id), .unsupportedMediaType, "unsupported_media_type"),
                ("gif", try await app.upload(Array("GIF89a....".utf8), to: id, contentType: "image/gif"), .unsupportedMediaType, "unsupported_media_type"),
                ("no content type", try await app.request(.post, "/v1/inspections/\(id)/photos?view=front", key: app.keys.station, body: jpeg), .unsupportedMediaType, "unsupported_media_type"),
                ("empty", try await app.upload([], to: id), .badRequest, "empty_body"),
                ("no view", try await app.upload(jpeg, to: id, view: nil), .badRequest, "missing_parameter"),
                ("bad view", try await app.upload(jpeg, to: id, view: "roof"), .badRequest, "invalid_parameter"),
                ("unknown inspection", try await app.upload(jpeg, to: UUID().uuidString), .notFound, "not_found"),
                ("malformed id", try await app.upload(jpeg, to: "123"), .badRequest, "invalid_id"),
                ("no photo part", try await app.upload(multipartBody(boundary: boundary, parts: [("file", "a.jpg", "image/jpeg", jpeg)]), to: id, contentType: "multipart/form-data; boundary=\(boundary)"), .badRequest, "missing_photo_part"),
                ("broken multipart", try await app.upload(Array("--nope\r\n".utf8), to: id, contentType: "multipart/form-data; boundary=\(boundary)"), .badRequest, "invalid_multipart"),
                ("bad idempotency key", try await app.upload(jpeg, to: id, headers: [.idempotencyKey: String(repeating: "k", count: 300)]), .badRequest, "invalid_idempotency_key"),
                ("no key", try await app.request(.post, "/v1/inspections/\(id)/photos?view=front", key: nil, headers: [.contentType: "image/jpeg"], body: jpeg), .unauthorized, "unauthorized"),
            ]
            for (name, response, status, code) in cases {
                #expect(response.status == status, "\(name)")
                #expect(response.errorCode == code, "\(name): \(response.text)")
            }
            #expect((try await app.inspection(id)["photos"] as? [Any])?.isEmpty == true)
            let jobs = try await app.database.execute("SELECT COUNT(*) AS n FROM jobs")
            #expect(try jobs.first?.int("n") == 0)
        }
    }

    @Test(arguments: Backend.available)
    func photoLimitPerInspection(_ backend: Backend) async throws {
        let overrides: [AbsoluteConfigKey: ConfigValue] = ["walkaround.inspection.maxPhotos": ConfigValue(.int(2), isSecret: false)]
        try await TestApp.run(backend, overrides) { app in
            let id = try await app.createInspection()
            #expect(try await app.upload(TestImages.jpeg(seed: 1), to: id).status == .accepted)
            #expect(try await app.upload(TestImages.jpeg(seed: 2), to: id).status == .accepted)
            let third = try await app.upload(TestImages.jpeg(seed: 3), to: id)
            #expect(third.status == .conflict)
            #expect(third.errorCode == "photo_limit_reached")
            #expect((try await app.inspection(id)["photos"] as? [Any])?.count == 2)
        }
    }

    @Test(arguments: Backend.available)
    func idempotentRetryReturnsTheFirstAnswer(_ backend: Backend) async throws {
        try await TestApp.run(backend) { app in
            let id = try await app.createInspection()
            let jpeg = TestImages.jpeg(seed: 5)
            let first = try await app.upload(jpeg, to: id, headers: [.idempotencyKey: "upload-42"])
            #expect(first.status == .accepted)
            let retry = try await app.upload(jpeg, to: id, headers: [.idempotencyKey: "upload-42"])
            #expect(retry.status == .accepted)
            #expect(retry.text == first.text)
            #expect(retry.headers[.idempotentReplayed] == "true")
            #expect((try await app.inspection(id)["photos"] as? [Any])?.count == 1)

            let reused = try await app.upload(TestImages.jpeg(seed: 6), to: id, headers: [.idempotencyKey: "upload-42"])
            #expect(reused.status == .unprocessableContent)
            #expect(reused.errorCode == "idempotency_key_reused")

            // Keys belong to the API key that sent them: another sender's "upload-42" is a new upload.
            let other = try await app.createInspection(key: app.keys.admin)
            let byAdmin = try await app.upload(jpeg, to: other, key: app.keys.admin, headers: [.idempotencyKey: "upload-42"])
            #expect(byAdmin.status == .accepted)
            #expect(byAdmin.object["id"] as? String != first.object["id"] as? String)

            // Concurrent retries of one request still make one photo.
            let third = try await app.createInspection()
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<6 {
                    group.addTask {
                        try await app.upload(jpeg, to: third, headers: [.idempotencyKey: "burst"]).status.code
                    }
                }
                for try await status in group { #expect(status == 202) }
            }
            #expect((try await app.inspection(third)["photos"] as? [Any])?.count == 1)
        }
    }

    @Test(arguments: Backend.available)
    func corruptPhotoIsRejectedWithItsReasonAndNotRetried(_ backend: Backend) async throws {
        try await TestApp.run(backend) { app in
            let id = try await app.createInspection()
            let response = try await app.upload(TestImages.corruptJPEG, to: id)
            #expect(response.status == .accepted, "magic bytes pass; the file is judged by processing")
            let truncated = TestImages.jpeg(seed: 3)
            #expect(try await app.upload(Array(truncated.prefix(truncated.count / 2)), to: id).status == .accepted)
            let photos = try await app.waitUntilSettled(id)
            for photo in photos {
                #expect(photo["status"] as? String == "rejected")
                let quality = try #require(photo["quality"] as? [String: Any])
                let issues = quality["issues"] as? [[String: Any]] ?? []
                #expect(issues.map { $0["code"] as? String } == ["unreadable"])
                #expect((quality["advice"] as? String)?.contains("damaged or incomplete") == true)
            }
            let jobs = try await app.database.execute("SELECT * FROM jobs")
            #expect(try jobs.map { try $0.string("status") } == ["done", "done"])
            #expect(try jobs.map { try $0.int("attempts") } == [1, 1], "the same bytes would fail the same way: no retry")
            let thumbnail = try await app.request(.get, "/v1/photos/\(try #require(photos.first?["id"] as? String))/thumbnail.jpg", key: app.keys.station)
            #expect(thumbnail.status == .unprocessableContent)
            #expect(thumbnail.errorCode == "unreadable_photo")
        }
    }
}
