import Configuration
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
import UseCases
import WalkaroundCore

@testable import WalkaroundServer

/// Human review of a return's report through the API, on both databases: decisions and
/// corrections per damage, optimistic concurrency with `If-Match`, the draft → reviewed → final
/// states, the chargeable total at reviewed values, and the audit trail.
@Suite("Human review of reports")
struct ReviewTests {
    /// A return with two new damages (a scratch and a crack on the front) against a clean
    /// check-out, with a cost matrix for scratches: the return's id and its written report.
    static func returnWithTwoNewDamages(_ app: TestApp, plate: String) async throws -> (String, TestResponse) {
        let checkout = try await app.createInspection(kind: "checkout", plate: plate)
        try await ReportAPITests.inspect(app, checkout, views: ["front"], seed: 130, damages: [])
        #expect(try await app.request(.post, "/v1/inspections/\(checkout)/complete", key: app.keys.station).status == .ok)
        #expect(try await ReportAPITests.waitForReport(app, checkout).status == .ok)
        let back = try await app.createInspection(kind: "return", plate: plate)
        try await ReportAPITests.inspect(app, back, views: ["front"], seed: 131, damages: [
            ("front", "scratch", Box(x1: 100, y1: 100, x2: 160, y2: 130), 0.9), ("front", "crack", Box(x1: 600, y1: 500, x2: 700, y2: 600), 0.9),
        ])
        #expect(try await app.request(.post, "/v1/inspections/\(back)/complete", key: app.keys.station).status == .ok)
        let report = try await ReportAPITests.waitForReport(app, back)
        #expect(report.status == .ok)
        return (back, report)
    }

    static func withCosts(_ body: @Sendable ([AbsoluteConfigKey: ConfigValue]) async throws -> Void) async throws {
        let file = NSTemporaryDirectory() + "walkaround-review-costs-\(UUID().uuidString).json"
        try Data(
            #"{"currency": "EUR", "entries": [{"part": "*", "class": "scratch", "severity": "minor", "amount": "95.50"}, {"part": "*", "class": "scratch", "severity": "severe", "amount": "410"}]}"#
                .utf8
        ).write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        try await body(["walkaround.costs.path": ConfigValue(.string(file), isSecret: false)])
    }

    static func review(_ response: TestResponse) -> [String: Any] { response.object["review"] as? [String: Any] ?? [:] }

    static func damage(_ response: TestResponse, _ className: String) throws -> [String: Any] {
        let damages = try #require(review(response)["damages"] as? [[String: Any]])
        return try #require(damages.first { $0["class_name"] as? String == className }, "\(damages)")
    }

