import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@Suite("Inspections API")
struct InspectionsAPITests {
    @Test(arguments: Backend.available)
    func createThenRead(_ backend: Backend) async throws {
        try await TestApp.run(backend) { app in
            let created = try await app.json(.post, "/v1/inspections", key: app.keys.station, [
                "kind": "return", "station": "MUC-01", "vehicle": ["plate": "m-ab 1234", "vin": "wvwzzz1jz3w386752"], "reference": "RA-99",
            ])
            #expect(created.status == .created)
            let id = try #require(created.object["id"] as? String)
            #expect(created.headers[.location] == "/v1/inspections/\(id)")
            #expect(created.object["status"] as? String == "open")
            let vehicle = try #require(created.object["vehicle"] as? [String: Any])
            #expect(vehicle["plate"] as? String == "MAB1234")
            #expect(vehicle["vin"] as? String == "WVWZZZ1JZ3W386752")

            let read = try await app.inspection(id, key: app.keys.station)
            #expect(read["id"] as? String == id)
            #expect(read["kind"] as? String == "return")
            #expect(read["reference"] as? String == "RA-99")
            #expect((read["photos"] as? [Any])?.isEmpty == true)
        }
    }

    @Test(arguments: Backend.available)
    func createRefusesBadInput(_ backend: Backend) async throws {
        try await TestApp.run(backend) { app in
            let notJSON = try await app.request(.post, "/v1/inspections", key: app.keys.station, body: Array("{kind:".utf8))
            #expect(notJSON.status == .badRequest)
            #expect(notJSON.errorCode == "invalid_json")

            let cases: [([String: Any], HTTPResponse.Status, String)] = [
                (["kind": "rental", "station": "MUC-01", "vehicle": ["plate": "M1"]], .unprocessableContent, "invalid_field"),
                (["kind": 3, "station": "MUC-01", "vehicle": ["plate": "M1"]], .unprocessableContent, "invalid_field"),
                (["station": "MUC-01", "vehicle": ["plate": "M1"]], .unprocessableContent, "invalid_field"),
                (["kind": "checkout", "station": "MUC-01"], .unprocessableContent, "vehicle_required"),
                (["kind": "checkout", "station": "MUC-01", "vehicle": ["vin": "TOO-SHORT"]], .unprocessableContent, "invalid_field"),
                (["kind": "checkout", "station": "MUC 01 ;drop", "vehicle": ["plate": "M1"]], .unprocessableContent, "invalid_field"),
                (["kind": "checkout", "station": "BER-02", "vehicle": ["plate": "M1"]], .forbidden, "forbidden"),
            ]
            for (body, status, code) in cases {
                let response = try await app.json(.post, "/v1/inspections", key: app.keys.station, body)
                #expect(response.status == status, "\(body)")
                #expect(response.errorCode == code, "\(body)")
            }
            let byReviewer = try await app.json(.post, "/v1/inspections", key: app.keys.reviewer, [
                "kind": "checkout", "station": "MUC-01", "vehicle": ["plate": "M1"],
            ])
            #expect(byReviewer.status == .forbidden)

            let list = try await app.request(.get, "/v1/inspections", key: app.keys.admin)
            #expect((list.object["items"] as? [Any])?.isEmpty == true, "a refused create stored nothing")
        }
    }

    @Test(arguments: Backend.available)
    func authenticationIsRequired(_ backend: Backend) async throws {
        try await TestApp.run(backend) { app in
            let id = try await app.createInspection()
            for key in [nil, "wk_not-a-key", ""] as [String?] {
                let response = try await app.request(.get, "/v1/inspections/\(id)", key: key)
                #expect(response.status == .unauthorized)
                #expect(response.errorCode == "unauthorized")
                #expect(response.headers[.wwwAuthenticate] == "Bearer")
            }
            let basic = try await app.request(.get, "/v1/inspections", key: nil, headers: [.authorization: "Basic dXNlcjpwYXNz"])
            #expect(basic.status == .unauthorized)
        }
    }

    @Test(arguments: Backend.available)
    func stationsSeeOnlyTheirOwnInspections(_ backend: Backend) async throws {
        try await TestApp.run(backend) { app in
            let munich = try await app.createInspection()
            let berlin = try await app.createInspection(key: app.keys.otherStation, station: "BER-02")

            let foreign = try await app.request(.get, "/v1/inspections/\(berlin)", key: app.keys.station)
            #expect(foreign.status == .forbidden)
            #expect(foreign.errorCode == "forbidden")
            let upload = try await app.upload(TestImages.jpeg(), to: berlin, key: app.keys.station)
            #expect(upload.status == .forbidden)
            let complete = try await app.request(.post, "/v1/inspections/\(berlin)/complete", key: app.keys.station)
            #expect(complete.status == .forbidden)

            let own = try await app.request(.get, "/v1/inspections", key: app.keys.station)
            let ids = (own.object["items"] as? [[String: Any]])?.compactMap { $0["id"] as? String }
            #expect(ids == [munich])
            let askOther = try await app.request(.get, "/v1/inspections?station=BER-02", key: app.keys.station)
            #expect(askOther.status == .forbidden)

            let all = try await app.request(.get, "/v1/inspections", key: app.keys.reviewer)
            #expect(Set((all.object["items"] as? [[String: Any]])?.compactMap { $0["id"] as? String } ?? []) == [munich, berlin])
        }
    }

