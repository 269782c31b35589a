import Configuration
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import WalkaroundServer

/// Real model output where the demo model names one damage twice or differently at each
/// inspection: rendered check-out/return pairs (Tests/InferenceTests/Fixtures/flips, made by
/// `tools/eval-pairs/render_pairs.py OUT 300 20261203`, pairs 15, 88, 153 and 244, chosen by
/// running the demo model (the float one, as the service runs it: one decode at 480 for the gate and
/// the model) on all 1200 photos and keeping those with two classes on one spot).
/// The whole pipeline runs on them: upload, detection, comparison, report.
@Suite("Class flips on rendered pairs")
struct ClassFlipTests {
    static let folder = DemoModel.fixtures + "/flips"

    /// The return's report of `pair` after its check-out's.
    static func returnReport(_ app: TestApp, pair: Int) async throws -> [[String: Any]] {
        var ids: [String: String] = [:]
        for inspection in ["checkout", "return"] {
            let id = try await app.createInspection(kind: inspection, plate: "E-VP \(pair)")
            for view in ["rear", "left"] {
                let jpeg = [UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(folder)/pair-\(pair)-\(inspection)-\(view).jpg")))
                #expect(try await app.upload(jpeg, to: id, view: view).status == .accepted)
            }
            for photo in try await app.waitUntilSettled(id) { #expect(photo["status"] as? String == "processed", "\(photo["quality"] ?? "")") }
            #expect(try await app.request(.post, "/v1/inspections/\(id)/complete", key: app.keys.station).status == .ok)
            #expect(try await ReportAPITests.waitForReport(app, id).status == .ok)
            ids[inspection] = id
        }
        let report = try await ReportAPITests.waitForReport(app, ids["return"]!).object["report"] as? [String: Any]
        return try #require(report?["damages"] as? [[String: Any]])
    }

    static func with(_ damages: [[String: Any]], status: String) -> [[String: Any]] { damages.filter { $0["status"] as? String == status } }
    static func classes(_ damages: [[String: Any]]) -> [String] { damages.compactMap { $0["class_name"] as? String }.sorted() }
    static func alternatives(_ damage: [String: Any]) -> [String] { (damage["alternatives"] as? [[String: Any]] ?? []).compactMap { $0["class_name"] as? String } }

    @Test func oneDamageReadAsTwoClassesIsOneFindingAndOldDamageUnderAnotherNameIsNeverNew() async throws {
        // Some rendered cars are white on a light ground: the gate's exposure limits are opened so
        // every photo is evidence (what is tested here is the comparison, not the gate).
        var overrides = DemoModel.overrides()
        overrides["walkaround.quality.maxMeanLuminance"] = ConfigValue(.double(250), isSecret: false)
        overrides["walkaround.quality.maxBrightClipped"] = ConfigValue(.double(0.9), isSecret: false)
        try await TestApp.run(.sqlite, overrides) { app in
            // 15: a scratch added at return on the left, read as crack 0.60 and scratch 0.49 on one
            // spot: one new damage (crack, scratch its alternative), not two; and the rear's added crack.
            let pair15 = try await Self.returnReport(app, pair: 15)
            let new15 = Self.with(pair15, status: "new")
            #expect(Self.classes(new15) == ["crack", "crack"], "\(pair15)")
            let leftNew = try #require(new15.first { $0["view"] as? String == "left" })
            #expect(Self.alternatives(leftNew) == ["scratch"], "\(leftNew)")
            #expect(Self.with(pair15, status: "pre_existing").map { $0["class_name"] as? String } == ["glass_shatter"])

            // 244: an old broken lamp, read as lamp_broken at check-out and as lamp_broken 0.87 +
            // scratch 0.48 at return: not new. The one added damage, a shattered window, is.
            let pair244 = try await Self.returnReport(app, pair: 244)
            #expect(Self.classes(Self.with(pair244, status: "new")) == ["glass_shatter"], "\(pair244)")
            let lamp = try #require(pair244.first { $0["class_name"] as? String == "lamp_broken" })
            #expect(["pre_existing", "needs_review"].contains(lamp["status"] as? String ?? ""), "\(lamp)")

            // 153: an old scratch read as crack 0.77 + scratch 0.48 at check-out and as crack 0.85
            // at return: pre-existing. New: the rear's broken lamp and scratch.
            let pair153 = try await Self.returnReport(app, pair: 153)
            #expect(Self.classes(Self.with(pair153, status: "new")) == ["lamp_broken", "scratch"], "\(pair153)")
            #expect(Self.with(pair153, status: "new").allSatisfy { $0["view"] as? String == "rear" })
            #expect(Self.with(pair153, status: "pre_existing").filter { $0["view"] as? String == "left" }.count == 2, "\(pair153)")

            // 88: a broken lamp added inside an old flat tyre's box (0.85 of it inside): the spot is
            // one damage, and it matches the check-out's tyre; the confident lamp reading the
            // check-out did not show there sends it to a person instead of hiding it as pre-existing.
            let pair88 = try await Self.returnReport(app, pair: 88)
            let tyre = try #require(pair88.first { $0["class_name"] as? String == "tire_flat" }, "\(pair88)")
            #expect(Self.alternatives(tyre) == ["lamp_broken"], "\(tyre)")
            #expect(tyre["status"] as? String == "needs_review", "\(tyre)")
            #expect((tyre["reason"] as? String)?.contains("also read as lamp_broken") == true, "\(tyre)")

            // Across the four pairs: no damage invented. Each return added two damages at most,
            // and nothing the check-out had is ever new.
            for (pair, damages) in [(15, pair15), (244, pair244), (153, pair153), (88, pair88)] {
                #expect(Self.with(damages, status: "new").count <= 2, "pair \(pair): \(damages)")
            }
        }
    }
}
