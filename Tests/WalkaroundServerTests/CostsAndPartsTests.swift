import Configuration
import Foundation
import HTTPTypes
import HummingbirdTesting
import Storage
import Testing
import WalkaroundCore

@testable import WalkaroundServer

/// The fleet's cost matrix replaced through the admin route, and the parts a part model names.
@Suite("Cost matrix route and part models")
struct CostsAndPartsTests {
    static func put(_ app: TestApp, _ body: String, key: String) async throws -> TestResponse {
        try await app.request(.put, "/v1/costs", key: key, headers: [.contentType: "application/json"], body: Array(body.utf8))
    }

    /// A matrix set through the API replaces the file's for every report written after it, is
    /// validated whole (422 naming every problem), versioned, readable by reviewers, set only by admins.
    @Test(arguments: Backend.available)
    func theCostMatrixIsReplacedThroughTheAdminRouteAndPricesLaterReports(_ backend: Backend) async throws {
        try await ReviewTests.withCosts { costs in
            try await TestApp.run(backend, costs) { app in
                let file = try await app.request(.get, "/v1/costs", key: app.keys.reviewer)
                #expect(file.status == .ok)
                #expect(file.object["source"] as? String == "file" && file.object["version"] == nil)
                #expect((file.object["entries"] as? [[String: Any]])?.count == 2)
                #expect(try await app.request(.get, "/v1/costs", key: app.keys.station).status == .forbidden)
                #expect(try await app.request(.get, "/v1/costs", key: nil).status == .unauthorized)
                let matrix = #"""
                    {"currency": "EUR", "entries": [
                      {"part": "*", "class": "scratch", "severity": "minor", "amount": "120"},
                      {"part": "*", "class": "crack", "severity": "moderate", "amount": "300.5", "labour_hours": "2.5"},
                      {"part": "*", "class": "crack", "severity": "severe", "amount": "640"}]}
                    """#
                #expect(try await Self.put(app, matrix, key: app.keys.reviewer).status == .forbidden)
                #expect(try await Self.put(app, matrix, key: app.keys.station).status == .forbidden)

                let bad = try await Self.put(app, #"{"currency": "eur", "entries": [{"part": "door", "class": "dent", "severity": "minor", "amount": "1.234"}]}"#, key: app.keys.admin)
                #expect(bad.status == .unprocessableContent)
                let message = (bad.object["error"] as? [String: Any])?["message"] as? String ?? ""
                #expect(ReviewTests.code(bad) == "invalid_cost_matrix")
                #expect(message.contains("currency") && message.contains("entry 1: part") && message.contains("entry 1: amount"), "\(message)")
                #expect(try await Self.put(app, "not json", key: app.keys.admin).status == .badRequest)
                #expect(try await app.request(.get, "/v1/costs", key: app.keys.admin).object["source"] as? String == "file", "nothing stored")

                let set = try await Self.put(app, matrix, key: app.keys.admin)
                #expect(set.status == .ok)
                #expect(set.object["source"] as? String == "api" && set.object["version"] as? Int == 1)
                #expect((set.object["set_by"] as? [String: Any])?["name"] as? String == "admin")
                let read = try await app.request(.get, "/v1/costs", key: app.keys.reviewer)
                #expect(read.object["version"] as? Int == 1)
                let entries = try #require(read.object["entries"] as? [[String: Any]])
                #expect(entries.count == 3)
                #expect(entries.contains { $0["class"] as? String == "crack" && $0["amount"] as? String == "300.50" && $0["labour_hours"] as? String == "2.50" }, "\(entries)")

                // A return written now is priced by version 1: both new damages have a price.
                let (_, report) = try await ReviewTests.returnWithTwoNewDamages(app, plate: "M-CM 1")
                let estimate = try #require((report.object["report"] as? [String: Any])?["costs"] as? [String: Any])
                #expect(estimate["matrix_version"] as? Int == 1, "\(estimate)")
                let lines = try #require(estimate["lines"] as? [[String: Any]])
                #expect(lines.count == 2 && lines.allSatisfy { $0["amount_minor"] is Int }, "\(lines)")
                #expect(estimate["total_minor"] as? Int == lines.compactMap { $0["amount_minor"] as? Int }.reduce(0, +))

                #expect(try await Self.put(app, matrix, key: app.keys.admin).object["version"] as? Int == 2, "each replacement is a version")
            }
        }
    }

    /// Without a file or a stored matrix there is none to read; one set through the API then prices reports.
    @Test func withoutAMatrixTheRouteSaysSoUntilOneIsSet() async throws {
        try await TestApp.run(.sqlite) { app in
            let none = try await app.request(.get, "/v1/costs", key: app.keys.admin)
            #expect(none.status == .notFound)
            #expect(try await Self.put(app, #"{"currency": "SEK", "entries": []}"#, key: app.keys.admin).status == .ok)
            #expect(try await app.request(.get, "/v1/costs", key: app.keys.admin).object["currency"] as? String == "SEK")
        }
    }

    /// A part model's boxes stored with a photo name the part of the damage they cover in the
    /// report (`part_source: model`); a damage no part box covers keeps the position rule's part;
    /// the part boxes are never damages.
    @Test(arguments: Backend.available)
    func partDetectionsNameTheDamagesPartInTheReport(_ backend: Backend) async throws {
        try await TestApp.run(backend) { app in
            let id = try await app.createInspection(kind: "checkout", plate: "M-PT 1")
            let photos = try await ReportAPITests.inspect(app, id, views: ["front"], seed: 140, damages: [
                ("front", "scratch", Box(x1: 100, y1: 100, x2: 160, y2: 130), 0.9), ("front", "crack", Box(x1: 600, y1: 500, x2: 700, y2: 600), 0.9),
            ])
            let photo = try #require(photos["front"])
            try await DetectionRepository(database: app.database).insert([
                Detection(photoID: photo, model: "parts", className: "headlamp_left", confidence: 0.8, box: Box(x1: 560, y1: 460, x2: 760, y2: 640), role: .part, createdAt: Date()),
                Detection(photoID: photo, model: "parts", className: "front_bumper", confidence: 0.8, box: Box(x1: 0, y1: 440, x2: 900, y2: 700), role: .part, createdAt: Date()),
            ])
            #expect(try await app.request(.post, "/v1/inspections/\(id)/complete", key: app.keys.station).status == .ok)
            let report = try #require(try await ReportAPITests.waitForReport(app, id).object["report"] as? [String: Any])
            let damages = try #require(report["damages"] as? [[String: Any]])
            #expect(damages.count == 2, "\(damages)")
            let crack = try #require(damages.first { $0["class_name"] as? String == "crack" })
            #expect(crack["part"] as? String == "headlamp_left" && crack["part_source"] as? String == "model", "\(crack)")
            let scratch = try #require(damages.first { $0["class_name"] as? String == "scratch" })
            #expect(scratch["part_source"] as? String == "position", "\(scratch)")
            // The photo lists the part boxes with their role; the annotated image does not draw them.
            let shown = try #require(try await app.inspection(id)["photos"] as? [[String: Any]]).first?["detections"] as? [[String: Any]] ?? []
            #expect(shown.filter { $0["role"] as? String == "part" }.count == 2 && shown.filter { $0["role"] as? String == "damage" }.count == 2, "\(shown)")
        }
    }

    /// The demo model configured a second time as a part model (its `dent` class standing for the
    /// left rear door, every other class ignored), from a models file: real model output names the
    /// part of the dent the damage model found on the same spot, and ignored classes are not stored.
    @Test func aModelWithThePartRoleNamesPartsFromRealDetections() async throws {
        let folder = NSTemporaryDirectory() + "walkaround-parts-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let models = """
            [{"name": "damage", "path": "\(DemoModel.path)"},
             {"name": "parts", "path": "\(DemoModel.path)", "role": "ignore", "roles": {"dent": "part"}, "parts": {"dent": "rear_door_left"}}]
            """
        try Data(models.utf8).write(to: URL(fileURLWithPath: folder + "/models.json"))
        var overrides = DemoModel.overrides()
        overrides["walkaround.models.file"] = ConfigValue(.string(folder + "/models.json"), isSecret: false)
        try await TestApp.run(.sqlite, overrides) { app in
            let ready = try await DetectionAPITests.waitForReady(app)
            #expect(ready["models"] as? String == "ready", "\(ready)")
            let reference = try DemoModel.reference()
            let scene = try #require(reference.first { $0.image == "scene-5.png" })
            let png = [UInt8](try Data(contentsOf: URL(fileURLWithPath: DemoModel.fixtures + "/reference/" + scene.image)))
            let id = try await app.createInspection(kind: "checkout", plate: "M-PT 2")
            #expect(try await app.upload(png, to: id, view: "left", contentType: "image/png").status == .accepted)
            let photo = try #require(try await app.waitUntilSettled(id).first)
            let detections = try #require(photo["detections"] as? [[String: Any]])
            let damages = detections.filter { $0["role"] as? String == "damage" }
            let parts = detections.filter { $0["role"] as? String == "part" }
            #expect(damages.count == scene.detections.count, "the damage model's findings as before: \(detections)")
            #expect(parts.count == scene.detections.filter { $0["class"] as? String == "dent" }.count, "only the part class is stored: \(detections)")
            #expect(parts.allSatisfy { $0["class_name"] as? String == "rear_door_left" && $0["model"] as? String == "parts" })
            #expect(try await app.request(.post, "/v1/inspections/\(id)/complete", key: app.keys.station).status == .ok)
            let report = try #require(try await ReportAPITests.waitForReport(app, id).object["report"] as? [String: Any])
            let reported = try #require(report["damages"] as? [[String: Any]])
            let dent = try #require(reported.first { $0["class_name"] as? String == "dent" }, "\(reported)")
            #expect(dent["part"] as? String == "rear_door_left" && dent["part_source"] as? String == "model", "\(dent)")
        }
    }
}
