import Configuration
import Foundation
import HTTPTypes
import HummingbirdTesting
import Pipeline
import Storage
import Testing
import WalkaroundCore

@testable import WalkaroundServer

/// Erasure, the photo store and retention agree: no accepted photo loses its file, no file outlives
/// every photo that used it for long, erased evidence leaves other reports, holds keep evidence.
@Suite("Erasure, the janitor and retention")
struct ErasureTests {
    private func sha(_ response: TestResponse) throws -> String {
        try #require(response.object["sha256"] as? String, "\(response.text)")
    }

    private func markedAddresses(_ app: TestApp) async throws -> [String: Int] {
        var marked: [String: Int] = [:]
        for row in try await app.database.execute("SELECT sha256, attempts FROM blob_garbage") { marked[try row.string("sha256")] = try row.int("attempts") }
        return marked
    }

    @Test(arguments: Backend.available)
    func refusedUploadsLeaveNoFile(_ backend: Backend) async throws {
        let onePhoto: [AbsoluteConfigKey: ConfigValue] = ["walkaround.inspection.maxPhotos": ConfigValue(.int(1), isSecret: false)]
        try await TestApp.run(backend, onePhoto) { app in
            let id = try await app.createInspection()
            let kept = try sha(try await app.upload(TestImages.jpeg(seed: 40), to: id))
            let overLimit = TestImages.jpeg(seed: 41)
            let refused = try await app.upload(overLimit, to: id, view: "rear")
            #expect(refused.status == .conflict)
            #expect(refused.errorCode == "photo_limit_reached", "\(refused.text)")
            #expect(try await !app.components.blobs.exists(sha256: PhotoBlobStore.address(of: overLimit)), "the refused photo's file is gone")

            #expect(try await app.request(.post, "/v1/inspections/\(id)/complete", key: app.keys.station).status == .ok)
            let late = TestImages.jpeg(seed: 42)
            #expect(try await app.upload(late, to: id).status == .conflict)
            #expect(try await !app.components.blobs.exists(sha256: PhotoBlobStore.address(of: late)))

            // Refused bytes that another photo uses keep their file.
            let other = try await app.createInspection()
            let shared = TestImages.jpeg(seed: 43)
            #expect(try await app.upload(shared, to: other).status == .accepted)
            #expect(try await app.upload(shared, to: id).status == .conflict)
            #expect(try await app.components.blobs.exists(sha256: PhotoBlobStore.address(of: shared)))
            #expect(try await app.components.blobs.exists(sha256: kept))
        }
    }

    /// An erasure and an upload of the same bytes to another inspection, at the same time, many
    /// times: the uploaded photo always keeps its file.
    @Test(arguments: Backend.available)
    func erasingUnderAConcurrentUploadOfTheSameBytesLosesNoFile(_ backend: Backend) async throws {
        try await TestApp.run(backend) { app in
            for round in 0..<12 {
                let bytes = TestImages.jpeg(width: 320, height: 240, seed: UInt8(60 + round))
                let erased = try await app.createInspection()
                let survivor = try await app.createInspection()
                #expect(try await app.upload(bytes, to: erased).status == .accepted)
                async let erasing = app.request(.delete, "/v1/inspections/\(erased)", key: app.keys.admin)
                async let uploading = app.upload(bytes, to: survivor)
                let (erasure, upload) = try await (erasing, uploading)
                #expect(erasure.status == .noContent, "\(erasure.text)")
                #expect(upload.status == .accepted)
                let photoID = try #require(upload.object["id"] as? String)
                let image = try await app.request(.get, "/v1/photos/\(photoID)/image", key: app.keys.station)
                #expect(image.status == .ok, "round \(round): the accepted photo lost its file")
                #expect(PhotoBlobStore.address(of: Array(image.body.readableBytesView)) == PhotoBlobStore.address(of: bytes))
            }
            #expect(try await markedAddresses(app).isEmpty, "every marked address was collected")
        }
    }

