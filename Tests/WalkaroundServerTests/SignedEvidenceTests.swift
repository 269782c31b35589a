import Foundation
import HTTPTypes
import HummingbirdTesting
import Imaging
import TestFixtures
import Testing
import UseCases
import WalkaroundCore

@testable import WalkaroundServer

/// Evidence that proves itself, through the API on both databases: each chargeable damage's
/// return and check-out crops with the photos' hashes, capture times and stations; the final
/// report signed, its keys at the well-known route, and `walkaround report verify` offline.
@Suite("Evidence and signed final reports")
struct SignedEvidenceTests {
    static let taken = "2026:12:03 09:41:07"

    /// A clean check-out at BER-02 and a return at MUC-01 with a new scratch and crack on the
    /// front, the return photo carrying a capture time: the two inspection ids.
    static func returnWithEvidence(_ app: TestApp, plate: String) async throws -> (checkout: String, back: String) {
        let checkout = try await app.createInspection(key: app.keys.otherStation, station: "BER-02", kind: "checkout", plate: plate)
        try await ReportAPITests.inspect(app, checkout, views: ["front"], seed: 150, damages: [], key: app.keys.otherStation)
        #expect(try await app.request(.post, "/v1/inspections/\(checkout)/complete", key: app.keys.otherStation).status == .ok)
        #expect(try await ReportAPITests.waitForReport(app, checkout, key: app.keys.otherStation).status == .ok)
        let back = try await app.createInspection(kind: "return", plate: plate)
        try await ReportAPITests.inspect(
            app, back, views: ["front"], seed: 151,
            damages: [("front", "scratch", Box(x1: 100, y1: 100, x2: 160, y2: 130), 0.9), ("front", "crack", Box(x1: 600, y1: 500, x2: 700, y2: 600), 0.9)],
            exif: SyntheticPhoto.exifCaptureTime(taken, offset: "+01:00")
        )
        #expect(try await app.request(.post, "/v1/inspections/\(back)/complete", key: app.keys.station).status == .ok)
        #expect(try await ReportAPITests.waitForReport(app, back).status == .ok)
        return (checkout, back)
    }

    static func photo(_ app: TestApp, of inspection: String, key: String) async throws -> [String: Any] {
        try #require((try await app.inspection(inspection, key: key)["photos"] as? [[String: Any]])?.first)
    }

    @Test(arguments: Backend.available)
    func eachChargeableDamageShowsBothCropsWithTheirProvenance(_ backend: Backend) async throws {
        try await TestApp.run(backend) { app in
            let (checkout, back) = try await Self.returnWithEvidence(app, plate: "M-SE 1")
            let returnPhoto = try await Self.photo(app, of: back, key: app.keys.station)
            let checkoutPhoto = try await Self.photo(app, of: checkout, key: app.keys.otherStation)
            #expect(returnPhoto["captured_at"] as? String == "2026-12-03T09:41:07+01:00")
            #expect(checkoutPhoto["captured_at"] == nil, "no EXIF date: none invented")

            let written = try await app.request(.get, "/v1/inspections/\(back)/report", key: app.keys.station)
            let evidence = try #require(written.object["evidence"] as? [[String: Any]])
            #expect(evidence.count == 2, "\(evidence)")
            for item in evidence {
                let returned = try #require(item["returned"] as? [String: Any])
                let before = try #require(item["checkout"] as? [String: Any], "\(item)")
                #expect(returned["sha256"] as? String == returnPhoto["sha256"] as? String)
                #expect(returned["captured_at"] as? String == "2026-12-03T09:41:07+01:00")
                #expect(returned["station"] as? String == "MUC-01")
                #expect(before["sha256"] as? String == checkoutPhoto["sha256"] as? String)
                #expect(before["station"] as? String == "BER-02")
                #expect(before["inspection_id"] as? String == checkout)
                #expect(before["uploaded_at"] as? String != nil)
            }
            let damage = try #require(evidence.first?["damage"] as? String)
            for side in ["return", "checkout"] {
                let crop = try await app.request(.get, "/v1/inspections/\(back)/report/damages/\(damage)/evidence/\(side)", key: app.keys.station)
                #expect(crop.status == .ok && crop.headers[.contentType] == "image/jpeg", "\(side): \(crop.text)")
                let header = try ImageHeader.read(Array(crop.body.readableBytesView))
                #expect(max(header.width, header.height) <= ReportsController.cropSize && min(header.width, header.height) > 50, "\(header)")
            }
            let path = "/v1/inspections/\(back)/report/damages/\(damage)/evidence"
            #expect(try await app.request(.get, path + "/sideways", key: app.keys.station).status == .notFound)
            #expect(try await app.request(.get, "/v1/inspections/\(back)/report/damages/D99/evidence/return", key: app.keys.station).status == .notFound)
            #expect(try await app.request(.get, path + "/return", key: app.keys.otherStation).status == .forbidden, "another station's return, as its report")
            #expect(try await app.request(.get, path + "/return", key: nil).status == .unauthorized)

            // The page shows both crops of each damage, with the photos' hashes.
            let page = try await app.request(.get, "/v1/inspections/\(back)/report?format=html", key: app.keys.station)
            #expect(page.text.contains("<h2>Evidence</h2>"))
            #expect(page.text.components(separatedBy: "<img ").count - 1 == 4, "two crops per damage")
            #expect(page.text.contains(checkoutPhoto["sha256"] as? String ?? "?") && page.text.contains("Station BER-02"))
        }
    }

