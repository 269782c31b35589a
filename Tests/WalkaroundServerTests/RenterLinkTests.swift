import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
import UseCases

@testable import WalkaroundServer

/// The renter's link through the API on both databases: only reviewers make and list links, the
/// link opens only its final report, any other spelling of it is refused, a dispute reopens the
/// report once per damage and link and holds the inspection.
@Suite("Renter links and disputes")
struct RenterLinkTests {
    /// A return with two chargeable damages, both confirmed, the report final: its id and one damage's id.
    static func finalReturn(_ app: TestApp, plate: String) async throws -> (String, [String]) {
        let (_, back) = try await SignedEvidenceTests.returnWithEvidence(app, plate: plate)
        var report = try await app.request(.get, "/v1/inspections/\(back)/report", key: app.keys.reviewer)
        var etag = report.headers[.eTag]
        let damages = (ReviewTests.review(report)["damages"] as? [[String: Any]] ?? []).filter { $0["charge_candidate"] as? Bool == true }
        for damage in damages {
            report = try await ReviewTests.patch(app, back, damage["id"] as! String, key: app.keys.reviewer, ifMatch: etag, ["decision": "confirmed"])
            #expect(report.status == .ok)
            etag = report.headers[.eTag]
        }
        for state in ["reviewed", "final"] {
            report = try await ReviewTests.state(app, back, state, key: app.keys.reviewer, ifMatch: etag)
            #expect(report.status == .ok, "\(report.text)")
            etag = report.headers[.eTag]
        }
        return (back, damages.compactMap { $0["id"] as? String })
    }