    @Test(arguments: Backend.available)
    func aFailedUnlinkDoesNotFailTheErasureAndTheJanitorRetriesIt(_ backend: Backend) async throws {
        try await TestApp.run(backend) { app in
            let id = try await app.createInspection()
            let address = try sha(try await app.upload(TestImages.jpeg(seed: 50), to: id))
            let path = try app.folder.path(for: address)
            // Make the unlink fail (EISDIR): the file becomes a folder. Root ignores permissions, so chmod would not.
            try FileManager.default.removeItem(atPath: path)
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)

            let erased = try await app.request(.delete, "/v1/inspections/\(id)", key: app.keys.admin)
            #expect(erased.status == .noContent, "the rows are gone; the file is the janitor's: \(erased.text)")
            #expect(try await markedAddresses(app) == [address: 1], "the failed unlink is recorded for a retry")

            let janitor = app.components.makeJanitor(logger: TestEnvironment.logger)
            let failing = await janitor.sweep()
            #expect(failing.errors >= 1)
            #expect(try await markedAddresses(app)[address] == 2)

            try FileManager.default.removeItem(atPath: path)
            #expect(FileManager.default.createFile(atPath: path, contents: Data([1, 2, 3])))
            let summary = await janitor.sweep()
            #expect(summary.markedRemoved == 1)
            #expect(summary.errors == 0)
            #expect(!FileManager.default.fileExists(atPath: path))
            #expect(try await markedAddresses(app).isEmpty)
            let metrics = try await app.operations("/metrics").text
            #expect(metrics.contains(#"walkaround_janitor_files_removed_total{kind="marked"} 1"#), "\(metrics)")
            #expect(metrics.contains(#"walkaround_erasures_total{reason="request"} 1"#))
        }
    }

    @Test(arguments: Backend.available)
    func theJanitorRemovesOnlyUnreferencedAndStaleFiles(_ backend: Backend) async throws {
        try await TestApp.run(backend) { app in
            let blobs = try app.folder
            let id = try await app.createInspection()
            let referenced = try sha(try await app.upload(TestImages.jpeg(seed: 51), to: id))
            // What an upload that died between its file and its commit leaves: a file without a row, and a temporary.
            let stray = TestImages.jpeg(seed: 52)
            let strayAddress = PhotoBlobStore.address(of: stray)
            try await blobs.store(stray, sha256: strayAddress)
            let temporary = blobs.root + "/tmp/" + UUID().uuidString
            #expect(FileManager.default.createFile(atPath: temporary, contents: Data([0])))
            // Something that is not a blob stays whatever its age.
            let foreign = blobs.root + "/README"
            #expect(FileManager.default.createFile(atPath: foreign, contents: Data([0])))

            let janitor = app.components.makeJanitor(logger: TestEnvironment.logger)
            let fresh = await janitor.sweep()
            #expect(fresh.unreferencedRemoved == 0 && fresh.temporariesRemoved == 0, "younger than the grace period (1 h): left alone")
            #expect(try await blobs.exists(sha256: strayAddress))

            let later = await janitor.sweep(now: Date().addingTimeInterval(2 * 3600))
            #expect(later.unreferencedRemoved == 1)
            #expect(later.temporariesRemoved == 1)
            #expect(later.errors == 0)
            #expect(try await !blobs.exists(sha256: strayAddress))
            #expect(!FileManager.default.fileExists(atPath: temporary))
            #expect(try await blobs.exists(sha256: referenced), "a file a photo uses stays")
            #expect(FileManager.default.fileExists(atPath: foreign))
            let photo = try #require((try await app.inspection(id)["photos"] as? [[String: Any]])?.first?["id"] as? String)
            #expect(try await app.request(.get, "/v1/photos/\(photo)/image", key: app.keys.station).status == .ok)
        }
    }

    @Test(arguments: Backend.available)
    func erasingACheckoutRewritesTheReportsComparedWithIt(_ backend: Backend) async throws {
        try await TestApp.run(backend) { app in
            let checkout = try await app.createInspection(kind: "checkout", plate: "M-ER 1")
            try await ReportAPITests.inspect(
                app, checkout, views: ["rear"], seed: 70, damages: [("rear", "dent", Box(x1: 400, y1: 300, x2: 520, y2: 420), 0.9)]
            )
            #expect(try await app.request(.post, "/v1/inspections/\(checkout)/complete", key: app.keys.station).status == .ok)
            #expect(try await ReportAPITests.waitForReport(app, checkout).status == .ok)
            let back = try await app.createInspection(kind: "return", plate: "M-ER 1")
            try await ReportAPITests.inspect(app, back, views: ["rear"], seed: 80, damages: [("rear", "dent", Box(x1: 402, y1: 298, x2: 522, y2: 421), 0.9)])
            #expect(try await app.request(.post, "/v1/inspections/\(back)/complete", key: app.keys.station).status == .ok)
            let compared = try await ReportAPITests.waitForReport(app, back)
            #expect(((compared.object["report"] as? [String: Any])?["compared_with"] as? [String: Any])?["id"] as? String == checkout)
            #expect(compared.text.contains(#""matched_damage":"C1""#), "the return's dent is matched with the check-out's")
            // A reviewer has already reviewed the dent.
            let reviewed = try await ReviewTests.patch(
                app, back, "D1", key: app.keys.reviewer, ifMatch: compared.headers[.eTag], ["decision": "rejected", "rejection_reason": "pre_existing"]
            )
            #expect(reviewed.status == .ok, "\(reviewed.text)")

            #expect(try await app.request(.delete, "/v1/inspections/\(checkout)", key: app.keys.admin).status == .noContent)
            let rewritten = try await ReportAPITests.waitForReport(app, back)
            #expect(rewritten.status == .ok)
            // The review was of the old report: it is discarded, and the trail says so.
            #expect(ReviewTests.review(rewritten)["state"] as? String == "draft")
            #expect((ReviewTests.review(rewritten)["damages"] as? [[String: Any]])?.allSatisfy { $0["decision"] == nil } == true)
            // The old report's ETag does not match the new report: a change meant for it is refused.
            #expect(rewritten.headers[.eTag] != reviewed.headers[.eTag] && rewritten.headers[.eTag] != compared.headers[.eTag])
            // (Versions restarting at 1 gave the rewritten report the ETag the first read had seen.)
            let stale = try await ReviewTests.patch(app, back, "D1", key: app.keys.reviewer, ifMatch: compared.headers[.eTag], ["decision": "confirmed"])
            #expect(stale.status == .preconditionFailed, "\(stale.text)")
            let trail = try await app.request(.get, "/v1/inspections/\(back)/report/audit", key: app.keys.reviewer)
            #expect((trail.object["items"] as? [[String: Any]])?.map { $0["action"] as? String } == ["damage_reviewed", "review_discarded"])
            let report = try #require(rewritten.object["report"] as? [String: Any])
            #expect(report["compared_with"] == nil, "nothing is left to compare with")
            #expect((report["damages"] as? [[String: Any]])?.map { $0["status"] as? String } == ["unverified"])
            #expect(!rewritten.text.contains(checkout), "the erased inspection is gone from the other report")
            #expect(!rewritten.text.contains("matched_damage"))
            let html = try await app.request(.get, "/v1/inspections/\(back)/report?format=html", key: app.keys.station)
            #expect(!html.text.contains(checkout))
        }
    }

    @Test(arguments: Backend.available)
    func holdsArePlacedByReviewersAndKeepEvidenceFromErasure(_ backend: Backend) async throws {
        try await TestApp.run(backend) { app in
            let id = try await app.createInspection()
            let hold = ["reason": "renter disputes the rear dent"]
            #expect(try await app.json(.put, "/v1/inspections/\(id)/hold", key: app.keys.station, hold).status == .forbidden)
            #expect(try await app.json(.put, "/v1/inspections/\(id)/hold", key: app.keys.reviewer, ["reason": "  "]).errorCode == "invalid_field")
            // Over 500 characters as sent is refused even when trimming would shorten it (schemathesis found it).
            let padded = "x" + String(repeating: "\t", count: 600)
            #expect(try await app.json(.put, "/v1/inspections/\(id)/hold", key: app.keys.reviewer, ["reason": padded]).errorCode == "invalid_field")
            let placed = try await app.json(.put, "/v1/inspections/\(id)/hold", key: app.keys.reviewer, hold)
            #expect(placed.status == .ok)
            #expect((placed.object["hold"] as? [String: Any])?["reason"] as? String == hold["reason"])
            #expect((try await app.inspection(id, key: app.keys.station)["hold"] as? [String: Any]) != nil, "the station sees the hold")

            let refused = try await app.request(.delete, "/v1/inspections/\(id)", key: app.keys.admin)
            #expect(refused.status == .conflict)
            #expect(refused.errorCode == "inspection_on_hold")
            #expect(try await app.request(.delete, "/v1/inspections/\(id)/hold", key: app.keys.station).status == .forbidden)
            let released = try await app.request(.delete, "/v1/inspections/\(id)/hold", key: app.keys.reviewer)
            #expect(released.status == .ok)
            #expect(released.object["hold"] == nil)
            #expect(try await app.request(.delete, "/v1/inspections/\(id)", key: app.keys.admin).status == .noContent)
            #expect(try await app.json(.put, "/v1/inspections/\(id)/hold", key: app.keys.reviewer, hold).status == .notFound)
        }
    }

    /// A hold an admin placed (legal) is not lifted or reworded by a reviewer; replacing the reason
    /// keeps the time it was first placed.
    @Test(arguments: Backend.available)
    func onlyTheRoleThatPlacedAHoldOrAnAdminChangesIt(_ backend: Backend) async throws {
        try await TestApp.run(backend) { app in
            let id = try await app.createInspection()
            let placed = try await app.json(.put, "/v1/inspections/\(id)/hold", key: app.keys.admin, ["reason": "legal: court case 4 O 12/26"])
            let hold = try #require(placed.object["hold"] as? [String: Any])
            #expect(hold["placed_by"] as? String == "admin")
            let since = try #require(hold["since"] as? String)

            let lifted = try await app.request(.delete, "/v1/inspections/\(id)/hold", key: app.keys.reviewer)
            #expect(lifted.status == .forbidden)
            #expect(lifted.errorCode == "hold_placed_by_other_role")
            #expect(try await app.json(.put, "/v1/inspections/\(id)/hold", key: app.keys.reviewer, ["reason": "no longer disputed"]).errorCode == "hold_placed_by_other_role")
            #expect((try await app.inspection(id, key: app.keys.admin)["hold"] as? [String: Any])?["reason"] as? String == "legal: court case 4 O 12/26")

            try await Task.sleep(for: .milliseconds(5))
            let reworded = try await app.json(.put, "/v1/inspections/\(id)/hold", key: app.keys.admin, ["reason": "legal: appeal"])
            #expect((reworded.object["hold"] as? [String: Any])?["reason"] as? String == "legal: appeal")
            #expect((reworded.object["hold"] as? [String: Any])?["since"] as? String == since, "the hold dates from when it was first placed")
            #expect(try await app.request(.delete, "/v1/inspections/\(id)/hold", key: app.keys.admin).status == .ok)

            // A reviewer's hold: the reviewer or an admin releases it.
            #expect(try await app.json(.put, "/v1/inspections/\(id)/hold", key: app.keys.reviewer, ["reason": "dispute"]).status == .ok)
            let released = try await app.request(.delete, "/v1/inspections/\(id)/hold", key: app.keys.admin)
            #expect(released.status == .ok)
            #expect(released.object["hold"] == nil)
        }
    }

    /// Evidence a charge still rests on stays: the check-out a held return was compared with (neither
    /// an erase request nor retention removes it), and the latest check-out of a car that is still out.
    @Test(arguments: Backend.available)
    func checkoutsThatEvidenceRestsOnAreKept(_ backend: Backend) async throws {
        let retention: [AbsoluteConfigKey: ConfigValue] = ["walkaround.retention.stations": ConfigValue(.string("MUC-01=30"), isSecret: false)]
        try await TestApp.run(backend, retention) { app in
            let stillOut = try await app.createInspection(kind: "checkout", plate: "M-OUT 7")
            let checkout = try await app.createInspection(kind: "checkout", plate: "M-HLD 2")
            try await ReportAPITests.inspect(app, checkout, views: ["rear"], seed: 100, damages: [("rear", "dent", Box(x1: 400, y1: 300, x2: 520, y2: 420), 0.9)])
            #expect(try await app.request(.post, "/v1/inspections/\(checkout)/complete", key: app.keys.station).status == .ok)
            #expect(try await ReportAPITests.waitForReport(app, checkout).status == .ok)
            let back = try await app.createInspection(kind: "return", plate: "M-HLD 2")
            try await ReportAPITests.inspect(app, back, views: ["rear"], seed: 110, damages: [("rear", "dent", Box(x1: 401, y1: 300, x2: 521, y2: 420), 0.9)])
            #expect(try await app.request(.post, "/v1/inspections/\(back)/complete", key: app.keys.station).status == .ok)
            let compared = try await ReportAPITests.waitForReport(app, back)
            #expect(((compared.object["report"] as? [String: Any])?["compared_with"] as? [String: Any])?["id"] as? String == checkout)
            #expect(try await app.json(.put, "/v1/inspections/\(back)/hold", key: app.keys.reviewer, ["reason": "renter disputes the dent"]).status == .ok)

            let refused = try await app.request(.delete, "/v1/inspections/\(checkout)", key: app.keys.admin)
            #expect(refused.status == .conflict)
            #expect(refused.errorCode == "inspection_on_hold")
            #expect(refused.text.contains(back), "the answer names the held return: \(refused.text)")

            let fortyDaysAgo = Date().addingTimeInterval(-40 * 86_400).truncatedToMicroseconds
            for id in [stillOut, checkout] {
                try await app.database.execute("UPDATE inspections SET created_at = \(fortyDaysAgo) WHERE id = \(UUID(uuidString: id)!)")
            }
            let janitor = app.components.makeJanitor(logger: TestEnvironment.logger)
            #expect(await janitor.sweep().erased.isEmpty, "the held return's check-out and the car still out keep their evidence")

            #expect(try await app.request(.delete, "/v1/inspections/\(back)/hold", key: app.keys.reviewer).status == .ok)
            // A final report rests on it as well: the charge made on its evidence stays provable.
            let returnID = try #require(UUID(uuidString: back))
            try await app.database.execute("UPDATE reports SET review_state = 'final' WHERE inspection_id = \(returnID)")
            #expect(await janitor.sweep().erased.isEmpty, "a final report's check-out keeps its evidence")
            try await app.database.execute("UPDATE reports SET review_state = 'draft' WHERE inspection_id = \(returnID)")
            #expect(await janitor.sweep().erased.map(\.apiString) == [checkout], "released: the check-out is past retention")
            #expect(try await app.request(.get, "/v1/inspections/\(stillOut)", key: app.keys.admin).status == .ok)
            let rewritten = try await ReportAPITests.waitForReport(app, back)
            #expect(!rewritten.text.contains(checkout))

            // The car comes back: its old check-out is no longer the latest word on it.
            _ = try await app.createInspection(kind: "return", plate: "M-OUT 7")
            #expect(await janitor.sweep().erased.map(\.apiString) == [stillOut])
        }
    }

    /// A return whose report is not written yet will be compared with the vehicle's last
    /// check-out: that check-out is kept by retention, and while the return is held it cannot be
    /// erased either (no worker runs here, so the reports stay queued).
    @Test(arguments: Backend.available)
    func aCheckoutAPendingReturnWillBeComparedWithIsKept(_ backend: Backend) async throws {
        let apiOnly: [AbsoluteConfigKey: ConfigValue] = [
            "walkaround.role": ConfigValue(.string("api"), isSecret: false),
            "walkaround.retention.stations": ConfigValue(.string("MUC-01=30"), isSecret: false),
        ]
        try await TestApp.run(backend, apiOnly) { app in
            let checkout = try await app.createInspection(kind: "checkout", plate: "M-PND 3")
            #expect(try await app.upload(TestImages.jpeg(seed: 130), to: checkout).status == .accepted)
            #expect(try await app.request(.post, "/v1/inspections/\(checkout)/complete", key: app.keys.station).status == .ok)
            let back = try await app.createInspection(kind: "return", plate: "M-PND 3")
            #expect(try await app.upload(TestImages.jpeg(seed: 131), to: back).status == .accepted)
            #expect(try await app.request(.post, "/v1/inspections/\(back)/complete", key: app.keys.station).status == .ok)

            #expect(try await app.json(.put, "/v1/inspections/\(back)/hold", key: app.keys.reviewer, ["reason": "renter disputes a scratch"]).status == .ok)
            let refused = try await app.request(.delete, "/v1/inspections/\(checkout)", key: app.keys.admin)
            #expect(refused.status == .conflict)
            #expect(refused.errorCode == "inspection_on_hold")
            #expect(refused.text.contains(back), "the held return whose report is still queued: \(refused.text)")
            #expect(try await app.request(.delete, "/v1/inspections/\(back)/hold", key: app.keys.reviewer).status == .ok)

            let fortyDaysAgo = Date().addingTimeInterval(-40 * 86_400).truncatedToMicroseconds
            try await app.database.execute("UPDATE inspections SET created_at = \(fortyDaysAgo) WHERE id = \(UUID(uuidString: checkout)!)")
            let janitor = app.components.makeJanitor(logger: TestEnvironment.logger)
            #expect(await janitor.sweep().erased.isEmpty, "the return's report, still to be written, rests on the check-out")

            // Once the return's report is written, the old check-out is past retention.
            try await app.database.execute("UPDATE reports SET status = 'written' WHERE inspection_id = \(UUID(uuidString: back)!)")
            #expect(await janitor.sweep().erased.map(\.apiString) == [checkout])
        }
    }

    /// A check-out erased while a return's report is being written never comes back in that report,
    /// and the two do not deadlock (PostgreSQL locks the check-out before the return in both).
    @Test(arguments: Backend.available)
    func erasingACheckoutWhileItsReturnIsReportedLeavesNoTrace(_ backend: Backend) async throws {
        try await TestApp.run(backend) { app in
            for round in 0..<3 {
                let plate = "M-RC \(round + 1)"
                let checkout = try await app.createInspection(kind: "checkout", plate: plate)
                try await ReportAPITests.inspect(app, checkout, views: ["rear"], seed: UInt8(120 + round * 2), damages: [("rear", "dent", Box(x1: 400, y1: 300, x2: 520, y2: 420), 0.9)])
                #expect(try await app.request(.post, "/v1/inspections/\(checkout)/complete", key: app.keys.station).status == .ok)
                #expect(try await ReportAPITests.waitForReport(app, checkout).status == .ok)
                let back = try await app.createInspection(kind: "return", plate: plate)
                try await ReportAPITests.inspect(app, back, views: ["rear"], seed: UInt8(121 + round * 2), damages: [("rear", "dent", Box(x1: 400, y1: 300, x2: 520, y2: 420), 0.9)])
                async let completed = app.request(.post, "/v1/inspections/\(back)/complete", key: app.keys.station)
                // Let the report job start in some rounds, race it in others.
                try await Task.sleep(for: .milliseconds(round * 40))
                async let erased = app.request(.delete, "/v1/inspections/\(checkout)", key: app.keys.admin)
                #expect(try await completed.status == .ok)
                #expect(try await erased.status == .noContent)
                let report = try await ReportAPITests.waitForReport(app, back)
                #expect(report.status == .ok)
                #expect(!report.text.contains(checkout), "round \(round): the erased check-out is not in the report")
                #expect(!report.text.contains("matched_damage"))
            }
        }
    }

    @Test(arguments: Backend.available)
    func retentionErasesOldInspectionsPerStationButNeverHeldOnes(_ backend: Backend) async throws {
        let retention: [AbsoluteConfigKey: ConfigValue] = ["walkaround.retention.stations": ConfigValue(.string("MUC-01=30"), isSecret: false)]
        try await TestApp.run(backend, retention) { app in
            let old = try await app.createInspection()
            let oldHeld = try await app.createInspection()
            let recent = try await app.createInspection()
            let otherStation = try await app.createInspection(key: app.keys.otherStation, station: "BER-02")
            let address = try sha(try await app.upload(TestImages.jpeg(seed: 90), to: old))
            _ = try await app.waitUntilSettled(old)
            let fortyDaysAgo = Date().addingTimeInterval(-40 * 86_400).truncatedToMicroseconds
            for id in [old, oldHeld, otherStation] {
                try await app.database.execute("UPDATE inspections SET created_at = \(fortyDaysAgo) WHERE id = \(UUID(uuidString: id)!)")
            }
            #expect(try await app.json(.put, "/v1/inspections/\(oldHeld)/hold", key: app.keys.reviewer, ["reason": "dispute"]).status == .ok)

            let janitor = app.components.makeJanitor(logger: TestEnvironment.logger)
            let first = await janitor.sweep()
            #expect(first.erased.map(\.apiString) == [old])
            #expect(first.errors == 0)
            #expect(try await app.request(.get, "/v1/inspections/\(old)", key: app.keys.admin).status == .notFound)
            #expect(try await !app.components.blobs.exists(sha256: address), "its photo file went with it")
            for kept in [oldHeld, recent] { #expect(try await app.request(.get, "/v1/inspections/\(kept)", key: app.keys.admin).status == .ok) }
            #expect(try await app.request(.get, "/v1/inspections/\(otherStation)", key: app.keys.admin).status == .ok, "BER-02 has no retention period")

            #expect(try await app.request(.delete, "/v1/inspections/\(oldHeld)/hold", key: app.keys.reviewer).status == .ok)
            let second = await janitor.sweep()
            #expect(second.erased.map(\.apiString) == [oldHeld], "released, then erased")
            let metrics = try await app.operations("/metrics").text
            #expect(metrics.contains(#"walkaround_erasures_total{reason="retention"} 2"#), "\(metrics)")
        }
    }

    @Test func retentionSettingsAreCheckedOnLoad() {
        let (stations, problems) = WalkaroundSettings.retentionStations("MUC-01=30, BER-02=0,bad,HAM-03=-1,X=999999999999999999999")
        let expected: [String: Duration?] = ["MUC-01": .seconds(30 * 86_400), "BER-02": Duration?.none]
        #expect(stations == expected)
        #expect(problems.count == 3, "\(problems)")
        let retention = Janitor.Retention(defaultPeriod: .seconds(86_400), stations: stations)
        #expect(retention.period(for: "BER-02") == nil, "0 keeps that station's inspections")
        #expect(retention.period(for: "HAM-03") == .seconds(86_400), "the default for the others")
        #expect(!retention.isOff)
        #expect(Janitor.Retention().isOff)
    }
}