    @Test(arguments: Backend.available)
    func theFinalReportIsSignedAndVerifiesOfflineNamingWhatWasChanged(_ backend: Backend) async throws {
        try await ReviewTests.withCosts { costs in
            try await TestApp.run(backend, costs) { app in
                let (_, back) = try await Self.returnWithEvidence(app, plate: "M-SE 2")
                let draft = try await app.request(.get, "/v1/inspections/\(back)/report/signed", key: app.keys.reviewer)
                #expect(draft.status == .conflict && ReviewTests.code(draft) == "report_not_final")

                var current = try await app.request(.get, "/v1/inspections/\(back)/report", key: app.keys.reviewer)
                for damage in try #require(ReviewTests.review(current)["undecided"] as? [String]) {
                    current = try await ReviewTests.patch(app, back, damage, key: app.keys.reviewer, ifMatch: current.headers[.eTag], ["decision": "confirmed"])
                    #expect(current.status == .ok, "\(current.text)")
                }
                current = try await ReviewTests.state(app, back, "reviewed", key: app.keys.reviewer, ifMatch: current.headers[.eTag])
                current = try await ReviewTests.state(app, back, "final", key: app.keys.reviewer, ifMatch: current.headers[.eTag])
                #expect(current.status == .ok, "\(current.text)")

                let signed = try await app.request(.get, "/v1/inspections/\(back)/report/signed", key: app.keys.station)
                #expect(signed.status == .ok, "\(signed.text)")
                let document = Data(signed.body.readableBytesView)
                #expect(Data(try await app.request(.get, "/v1/inspections/\(back)/report/signed", key: app.keys.reviewer).body.readableBytesView) == document, "stored as signed")
                let keysResponse = try await app.request(.get, "/.well-known/walkaround/report-keys", key: nil)
                #expect(keysResponse.status == .ok)
                let keys = try JSONDecoder().decode(PublicKeySet.self, from: Data(keysResponse.body.readableBytesView))
                let verified = SignedReport.verify(document, keys: keys)
                #expect(verified.valid, "\(verified.problems)")
                let returnPhoto = try await Self.photo(app, of: back, key: app.keys.station)
                #expect(verified.photos.contains { $0.sha256 == returnPhoto["sha256"] as? String })
                #expect(verified.photos.count == 2, "the return's photo and the check-out's")
                let payload = try #require(try JSONValue.parse(document)["payload"])
                #expect(payload["report"]?["review"]?["state"]?.stringValue == "final")
                #expect(payload["report"]?["review"]?["estimate"]?["total_minor"] != nil)

                // Offline, with the command line: as downloaded, with the photo file, then altered.
                let folder = NSTemporaryDirectory() + "walkaround-verify-\(UUID().uuidString)"
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                defer { try? FileManager.default.removeItem(atPath: folder) }
                try document.write(to: URL(fileURLWithPath: folder + "/report.json"))
                try Data(keysResponse.body.readableBytesView).write(to: URL(fileURLWithPath: folder + "/keys.json"))
                let image = try await app.request(.get, "/v1/photos/\(returnPhoto["id"] as? String ?? "")/image", key: app.keys.station)
                try Data(image.body.readableBytesView).write(to: URL(fileURLWithPath: folder + "/front.jpg"))
                try Data("retouched".utf8).write(to: URL(fileURLWithPath: folder + "/other.jpg"))
                let arguments = ["report", "verify", folder + "/report.json", "--keys", folder + "/keys.json"]
                let valid = try await ChildProcess.run(walkaroundExecutable, arguments + ["--photo", folder + "/front.jpg"])
                #expect(valid.status == 0 && valid.output.hasPrefix("valid: signed by ed25519:"), "\(valid.output)")

                let text = String(decoding: document, as: UTF8.self)
                let total = try #require(payload["report"]?["review"]?["estimate"]?["total_minor"]).canonical
                let altered = text.replacingOccurrences(of: "\"total_minor\":\(String(decoding: total, as: UTF8.self))", with: "\"total_minor\":1")
                #expect(altered != text)
                try Data(altered.utf8).write(to: URL(fileURLWithPath: folder + "/report.json"))
                let refused = try await ChildProcess.run(walkaroundExecutable, arguments + ["--photo", folder + "/other.jpg"])
                #expect(refused.status == 1, "\(refused.output)")
                #expect(refused.output.contains("payload.report.review.estimate.total_minor was changed"), "\(refused.output)")
                #expect(refused.output.contains("other.jpg (SHA-256 "), "\(refused.output)")

                // A final report cannot change: the signed document stays the one signed.
                let late = try await ReviewTests.state(app, back, "draft", key: app.keys.reviewer, ifMatch: current.headers[.eTag])
                #expect(late.status == .conflict)
            }
        }
    }
}
