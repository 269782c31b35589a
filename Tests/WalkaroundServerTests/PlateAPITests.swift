import Configuration
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import WalkaroundServer

/// The full synthetic car photos `tools/plates/render_plates.py` made: a 1600×1200 panel with
/// damage and a plate, its true text.
enum PlateScenes {
    static let folder = DemoModel.fixtures + "/plates"

    static func all() throws -> [(image: [UInt8], text: String, country: String)] {
        let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/plates.json"))
        let cases = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        return try cases.filter { $0["set"] as? String == "scenes" }.map {
            let name = try #require($0["image"] as? String)
            return (
                [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder + "/" + name))), try #require($0["text"] as? String),
                try #require($0["country"] as? String)
            )
        }
    }

    static func normalised(_ text: String) -> String { text.uppercased().filter { $0.isLetter || $0.isNumber } }
}

@Suite("Plates and vehicles")
struct PlateAPITests {
    @Test(arguments: Backend.available)
    func thePlateOnTheCarIsReadAndCheckedAgainstTheDeclaredOne(_ backend: Backend) async throws {
        try await TestApp.run(backend, DemoModel.overrides()) { app in
            let ready = try await DetectionAPITests.waitForReady(app)
            #expect(ready["models"] as? String == "ready", "\(ready)")
            let scenes = try PlateScenes.all()
            #expect(scenes.count >= 4)
            var read = 0
            for (index, scene) in scenes.enumerated() {
                // Even scenes declare the plate on the car, odd ones another car's.
                let declared = index % 2 == 0 ? scene.text : "ZZ-999-ZZ"
                let id = try await app.createInspection(plate: declared)
                #expect(try await app.upload(scene.image, to: id, view: "rear").status == .accepted)
                let photos = try await app.waitUntilSettled(id)
                let photo = try #require(photos.first)
                let readings = photo["plate_readings"] as? [[String: Any]] ?? []
                let plate = try #require(try await app.inspection(id)["plate"] as? [String: Any])
                print("scene \(index): \(scene.text) → \(readings.map { $0["text"] ?? "" }) verdict \(plate)")
                guard plate["read"] as? String == PlateScenes.normalised(scene.text) else { continue }
                read += 1
                #expect(plate["declared"] as? String == PlateScenes.normalised(declared), "the declared plate is kept")
                #expect(plate["agreeing"] as? Int == 1)
                if index % 2 == 0 {
                    #expect(plate["check"] as? String == "match")
                    #expect(plate["mismatch"] as? Bool == false)
                } else {
                    #expect(plate["check"] as? String == "mismatch", "another car than declared: \(plate)")
                    #expect(plate["mismatch"] as? Bool == true)
                }
            }
            #expect(read >= scenes.count - 1, "plates read on \(read) of \(scenes.count) car photos")
        }
    }

    @Test(arguments: Backend.available)
    func inspectionsOfOneCarShareAVehicleAndItsHistory(_ backend: Backend) async throws {
        try await TestApp.run(backend) { app in
            let first = try await app.createInspection(plate: "M-AB 1234")
            let second = try await app.createInspection(kind: "return", plate: "mab1234")
            let elsewhere = try await app.createInspection(key: app.keys.otherStation, station: "BER-02", plate: "M AB-1234")
            let other = try await app.createInspection(plate: "B-XY 99")
            let vehicle = try #require(try await app.inspection(first)["vehicle_id"] as? String)
            #expect(try await app.inspection(second)["vehicle_id"] as? String == vehicle)
            #expect(try await app.inspection(elsewhere)["vehicle_id"] as? String == vehicle)
            #expect(try await app.inspection(other)["vehicle_id"] as? String != vehicle)

            let history = try await app.request(.get, "/v1/vehicles/m-ab%201234/inspections", key: app.keys.reviewer)
            #expect(history.status == .ok)
            #expect((history.object["vehicle"] as? [String: Any])?["plate"] as? String == "MAB1234")
            let ids = (history.object["items"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            #expect(ids == [elsewhere, second, first], "newest first, every station for a reviewer")

            // A station sees its own station's part of the history, page by page.
            let page = try await app.request(.get, "/v1/vehicles/MAB1234/inspections?limit=1", key: app.keys.station)
            #expect((page.object["items"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == [second])
            let cursor = try #require(page.object["next_cursor"] as? String)
            let rest = try await app.request(.get, "/v1/vehicles/MAB1234/inspections?limit=1&cursor=\(cursor)", key: app.keys.station)
            #expect((rest.object["items"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == [first])
            #expect(rest.object["next_cursor"] == nil)

            let unknown = try await app.request(.get, "/v1/vehicles/XX999/inspections", key: app.keys.reviewer)
            #expect(unknown.status == .notFound)
            #expect(try await app.request(.get, "/v1/vehicles/-/inspections", key: app.keys.reviewer).status == .badRequest)
            #expect(try await app.request(.get, "/v1/vehicles/MAB1234/inspections", key: nil).status == .unauthorized)
            #expect(try await app.request(.get, "/v1/vehicles/MAB1234/inspections?limit=0", key: app.keys.reviewer).status == .badRequest)
        }
    }

    @Test(arguments: Backend.available)
    func aVINKeepsTheCarWhenItIsReplated(_ backend: Backend) async throws {
        try await TestApp.run(backend) { app in
            let vin = "WVWZZZ1KZ8W123456"
            let before = try await app.json(.post, "/v1/inspections", key: app.keys.station, [
                "kind": "checkout", "station": "MUC-01", "vehicle": ["plate": "M-AB 1234", "vin": vin],
            ])
            let after = try await app.json(.post, "/v1/inspections", key: app.keys.station, [
                "kind": "return", "station": "MUC-01", "vehicle": ["plate": "M-CD 5678", "vin": vin],
            ])
            #expect(before.object["vehicle_id"] as? String == after.object["vehicle_id"] as? String)
            let history = try await app.request(.get, "/v1/vehicles/MCD5678/inspections", key: app.keys.reviewer)
            #expect((history.object["items"] as? [[String: Any]])?.count == 2, "the plate moved to the car")
            #expect((history.object["vehicle"] as? [String: Any])?["vin"] as? String == vin)
            #expect(try await app.request(.get, "/v1/vehicles/MAB1234/inspections", key: app.keys.reviewer).status == .notFound)

            // Erasing every inspection of a car removes its vehicle record too.
            for id in [before.object["id"], after.object["id"]].compactMap({ $0 as? String }) {
                #expect(try await app.request(.delete, "/v1/inspections/\(id)", key: app.keys.admin).status == .noContent)
            }
            #expect(try await app.request(.get, "/v1/vehicles/MCD5678/inspections", key: app.keys.reviewer).status == .notFound)
        }
    }
}
