import Foundation
import HTTPTypes
import Storage
import Testing

@testable import WalkaroundServer

/// The access table through the HTTP routes: a station sees and changes only its own station's
/// data, never another's through the vehicle routes, and cannot change a vehicle record other
/// stations use; keys are listed and revoked by admins only, and a revoked key is refused at once.
@Suite("Access through the API")
struct AccessTests {
    @Test(arguments: Backend.available)
    func aStationReachesNothingOfAnotherStation(_ backend: Backend) async throws {
        try await TestApp.run(backend) { app in
            let id = try await app.createInspection()
            let photo = try #require(try await app.upload(TestImages.jpeg(), to: id).object["id"] as? String)
            _ = try await app.waitUntilSettled(id)
            let foreign = app.keys.otherStation
            let reads = [
                "/v1/inspections/\(id)", "/v1/inspections/\(id)/report", "/v1/photos/\(photo)/image",
                "/v1/photos/\(photo)/thumbnail.jpg", "/v1/photos/\(photo)/annotated.jpg",
            ]
            for uri in reads {
                let response = try await app.request(.get, uri, key: foreign)
                #expect(response.status == .forbidden, "\(uri)")
                #expect(response.errorCode == "forbidden", "\(uri)")
                #expect(try await app.request(.get, uri, key: app.keys.reviewer).status != .forbidden, "a reviewer reads \(uri)")
            }
            #expect(try await app.upload(TestImages.jpeg(seed: 3), to: id, key: foreign).status == .forbidden)
            #expect(try await app.request(.post, "/v1/inspections/\(id)/complete", key: foreign).status == .forbidden)
            #expect(try await app.request(.post, "/v1/inspections/\(id)/complete", key: app.keys.reviewer).status == .forbidden)
            #expect(try await app.request(.delete, "/v1/inspections/\(id)", key: app.keys.station).status == .forbidden, "stations never erase")
            #expect(try await app.request(.delete, "/v1/inspections/\(id)", key: app.keys.reviewer).status == .forbidden)
            let list = try await app.request(.get, "/v1/inspections?station=MUC-01", key: foreign)
            #expect(list.status == .forbidden)
            let own = try await app.request(.get, "/v1/inspections", key: foreign)
            #expect((own.object["items"] as? [Any])?.isEmpty == true)
            let created = try await app.json(.post, "/v1/inspections", key: foreign, ["kind": "checkout", "station": "MUC-01", "vehicle": ["plate": "B-X 1"]])
            #expect(created.status == .forbidden)
            // Nothing was changed by the refused requests.
            let photos = try await app.inspection(id)["photos"] as? [[String: Any]]
            #expect(photos?.count == 1)
        }
    }

    @Test(arguments: Backend.available)
    func theVehicleRoutesShowAStationOnlyItsOwnHistoryAndVIN(_ backend: Backend) async throws {
        try await TestApp.run(backend) { app in
            let vin = "WVWZZZ1JZXW000001"
            let munich = try await app.json(.post, "/v1/inspections", key: app.keys.station, [
                "kind": "checkout", "station": "MUC-01", "vehicle": ["plate": "M-AB 1234", "vin": vin],
            ])
            #expect(munich.status == .created)
            // Berlin has never inspected the car: it learns nothing, not even that it exists.
            let unknown = try await app.request(.get, "/v1/vehicles/MAB1234/inspections", key: app.keys.otherStation)
            #expect(unknown.status == .notFound)
            // Berlin inspects it by plate only (a one-way return): its history, without Munich's VIN.
            let berlin = try await app.json(.post, "/v1/inspections", key: app.keys.otherStation, [
                "kind": "return", "station": "BER-02", "vehicle": ["plate": "M-AB 1234"],
            ])
            #expect(berlin.status == .created)
            let history = try await app.request(.get, "/v1/vehicles/MAB1234/inspections", key: app.keys.otherStation)
            #expect(history.status == .ok)
            #expect((history.object["items"] as? [[String: Any]])?.map { $0["station"] as? String } == ["BER-02"])
            #expect((history.object["vehicle"] as? [String: Any])?["vin"] == nil, "Munich's VIN is not shown to Berlin")
            let mine = try await app.request(.get, "/v1/vehicles/MAB1234/inspections", key: app.keys.station)
            #expect((mine.object["vehicle"] as? [String: Any])?["vin"] as? String == vin)
            let all = try await app.request(.get, "/v1/vehicles/MAB1234/inspections", key: app.keys.reviewer)
            #expect((all.object["items"] as? [Any])?.count == 2)
        }
    }

