import Foundation
import HTTPTypes
import HummingbirdTesting
import Imaging
import Storage
import TestFixtures
import Testing
import WalkaroundCore

@testable import WalkaroundServer

@Suite("Quality gate and derived images through the API")
struct QualityGateTests {
    static func issueCodes(_ photo: [String: Any]) -> [String] {
        ((photo["quality"] as? [String: Any])?["issues"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }
    }

    @Test(arguments: Backend.available)
    func badPhotosAreRejectedWithAdviceAndDuplicatesCaught(_ backend: Backend) async throws {
        try await TestApp.run(backend) { app in
            let id = try await app.createInspection()
            let scene = SyntheticPhoto.scene(width: 1024, height: 768, seed: 40)
            let uploads: [(String, [UInt8])] = [
                ("front", try SyntheticPhoto.jpeg(scene, quality: 92)),
                ("left", try SyntheticPhoto.jpeg(SyntheticPhoto.exposed(SyntheticPhoto.scene(width: 1024, height: 768, seed: 41), gain: 0.15))),
                ("rear", try SyntheticPhoto.jpeg(SyntheticPhoto.blurred(SyntheticPhoto.scene(width: 1024, height: 768, seed: 42), factor: 12))),
                ("right", try SyntheticPhoto.jpeg(SyntheticPhoto.scene(width: 640, height: 480, seed: 43))),
            ]
            for (view, bytes) in uploads { #expect(try await app.upload(bytes, to: id, view: view).status == .accepted) }
            // The same picture again, recompressed, after the first has been judged.
            _ = try await app.waitUntilSettled(id)
            #expect(try await app.upload(try SyntheticPhoto.jpeg(scene, quality: 70), to: id, view: "front_right").status == .accepted)
            let photos = try await app.waitUntilSettled(id)
            let byView = Dictionary(uniqueKeysWithValues: photos.map { ($0["view"] as? String ?? "", $0) })

            #expect(byView["front"]?["status"] as? String == "processed")
            #expect(byView["left"]?["status"] as? String == "rejected")
            #expect(Self.issueCodes(byView["left"] ?? [:]).contains("too_dark"))
            let advice = (byView["left"]?["quality"] as? [String: Any])?["advice"] as? String
            #expect(advice?.contains("too dark: retake with the flash or under the canopy light") == true)
            #expect(Self.issueCodes(byView["rear"] ?? [:]) == ["too_blurry"])
            #expect(Self.issueCodes(byView["right"] ?? [:]) == ["resolution_too_low"])
            #expect(Self.issueCodes(byView["front_right"] ?? [:]) == ["near_duplicate"])
            #expect(((byView["front_right"]?["quality"] as? [String: Any])?["advice"] as? String)?.contains("front photo") == true)
            let measures = (byView["left"]?["quality"] as? [String: Any])?["measures"] as? [String: Any]
            #expect((measures?["mean_luminance"] as? Double ?? 255) < 50, "the measured values are kept")

            let inspection = try await app.inspection(id)
            #expect((inspection["photo_counts"] as? [String: Int]) == ["processed": 1, "rejected": 4])
        }
    }

    @Test(arguments: Backend.available)
    func thumbnailsAndAnnotatedImagesAreServed(_ backend: Backend) async throws {
        try await TestApp.run(backend) { app in
            let id = try await app.createInspection()
            let upload = try await app.upload(TestImages.jpeg(width: 1200, height: 900, seed: 50, orientation: .rotatedCounterClockwise), to: id)
            let photoID = try #require(upload.object["id"] as? String)
            _ = try await app.waitUntilSettled(id)
            // The detector arrives with the next issue; a stored detection stands in for its output.
            let box = Box(x1: 100, y1: 300, x2: 700, y2: 800)
            try await DetectionRepository(database: app.database).insert([
                Detection(photoID: try #require(UUID(uuidString: photoID)), className: "scratch", confidence: 0.87, box: box, status: .new, createdAt: Date())
            ])

            let thumbnail = try await app.request(.get, "/v1/photos/\(photoID)/thumbnail.jpg?size=200", key: app.keys.station)
            #expect(thumbnail.status == .ok)
            #expect(thumbnail.headers[.contentType] == "image/jpeg")
            let small = try PhotoDecoder().decode(Array(thumbnail.body.readableBytesView))
            #expect(small.image.width == 200 && small.image.height == 150, "upright (stored on its side), long side 200")
            #expect(try await app.request(.get, "/v1/photos/\(photoID)/thumbnail.jpg?size=5", key: app.keys.station).errorCode == "invalid_parameter")
            #expect(try await app.request(.get, "/v1/photos/\(photoID)/thumbnail.jpg", key: app.keys.otherStation).status == .forbidden)
            #expect(try await app.request(.get, "/v1/photos/\(photoID)/annotated.jpg", key: nil).status == .unauthorized)

            let annotated = try await app.request(.get, "/v1/photos/\(photoID)/annotated.jpg", key: app.keys.reviewer)
            #expect(annotated.status == .ok)
            let drawn = try PhotoDecoder().decode(Array(annotated.body.readableBytesView))
            #expect(drawn.image.width == 1200 && drawn.image.height == 900, "the whole photo, upright")
            let edge = drawn.image[400, 798]  // on the bottom edge of the box
            #expect(edge.red > 180 && edge.green < 90 && edge.blue < 90, "new damage is drawn red, got \(edge)")

            let photo = try #require((try await app.inspection(id)["photos"] as? [[String: Any]])?.first)
            let detections = try #require(photo["detections"] as? [[String: Any]])
            #expect(detections.count == 1)
            #expect(detections.first?["class_name"] as? String == "scratch")
            #expect((detections.first?["box"] as? [String: Double]) == ["x1": 100, "y1": 300, "x2": 700, "y2": 800])
            #expect((photo["links"] as? [String: String])?["annotated"] == "/v1/photos/\(photoID)/annotated.jpg")
        }
    }
}