    static func form(_ fields: [String: String]) -> [UInt8] {
        Array(fields.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&").utf8)
    }

    @Test(arguments: Backend.available)
    func aLinkOpensOnlyItsFinalReportAndEveryOtherSpellingIsRefused(_ backend: Backend) async throws {
        try await TestApp.run(backend) { app in
            let (back, damages) = try await Self.finalReturn(app, plate: "M-RL 1")
            #expect(damages.count == 2)
            let json: HTTPFields = [.contentType: "application/json"]
            // Stations neither make nor list links, nor read the renters' words.
            #expect(try await app.request(.post, "/v1/inspections/\(back)/renter-links", key: app.keys.station).status == .forbidden)
            #expect(try await app.request(.get, "/v1/inspections/\(back)/renter-links", key: app.keys.station).status == .forbidden)
            #expect(try await app.request(.get, "/v1/inspections/\(back)/disputes", key: app.keys.station).status == .forbidden)
            #expect(try await app.request(.post, "/v1/inspections/\(back)/renter-links", key: app.keys.reviewer, headers: json,
                body: Array(#"{"days": 91}"#.utf8)).status == .unprocessableContent)
            let made = try await app.request(.post, "/v1/inspections/\(back)/renter-links", key: app.keys.reviewer, headers: json, body: Array(#"{"days": 7}"#.utf8))
            #expect(made.status == .created, "\(made.text)")
            let url = try #require(made.object["url"] as? String)
            #expect(try await app.request(.get, url, key: nil).status == .ok)
            #expect(try await app.request(.get, "\(url)/evidence/\(damages[0])/return", key: nil).status == .ok)
            let token = String(url.dropFirst(3))
            let parts = token.split(separator: ".").map(String.init)
            let signature = parts[2]
            let spellings = [
                parts[0].uppercased() + "." + parts[1] + "." + signature,          // the id in capitals
                parts[0] + ".0" + parts[1] + "." + signature,                      // a leading zero
                parts[0] + "." + String(Int(parts[1])! + 1) + "." + signature,     // another expiry
                parts[0] + "." + parts[1] + "." + signature + "=",                 // padding
                parts[0] + "." + parts[1] + "." + signature.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/"),
                parts[0] + "." + parts[1] + "." + String(signature.dropLast()) + (signature.last == "A" ? "B" : "A"),
                UUID().uuidString.lowercased() + "." + parts[1] + "." + signature,  // another link's id
                String(repeating: "a", count: 5_000),
            ]
            for spelling in spellings where spelling != token {
                let answer = try await app.request(.get, "/r/\(spelling)", key: nil)
                #expect(answer.status == .notFound, "\(spelling.prefix(120))")
            }
            // A dispute on a damage the report does not charge, then a real one, then the same again.
            let post: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
            #expect(try await app.request(.post, "\(url)/disputes", key: nil, headers: post, body: Self.form(["damage": "D99", "text": "no"])).status == .notFound)
            #expect(try await app.request(.post, "\(url)/disputes", key: nil, headers: post, body: Self.form(["damage": damages[0], "text": "bad\u{7}"])).status == .unprocessableContent)
            let disputed = try await app.request(.post, "\(url)/disputes", key: nil, headers: post, body: Self.form(["damage": damages[0], "text": "It was there before."]))
            #expect(disputed.status == .seeOther)
            let review = ReviewTests.review(try await app.request(.get, "/v1/inspections/\(back)/report", key: app.keys.reviewer))
            #expect(review["state"] as? String == "draft")
            let reopened = (review["damages"] as? [[String: Any]])?.first { $0["id"] as? String == damages[0] }
            #expect(reopened?["decision"] == nil, "the contested damage needs a decision again")
            #expect(try await app.inspection(back, key: app.keys.reviewer)["hold"] != nil, "held while contested")
            let listed = try await app.request(.get, "/v1/inspections/\(back)/disputes", key: app.keys.reviewer)
            #expect((listed.object["items"] as? [[String: Any]])?.first?["text"] as? String == "It was there before.")
            let audit = try await app.request(.get, "/v1/inspections/\(back)/report/audit", key: app.keys.reviewer)
            #expect((audit.object["items"] as? [[String: Any]])?.contains { $0["action"] as? String == "damage_disputed" && $0["role"] as? String == "renter" } == true)
            // The same damage again through the same link: refused (the report is in review now, and once decided it stays).
            #expect(try await app.request(.post, "\(url)/disputes", key: nil, headers: post, body: Self.form(["damage": damages[0], "text": "Again."])).status == .conflict)
            // Revoked: nothing.
            let id = try #require(made.object["id"] as? String)
            #expect(try await app.request(.post, "/v1/inspections/\(back)/renter-links/\(id)/revoke", key: app.keys.reviewer).status == .ok)
            #expect(try await app.request(.get, url, key: nil).status == .notFound)
            #expect(try await app.request(.get, "\(url)/evidence/\(damages[0])/return", key: nil).status == .notFound)
        }
    }

    /// The desk's filters: by day, new damage and awaiting review, with clear errors.
    @Test(arguments: Backend.available)
    func theDesksFiltersFindReturnsWithNewDamageAwaitingReview(_ backend: Backend) async throws {
        try await TestApp.run(backend) { app in
            let (checkout, back) = try await SignedEvidenceTests.returnWithEvidence(app, plate: "M-FL 1")
            func ids(_ query: String) async throws -> Set<String> {
                let answer = try await app.request(.get, "/v1/inspections?\(query)", key: app.keys.reviewer)
                #expect(answer.status == .ok, "\(query): \(answer.text)")
                return Set((answer.object["items"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String })
            }
            // The days they were made on (a run may cross midnight UTC).
            let first = try #require((try await app.inspection(checkout)["created_at"] as? String)?.prefix(10))
            let last = try #require((try await app.inspection(back)["created_at"] as? String)?.prefix(10))
            #expect(try await ids("new_damage=true").contains(back))
            #expect(try await !ids("new_damage=true").contains(checkout))
            #expect(try await ids("new_damage=false").contains(checkout))
            #expect(try await ids("awaiting_review=true").contains(back))
            #expect(try await !ids("awaiting_review=true").contains(checkout), "a check-out is never awaiting review")
            #expect(try await ids("awaiting_review=false").contains(checkout))
            #expect(try await ids("from=\(first)&to=\(last)").isSuperset(of: [back, checkout]))
            #expect(try await ids("to=2001-01-01").isEmpty)
            for bad in ["from=2026-02-30", "from=26-1-1", "to=9999-01-01", "new_damage=yes", "awaiting_review=1"] {
                let answer = try await app.request(.get, "/v1/inspections?\(bad)", key: app.keys.reviewer)
                #expect(answer.status == .badRequest, "\(bad)")
            }
        }
    }
}