    static func patch(_ app: TestApp, _ id: String, _ damage: String, key: String, ifMatch: String?, _ body: [String: Any]) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let ifMatch { headers[.ifMatch] = ifMatch }
        return try await app.request(
            .patch, "/v1/inspections/\(id)/report/damages/\(damage)", key: key, headers: headers, body: Array(try JSONSerialization.data(withJSONObject: body))
        )
    }

    static func state(_ app: TestApp, _ id: String, _ state: String, key: String, ifMatch: String?, note: String? = nil) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let ifMatch { headers[.ifMatch] = ifMatch }
        var body: [String: Any] = ["state": state]
        if let note { body["note"] = note }
        return try await app.request(
            .post, "/v1/inspections/\(id)/report/state", key: key, headers: headers, body: Array(try JSONSerialization.data(withJSONObject: body))
        )
    }

    static func code(_ response: TestResponse) -> String? { (response.object["error"] as? [String: Any])?["code"] as? String }

    @Test(arguments: Backend.available)
    func aReviewedFinalReportChargesOnlyConfirmedDamagesAtReviewedValues(_ backend: Backend) async throws {
        try await Self.withCosts { costs in
            try await TestApp.run(backend, costs) { app in
                let (id, written) = try await Self.returnWithTwoNewDamages(app, plate: "M-RV 1")
                #expect(Self.review(written)["state"] as? String == "draft")
                let etag = try #require(written.headers[.eTag])
                let scratch = try #require(try Self.damage(written, "scratch")["id"] as? String)
                let crack = try #require(try Self.damage(written, "crack")["id"] as? String)
                #expect(try Self.damage(written, "scratch")["severity"] as? String == "minor")
                #expect(Set(Self.review(written)["undecided"] as? [String] ?? []) == [scratch, crack])
                #expect(Self.review(written)["chargeable"] as? [String] == [])

                // Stations cannot review; every change names the version it was made on.
                #expect(try await Self.patch(app, id, scratch, key: app.keys.station, ifMatch: etag, ["decision": "confirmed"]).status == .forbidden)
                let bare = try await Self.patch(app, id, scratch, key: app.keys.reviewer, ifMatch: nil, ["decision": "confirmed"])
                #expect(bare.status == .preconditionRequired && Self.code(bare) == "precondition_required")
                let stale = try await Self.patch(app, id, scratch, key: app.keys.reviewer, ifMatch: "\"0\"", ["decision": "confirmed"])
                #expect(stale.status == .preconditionFailed && Self.code(stale) == "version_mismatch")
                #expect(Self.code(try await Self.patch(app, id, scratch, key: app.keys.reviewer, ifMatch: "W/\"1\"", ["decision": "confirmed"])) == "invalid_if_match")
                // Bad values are named, and change nothing.
                let noReason = try await Self.patch(app, id, crack, key: app.keys.reviewer, ifMatch: etag, ["decision": "rejected"])
                #expect(noReason.status == .unprocessableContent && Self.code(noReason) == "invalid_review")
                #expect(Self.code(try await Self.patch(app, id, crack, key: app.keys.reviewer, ifMatch: etag, ["part": "spoiler"])) == "invalid_field")
                #expect(Self.code(try await Self.patch(app, id, crack, key: app.keys.reviewer, ifMatch: etag, ["class_name": "rust"])) == "invalid_review")
                #expect(try await Self.patch(app, id, "D99", key: app.keys.reviewer, ifMatch: etag, ["decision": "confirmed"]).status == .notFound)

                // The scratch is real and worse than the model graded it.
                let confirmed = try await Self.patch(app, id, scratch, key: app.keys.reviewer, ifMatch: etag, [
                    "decision": "confirmed", "severity": "severe", "part": "bonnet", "note": "deep, down to the primer",
                ])
                #expect(confirmed.status == .ok, "\(confirmed.text)")
                let etag2 = try #require(confirmed.headers[.eTag])
                #expect(etag2 != etag)
                #expect(try Self.damage(confirmed, "scratch")["severity"] as? String == "severe")
                #expect(try Self.damage(confirmed, "scratch")["part"] as? String == "bonnet")
                #expect(Self.review(confirmed)["chargeable"] as? [String] == [scratch])
                // A second reviewer who read the report before that change cannot overwrite it.
                let late = try await Self.patch(app, id, scratch, key: app.keys.admin, ifMatch: etag, ["decision": "rejected", "rejection_reason": "not_damage"])
                #expect(late.status == .preconditionFailed)
                // The crack is still undecided: the report cannot be reviewed yet, nor finalised from draft.
                let incomplete = try await Self.state(app, id, "reviewed", key: app.keys.reviewer, ifMatch: etag2)
                #expect(incomplete.status == .conflict && Self.code(incomplete) == "review_incomplete")
                #expect(incomplete.text.contains(crack))
                #expect(Self.code(try await Self.state(app, id, "final", key: app.keys.reviewer, ifMatch: etag2)) == "invalid_transition")

                let rejected = try await Self.patch(app, id, crack, key: app.keys.reviewer, ifMatch: etag2, [
                    "decision": "rejected", "rejection_reason": "not_damage", "note": "a reflection of the kerb",
                ])
                #expect(rejected.status == .ok, "\(rejected.text)")
                #expect(Self.review(rejected)["undecided"] as? [String] == [])
                // A later change without a note keeps the rejection's explanation.
                let kept = try await Self.patch(app, id, crack, key: app.keys.reviewer, ifMatch: rejected.headers[.eTag], ["severity": "minor"])
                #expect(kept.status == .ok, "\(kept.text)")
                #expect(try Self.damage(kept, "crack")["note"] as? String == "a reflection of the kerb")
                #expect(try Self.damage(kept, "crack")["decision"] as? String == "rejected")
                // Entity tags compare exactly.
                let padded = "\"0" + String(try #require(kept.headers[.eTag]).dropFirst())
                #expect(Self.code(try await Self.state(app, id, "reviewed", key: app.keys.reviewer, ifMatch: padded)) == "invalid_if_match")
                let reviewed = try await Self.state(app, id, "reviewed", key: app.keys.reviewer, ifMatch: try #require(kept.headers[.eTag]))
                #expect(reviewed.status == .ok, "\(reviewed.text)")
                let etag4 = try #require(reviewed.headers[.eTag])
                #expect(Self.code(try await Self.patch(app, id, crack, key: app.keys.reviewer, ifMatch: etag4, ["decision": "confirmed"])) == "report_reviewed")
                let final = try await Self.state(app, id, "final", key: app.keys.admin, ifMatch: etag4, note: "charged to the renter")
                #expect(final.status == .ok, "\(final.text)")
                let review = Self.review(final)
                #expect(review["state"] as? String == "final")
                #expect(review["chargeable"] as? [String] == [scratch])
                let estimate = try #require(review["estimate"] as? [String: Any], "\(review)")
                #expect(estimate["total_minor"] as? Int == 41_000, "the reviewed severity's price, not the model's 95.50: \(estimate)")
                #expect((estimate["lines"] as? [[String: Any]])?.count == 1)
                // The machine's report underneath is unchanged.
                #expect(((final.object["report"] as? [String: Any])?["damages"] as? [[String: Any]])?.first { $0["id"] as? String == scratch }?["severity"] as? String == "minor")

                // A final report is frozen.
                let etag5 = try #require(final.headers[.eTag])
                #expect(Self.code(try await Self.patch(app, id, scratch, key: app.keys.admin, ifMatch: etag5, ["severity": "minor"])) == "report_final")
                #expect(Self.code(try await Self.state(app, id, "draft", key: app.keys.admin, ifMatch: etag5)) == "report_final")
                let again = try await app.request(.get, "/v1/inspections/\(id)/report", key: app.keys.station)
                #expect(again.headers[.eTag] == etag5)
                #expect(Self.review(again)["state"] as? String == "final")

                // The printable page shows the review and the charge.
                let page = try await app.request(.get, "/v1/inspections/\(id)/report?format=html", key: app.keys.station)
                #expect(page.status == .ok)
                #expect(page.text.contains("State: <strong>final</strong>"))
                #expect(page.text.contains("Charged: 410.00 EUR"), "\(page.text)")
                #expect(page.text.contains("not damage: a reflection of the kerb"))

                // The audit trail: who changed what, from what to what, and why; the station reads its own.
                let audit = try await app.request(.get, "/v1/inspections/\(id)/report/audit", key: app.keys.station)
                #expect(audit.status == .ok)
                let items = try #require(audit.object["items"] as? [[String: Any]])
                #expect(items.map { $0["action"] as? String } == ["damage_reviewed", "damage_reviewed", "damage_reviewed", "state_changed", "state_changed"], "\(items)")
                let first = items[0]
                #expect(first["damage"] as? String == scratch)
                #expect(first["key_name"] as? String == "reviewer")
                #expect(first["role"] as? String == "reviewer")
                #expect((first["before"] as? [String: String])?["severity"] == "minor")
                #expect((first["after"] as? [String: String])?["severity"] == "severe")
                #expect((first["after"] as? [String: String])?["decision"] == "confirmed")
                #expect(first["note"] as? String == "deep, down to the primer")
                #expect((items[1]["after"] as? [String: String])?["rejection_reason"] == "not_damage")
                #expect((items[4]["after"] as? [String: String])?["state"] == "final")
                #expect((items[4]["after"] as? [String: String])?["chargeable"] == scratch)
                #expect((items[4]["after"] as? [String: String])?["chargeable_total_minor"] == "41000", "what was charged is in the trail")
                #expect(items[4]["key_name"] as? String == "admin")
                #expect(try await app.request(.get, "/v1/inspections/\(id)/report/audit", key: app.keys.otherStation).status == .forbidden)
            }
        }
    }

    /// Two reviewers sending a change on the same version at the same moment: exactly one wins,
    /// the other gets 412, and the trail has exactly one record.
    @Test(arguments: Backend.available)
    func concurrentReviewersCannotOverwriteEachOther(_ backend: Backend) async throws {
        try await TestApp.run(backend) { app in
            let (id, written) = try await Self.returnWithTwoNewDamages(app, plate: "M-RV 2")
            let etag = try #require(written.headers[.eTag])
            let scratch = try #require(try Self.damage(written, "scratch")["id"] as? String)
            async let one = Self.patch(app, id, scratch, key: app.keys.reviewer, ifMatch: etag, ["decision": "confirmed"])
            async let two = Self.patch(app, id, scratch, key: app.keys.admin, ifMatch: etag, ["decision": "rejected", "rejection_reason": "duplicate"])
            let statuses = [try await one.status, try await two.status]
            #expect(statuses.filter { $0 == .ok }.count == 1, "\(statuses)")
            #expect(statuses.filter { $0 == .preconditionFailed }.count == 1, "\(statuses)")
            let audit = try await app.request(.get, "/v1/inspections/\(id)/report/audit", key: app.keys.reviewer)
            #expect((audit.object["items"] as? [[String: Any]])?.count == 1)
        }
    }

    /// A reviewer draws a damage the model missed: it is checked against the photo, confirmed,
    /// chargeable on a compared return, priced, and in the trail; another reviewer may reject it.
    @Test(arguments: Backend.available)
    func aReviewerAddsADamageTheModelMissed(_ backend: Backend) async throws {
        try await Self.withCosts { costs in
            try await TestApp.run(backend, costs) { app in
                let (id, written) = try await Self.returnWithTwoNewDamages(app, plate: "M-RV 3")
                let etag = try #require(written.headers[.eTag])
                let photos = try #require((written.object["report"] as? [String: Any])?["photos"] as? [[String: Any]])
                let photo = try #require(photos.first?["id"] as? String)
                let elsewhere = try await app.createInspection(kind: "checkout", plate: "M-RV 4")
                try await ReportAPITests.inspect(app, elsewhere, views: ["rear"], seed: 140, damages: [])
                let foreign = try #require(try await app.waitUntilSettled(elsewhere).first?["id"] as? String)
                func add(_ body: [String: Any], key: String? = nil, ifMatch: String? = etag) async throws -> TestResponse {
                    var headers: HTTPFields = [.contentType: "application/json"]
                    if let ifMatch { headers[.ifMatch] = ifMatch }
                    return try await app.request(
                        .post, "/v1/inspections/\(id)/report/damages", key: key ?? app.keys.reviewer, headers: headers,
                        body: Array(try JSONSerialization.data(withJSONObject: body))
                    )
                }
                let box: [String: Any] = ["x1": 300, "y1": 200, "x2": 360, "y2": 230]
                #expect(try await add(["photo_id": photo, "box": box, "class_name": "scratch"], key: app.keys.station).status == .forbidden)
                #expect(try await add(["photo_id": photo, "box": box, "class_name": "scratch"], ifMatch: nil).status == .preconditionRequired)
                // The photos are 1024 × 768: a box past the edge, a flipped or tiny box, another
                // inspection's photo and an unknown class are refused by name.
                for bad in [["x1": 1000, "y1": 10, "x2": 1030, "y2": 40], ["x1": 50, "y1": 50, "x2": 40, "y2": 60], ["x1": 5, "y1": 5, "x2": 6, "y2": 6]] {
                    let refused = try await add(["photo_id": photo, "box": bad, "class_name": "scratch"])
                    #expect(refused.status == .unprocessableContent && Self.code(refused) == "invalid_box", "\(bad): \(refused.text)")
                }
                #expect(Self.code(try await add(["photo_id": foreign, "box": box, "class_name": "scratch"])) == "invalid_photo")
                #expect(Self.code(try await add(["photo_id": photo, "box": box, "class_name": "rust"])) == "invalid_review")
                #expect(Self.code(try await add(["photo_id": photo, "box": box, "class_name": "scratch", "part": "fin"])) == "invalid_field")

                let added = try await add(["photo_id": photo, "box": box, "class_name": "scratch", "severity": "minor", "note": "under the badge"])
                #expect(added.status == .created, "\(added.text)")
                let damages = try #require(Self.review(added)["damages"] as? [[String: Any]])
                let drawn = try #require(damages.first { $0["id"] as? String == "R1" }, "\(damages)")
                #expect(drawn["added_by_reviewer"] as? Bool == true)
                #expect(drawn["status"] as? String == "new")
                #expect(drawn["decision"] as? String == "confirmed")
                #expect(drawn["part"] as? String != nil && drawn["part"] as? String != "unknown")
                #expect(Self.review(added)["chargeable"] as? [String] == ["R1"])
                #expect((Self.review(added)["estimate"] as? [String: Any])?["total_minor"] as? Int == 9_550)
                // The machine's report does not list it; the trail does.
                #expect(!(((added.object["report"] as? [String: Any])?["damages"] as? [[String: Any]]) ?? []).contains { $0["id"] as? String == "R1" })
                let trail = try #require(try await app.request(.get, "/v1/inspections/\(id)/report/audit", key: app.keys.admin).object["items"] as? [[String: Any]])
                #expect(trail.map { $0["action"] as? String } == ["damage_added"])
                #expect((trail.first?["after"] as? [String: String])?["box"] == "300.0,200.0,360.0,230.0")
                #expect((trail.first?["after"] as? [String: String])?["photo"] == photo)

                // Another reviewer disagrees: a drawn damage is rejected like any other.
                let rejected = try await Self.patch(
                    app, id, "R1", key: app.keys.admin, ifMatch: try #require(added.headers[.eTag]),
                    ["decision": "rejected", "rejection_reason": "pre_existing", "note": "on the check-out's front photo too"]
                )
                #expect(rejected.status == .ok, "\(rejected.text)")
                #expect(Self.review(rejected)["chargeable"] as? [String] == [])
                // A second drawing gets the next id.
                let second = try await add(["photo_id": photo, "box": box, "class_name": "dent"], ifMatch: try #require(rejected.headers[.eTag]))
                #expect(second.status == .created)
                #expect((Self.review(second)["damages"] as? [[String: Any]])?.contains { $0["id"] as? String == "R2" } == true)
            }
        }
    }

    /// What people corrected becomes training data: the reviewed report's photo with the boxes at
    /// their reviewed classes, without the rejected one, with the drawn one; draft reports stay out.
    @Test(arguments: Backend.available)
    func reviewedCorrectionsExportAsAYOLODataset(_ backend: Backend) async throws {
        try await TestApp.run(backend) { app in
            let (id, written) = try await Self.returnWithTwoNewDamages(app, plate: "M-RV 5")
            let scratch = try #require(try Self.damage(written, "scratch")["id"] as? String)
            let crack = try #require(try Self.damage(written, "crack")["id"] as? String)
            let photo = try #require(((written.object["report"] as? [String: Any])?["photos"] as? [[String: Any]])?.first?["id"] as? String)
            // The model's scratch is a dent; its crack a reflection; it missed a scratch.
            var response = try await Self.patch(app, id, scratch, key: app.keys.reviewer, ifMatch: written.headers[.eTag], ["decision": "confirmed", "class_name": "dent"])
            response = try await Self.patch(app, id, crack, key: app.keys.reviewer, ifMatch: response.headers[.eTag], ["decision": "rejected", "rejection_reason": "not_damage"])
            response = try await app.request(
                .post, "/v1/inspections/\(id)/report/damages", key: app.keys.reviewer,
                headers: [.contentType: "application/json", .ifMatch: try #require(response.headers[.eTag])],
                body: Array(try JSONSerialization.data(withJSONObject: ["photo_id": photo, "class_name": "scratch", "box": ["x1": 512, "y1": 384, "x2": 612, "y2": 434]]))
            )
            #expect(response.status == .created, "\(response.text)")
            #expect(try await Self.state(app, id, "reviewed", key: app.keys.reviewer, ifMatch: response.headers[.eTag]).status == .ok)

            let folder = URL(fileURLWithPath: NSTemporaryDirectory() + "walkaround-dataset-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: folder) }
            let summary = try await DatasetExport(database: app.database, blobs: app.components.blobs).export(to: folder)
            #expect(summary.reports == 1, "only the reviewed report; the check-out's is a draft")
            #expect(summary.images == 1 && summary.boxes == 2 && summary.missing == 0, "\(summary)")
            let image = try Data(contentsOf: folder.appendingPathComponent("images/\(photo).jpg"))
            #expect(image.prefix(2) == Data([0xFF, 0xD8]))
            let labels = try String(contentsOf: folder.appendingPathComponent("labels/\(photo).txt"), encoding: .utf8)
            func line(_ index: Int, _ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double) -> String {
                let f = { (value: Double) in String(format: "%.6f", value) }
                return "\(index) \(f((x1 + x2) / 2 / 1024)) \(f((y1 + y2) / 2 / 768)) \(f((x2 - x1) / 1024)) \(f((y2 - y1) / 768))"
            }
            #expect(labels.split(separator: "\n").map(String.init).sorted() == [line(0, 100, 100, 160, 130), line(1, 512, 384, 612, 434)].sorted(), "\(labels)")
            let yaml = try String(contentsOf: folder.appendingPathComponent("data.yaml"), encoding: .utf8)
            #expect(yaml.contains("  0: dent\n") && yaml.contains("  2: crack\n") && yaml.contains("  6: license_plate\n"))
        }
    }
}