    @Test(arguments: Backend.available)
    func listingFiltersAndPages(_ backend: Backend) async throws {
        try await TestApp.run(backend) { app in
            var created: [String] = []
            for index in 0..<5 {
                created.append(try await app.createInspection(kind: index % 2 == 0 ? "checkout" : "return", plate: index < 3 ? "M-AB 1" : "B-XY 2"))
            }
            var seen: [String] = []
            var cursor: String?
            var pages = 0
            repeat {
                let query = "/v1/inspections?limit=2" + (cursor.map { "&cursor=\($0)" } ?? "")
                let page = try await app.request(.get, query, key: app.keys.station)
                #expect(page.status == .ok)
                let items = page.object["items"] as? [[String: Any]] ?? []
                #expect(items.count <= 2)
                seen += items.compactMap { $0["id"] as? String }
                cursor = page.object["next_cursor"] as? String
                pages += 1
            } while cursor != nil && pages < 10
            #expect(pages == 3)
            #expect(seen == created.reversed(), "newest first, each once")

            let byPlate = try await app.request(.get, "/v1/inspections?plate=m-ab%201", key: app.keys.station)
            #expect((byPlate.object["items"] as? [Any])?.count == 3)
            let returns = try await app.request(.get, "/v1/inspections?kind=return", key: app.keys.station)
            #expect((returns.object["items"] as? [Any])?.count == 2)

            for (query, code) in [("limit=0", "invalid_parameter"), ("limit=abc", "invalid_parameter"), ("kind=rental", "invalid_parameter"), ("cursor=%%%", "invalid_cursor"), ("cursor=bm9wZQ", "invalid_cursor")] {
                let response = try await app.request(.get, "/v1/inspections?\(query)", key: app.keys.station)
                #expect(response.status == .badRequest, "\(query)")
                #expect(response.errorCode == code, "\(query)")
            }
        }
    }

    @Test(arguments: Backend.available)
    func completeClosesTheInspection(_ backend: Backend) async throws {
        try await TestApp.run(backend) { app in
            let id = try await app.createInspection()
            let empty = try await app.request(.post, "/v1/inspections/\(id)/complete", key: app.keys.station)
            #expect(empty.status == .conflict)
            #expect(empty.errorCode == "no_photos")

            try await app.upload(TestImages.jpeg(), to: id)
            let byReviewer = try await app.request(.post, "/v1/inspections/\(id)/complete", key: app.keys.reviewer)
            #expect(byReviewer.status == .forbidden)
            let completed = try await app.request(.post, "/v1/inspections/\(id)/complete", key: app.keys.station)
            #expect(completed.status == .ok)
            #expect(completed.object["status"] as? String == "completed")
            #expect(completed.object["completed_at"] is String)

            let again = try await app.request(.post, "/v1/inspections/\(id)/complete", key: app.keys.station)
            #expect(again.status == .conflict)
            #expect(again.errorCode == "inspection_completed")
            let late = try await app.upload(TestImages.jpeg(seed: 9), to: id)
            #expect(late.status == .conflict)
            #expect(late.errorCode == "inspection_completed")
            #expect((try await app.inspection(id)["photos"] as? [Any])?.count == 1)
        }
    }

    @Test(arguments: Backend.available)
    func eraseRemovesRowsAndFiles(_ backend: Backend) async throws {
        try await TestApp.run(backend) { app in
            let id = try await app.createInspection()
            let other = try await app.createInspection()
            let unique = TestImages.jpeg(seed: 1)
            let shared = TestImages.jpeg(seed: 2)
            let uniqueSHA = try #require(try await app.upload(unique, to: id).object["sha256"] as? String)
            let sharedSHA = try #require(try await app.upload(shared, to: id, view: "rear").object["sha256"] as? String)
            try await app.upload(shared, to: other)
            let photoID = try #require((try await app.inspection(id)["photos"] as? [[String: Any]])?.first?["id"] as? String)

            let byStation = try await app.request(.delete, "/v1/inspections/\(id)", key: app.keys.station)
            #expect(byStation.status == .forbidden)
            let erased = try await app.request(.delete, "/v1/inspections/\(id)", key: app.keys.admin)
            #expect(erased.status == .noContent)

            #expect(try await app.request(.get, "/v1/inspections/\(id)", key: app.keys.admin).status == .notFound)
            #expect(try await app.request(.get, "/v1/photos/\(photoID)/image", key: app.keys.admin).status == .notFound)
            #expect(try await !app.components.blobs.exists(sha256: uniqueSHA), "the erased inspection's own file is gone")
            #expect(try await app.components.blobs.exists(sha256: sharedSHA), "a file another inspection uses stays")
            let rows = try await app.database.execute("SELECT COUNT(*) AS n FROM photos")
            #expect(try rows.first?.int("n") == 1)
            let jobs = try await app.database.execute("SELECT COUNT(*) AS n FROM jobs")
            #expect(try jobs.first?.int("n") == 1)
            #expect(try await app.request(.delete, "/v1/inspections/\(id)", key: app.keys.admin).status == .notFound)
        }
    }

    @Test(arguments: Backend.available)
    func malformedIdsAndUnknownRoutes(_ backend: Backend) async throws {
        try await TestApp.run(backend) { app in
            let malformed = try await app.request(.get, "/v1/inspections/not-a-uuid", key: app.keys.station)
            #expect(malformed.status == .badRequest)
            #expect(malformed.errorCode == "invalid_id")
            let unknown = try await app.request(.get, "/v1/inspections/\(UUID().uuidString)", key: app.keys.station)
            #expect(unknown.status == .notFound)
            #expect(unknown.errorCode == "not_found")
            let noRoute = try await app.request(.get, "/v2/anything", key: app.keys.station)
            #expect(noRoute.status == .notFound)
            #expect(noRoute.errorCode == "not_found")
        }
    }
}