    @Test(arguments: Backend.available)
    func aStationCannotRePlateOrReVINAVehicleOthersUse(_ backend: Backend) async throws {
        try await TestApp.run(backend) { app in
            let vin = "WVWZZZ1JZXW000002"
            _ = try await app.json(.post, "/v1/inspections", key: app.keys.station, ["kind": "checkout", "station": "MUC-01", "vehicle": ["vin": vin, "plate": "M-CD 1"]])
            // Berlin declares Munich's VIN with another plate: that would re-plate Munich's vehicle.
            let replate = try await app.json(.post, "/v1/inspections", key: app.keys.otherStation, [
                "kind": "checkout", "station": "BER-02", "vehicle": ["vin": vin, "plate": "B-EF 2"],
            ])
            #expect(replate.status == .conflict)
            #expect(replate.errorCode == "vehicle_in_use")
            // A VIN that contradicts the plate's vehicle is refused for every key.
            let mismatch = try await app.json(.post, "/v1/inspections", key: app.keys.admin, [
                "kind": "checkout", "station": "BER-02", "vehicle": ["vin": "WVWZZZ1JZXW000003", "plate": "M-CD 1"],
            ])
            #expect(mismatch.status == .conflict)
            #expect(mismatch.errorCode == "vin_conflict")
            let vehicle = try await VehicleRepository(database: app.database).byVIN(vin)
            #expect(vehicle?.plate == "MCD1", "unchanged")
            // An admin may re-plate it.
            let admin = try await app.json(.post, "/v1/inspections", key: app.keys.admin, [
                "kind": "checkout", "station": "BER-02", "vehicle": ["vin": vin, "plate": "B-EF 2"],
            ])
            #expect(admin.status == .created)
            #expect(try await VehicleRepository(database: app.database).byVIN(vin)?.plate == "BEF2")
        }
    }

    @Test(arguments: Backend.available)
    func keysAreListedAndRevokedByAdminsOnlyAndRevocationIsImmediate(_ backend: Backend) async throws {
        try await TestApp.run(backend) { app in
            for key in [app.keys.station, app.keys.reviewer] {
                #expect(try await app.request(.get, "/v1/keys", key: key).status == .forbidden)
            }
            let list = try await app.request(.get, "/v1/keys", key: app.keys.admin)
            #expect(list.status == .ok)
            let items = try #require(list.object["items"] as? [[String: Any]])
            #expect(items.count == 4)
            #expect(!list.text.contains("wk_"), "no secret is ever shown")
            let station = try #require(items.first { $0["station"] as? String == "MUC-01" })
            let id = try #require(station["id"] as? String)
            #expect(try await app.request(.post, "/v1/keys/\(id)/revoke", key: app.keys.reviewer).status == .forbidden)
            #expect(try await app.request(.get, "/v1/inspections", key: app.keys.station).status == .ok)
            let revoked = try await app.request(.post, "/v1/keys/\(id)/revoke", key: app.keys.admin)
            #expect(revoked.status == .ok)
            #expect(revoked.object["revoked_at"] is String)
            #expect(try await app.request(.get, "/v1/inspections", key: app.keys.station).status == .unauthorized)
            #expect(try await app.request(.post, "/v1/keys/\(id)/revoke", key: app.keys.admin).status == .notFound, "already revoked")
            #expect(try await app.request(.post, "/v1/keys/not-a-uuid/revoke", key: app.keys.admin).status == .badRequest)
        }
    }

    @Test func theKeysCommandListsAndRevokes() async throws {
        let environment = try await TestEnvironment.make(.sqlite)
        defer { environment.remove() }
        func run(_ arguments: [String]) async throws -> (Int32, String) {
            let result = try await ChildProcess.run(walkaroundExecutable, arguments + ["--data-dir", environment.dataDir])
            return (result.status, result.output)
        }
        let (created, secret) = try await run(["keys", "create", "--role", "station", "--station", "HAM-03", "--name", "leaked"])
        #expect(created == 0)
        #expect(secret.hasPrefix("wk_"))
        let (listed, table) = try await run(["keys", "list"])
        #expect(listed == 0)
        let row = try #require(table.split(separator: "\n").first { $0.contains("HAM-03") })
        #expect(row.hasSuffix("\t-"), "not revoked yet: \(row)")
        let id = String(row.split(separator: "\t")[0])
        let (revoked, said) = try await run(["keys", "revoke", id])
        #expect(revoked == 0)
        #expect(said.contains("revoked station key \(id)"))
        let (_, after) = try await run(["keys", "list"])
        #expect(after.split(separator: "\n").first { $0.contains("HAM-03") }?.hasSuffix("\t-") == false)
        #expect(try await run(["keys", "revoke", id]).0 != 0, "a second revocation is an error")
    }
}
