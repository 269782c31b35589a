import Configuration
import Foundation
import HTTPTypes
import TestFixtures
import Testing

@testable import WalkaroundServer

/// Every file of the generated bad-input corpus goes through upload, processing with the demo
/// model, the thumbnail, the annotated image and the report: no answer is a 5xx, the process never
/// dies (it runs in this test's process, so a trap fails the run), and every accepted photo ends
/// `processed`, `rejected` or `failed` with its reason. Imaging does not depend on the database,
/// so this runs on SQLite only.
@Suite("Bad-input corpus through every image route")
struct BadInputCorpusTests {
    @Test func everyCorpusFileGetsAClearAnswerAndAFinalState() async throws {
        let corpus = BadInputCorpus.cases()
        #expect(corpus.count >= 200, "the corpus has \(corpus.count) files")
        var overrides = DemoModel.overrides()
        overrides["walkaround.inspection.maxPhotos"] = ConfigValue(.int(1000), isSecret: false)
        overrides["walkaround.job.maxAttempts"] = ConfigValue(.int(2), isSecret: false)
        try await TestApp.run(.sqlite, overrides) { app in
            let ready = try await DetectionAPITests.waitForReady(app)
            #expect(ready["models"] as? String == "ready", "\(ready)")
            let id = try await app.createInspection()
            var accepted: [String: String] = [:]  // photo id → case name
            var refused: [String: Int] = [:]
            for (index, item) in corpus.enumerated() {
                let view = ["front", "rear", "left", "right", "other"][index % 5]
                let response = try await app.upload(item.bytes, to: id, view: view, contentType: item.contentType)
                #expect(response.status.code < 500, "\(item.name): \(response.status) \(response.text.prefix(200))")
                if response.status == .accepted, let photo = response.object["id"] as? String {
                    accepted[photo] = item.name
                } else {
                    #expect(response.errorCode != nil, "\(item.name) refused with a code")
                    refused["\(response.status.code)", default: 0] += 1
                }
            }
            let photos = try await app.waitUntilSettled(id, timeout: .seconds(600))
            #expect(photos.count == accepted.count)
            var outcomes: [String: Int] = [:]
            for photo in photos {
                let name = accepted[photo["id"] as? String ?? ""] ?? "?"
                let status = photo["status"] as? String ?? "?"
                outcomes[status, default: 0] += 1
                switch status {
                case "processed": break
                case "rejected":
                    let issues = (photo["quality"] as? [String: Any])?["issues"] as? [[String: Any]] ?? []
                    #expect(!issues.isEmpty, "\(name) rejected without a reason")
                case "failed": #expect((photo["error"] as? String)?.isEmpty == false, "\(name) failed without a reason")
                default: Issue.record("\(name) ended \(status)")
                }
                let photoID = photo["id"] as? String ?? ""
                for route in ["thumbnail.jpg", "thumbnail.jpg?size=1024", "annotated.jpg", "image"] {
                    let response = try await app.request(.get, "/v1/photos/\(photoID)/\(route)", key: app.keys.station)
                    #expect(response.status.code < 500, "\(name) \(route): \(response.status)")
                    #expect([200, 422].contains(response.status.code), "\(name) \(route): \(response.status) \(response.text.prefix(120))")
                }
            }
            print("bad-input corpus: \(corpus.count) files, accepted \(accepted.count), refused \(refused), outcomes \(outcomes)")
            #expect(try await app.request(.post, "/v1/inspections/\(id)/complete", key: app.keys.station).status == .ok)
            let deadline = ContinuousClock.now + .seconds(120)
            var report = try await app.request(.get, "/v1/inspections/\(id)/report", key: app.keys.station)
            while report.status == .accepted, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
                report = try await app.request(.get, "/v1/inspections/\(id)/report", key: app.keys.station)
            }
            #expect(report.status == .ok, "\(report.status) \(report.text.prefix(200))")
            let page = try await app.request(.get, "/v1/inspections/\(id)/report?format=html", key: app.keys.station)
            #expect(page.status == .ok)
            #expect(try await app.request(.get, "/health", key: nil).status == .ok)
        }
    }
}
