import Configuration
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import HTTPTypes
import HummingbirdTesting
import TestFixtures
import Testing
import WalkaroundCore

@testable import WalkaroundServer

/// Webhooks through the API on both databases, delivered to the receiver `make test` starts
/// (tools/webhooks/receiver.py), which verifies every signature with the PyPI reference library
/// `standardwebhooks` and can fail, hang or redirect on demand.
@Suite("Webhooks")
struct WebhookTests {
    static var receiver: String? { ProcessInfo.processInfo.environment["WALKAROUND_TEST_WEBHOOK_RECEIVER"] }
    static var required: Bool { ProcessInfo.processInfo.environment["WALKAROUND_TEST_REQUIRE_WEBHOOKS"] == "1" }

    /// Loopback allowed (the receiver), quick retries, an attempt timeout that a receiver slowed by
    /// the whole suite's load still answers within (a hung receiver outlasts it).
    static let overrides: [AbsoluteConfigKey: ConfigValue] = [
        "walkaround.webhook.allowedHosts": ConfigValue(.string("127.0.0.1"), isSecret: false),
        "walkaround.webhook.timeoutMs": ConfigValue(.int(10_000), isSecret: false),
        "walkaround.webhook.maxAttempts": ConfigValue(.int(3), isSecret: false),
        "walkaround.job.retryBaseMs": ConfigValue(.int(200), isSecret: false),
        "walkaround.job.retryMaxMs": ConfigValue(.int(500), isSecret: false),
        "walkaround.webhook.retryBaseMs": ConfigValue(.int(200), isSecret: false),
        "walkaround.webhook.retryMaxMs": ConfigValue(.int(500), isSecret: false),
    ]

    static func subscribe(_ app: TestApp, _ body: [String: Any], key: String? = nil) async throws -> TestResponse {
        try await app.json(.post, "/v1/webhooks", key: key ?? app.keys.admin, body)
    }

    /// Tells the receiver's `channel` how to answer, and with which secret to verify.
    static func control(_ channel: String, secret: String, mode: String = "ok", failures: Int = 0, seconds: Int = 0) async throws {
        var request = URLRequest(url: URL(string: "\(receiver!)/control/\(channel)")!)
        request.httpMethod = "PUT"
        request.httpBody = try JSONSerialization.data(withJSONObject: ["secret": secret, "mode": mode, "failures": failures, "seconds": seconds])
        let (_, response) = try await URLSession.shared.data(for: request)
        #expect((response as? HTTPURLResponse)?.statusCode == 204)
    }

    static func received(_ channel: String) async throws -> [[String: Any]] {
        let (data, _) = try await URLSession.shared.data(from: URL(string: "\(receiver!)/log/\(channel)")!)
        return try JSONSerialization.jsonObject(with: data) as? [[String: Any]] ?? []
    }

    static func events(_ log: [[String: Any]]) -> [String] {
        log.compactMap { entry in
            (entry["body"] as? String).flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }?["type"] as? String
        }
    }

    static func deliveries(_ app: TestApp, _ subscription: String) async throws -> [[String: Any]] {
        try #require(try await app.request(.get, "/v1/webhooks/\(subscription)/deliveries", key: app.keys.admin).object["items"] as? [[String: Any]])
    }

    static func darkPhoto() -> [UInt8] {
        PNGWriter.png(SyntheticPhoto.exposed(SyntheticPhoto.scene(width: 1024, height: 768, seed: 77), gain: 0.12))
    }

    @Test(arguments: Backend.available)
    func subscribersReceiveSignedEventsOfTheirScope(_ backend: Backend) async throws {
        guard Self.receiver != nil else {
            #expect(!Self.required, "WALKAROUND_TEST_WEBHOOK_RECEIVER is not set: run the tests with `make test`")
            return
        }
        try await TestApp.run(backend, Self.overrides) { app in
            let tag = UUID().uuidString.prefix(8)
            let (fleetChannel, berlinChannel) = ("fleet-\(tag)", "ber-\(tag)")
            let all = WebhookEvent.allCases.map(\.rawValue)
            // Only admins subscribe; URLs are checked.
            #expect(try await Self.subscribe(app, ["url": "\(Self.receiver!)/hook/x", "events": all], key: app.keys.reviewer).status == .forbidden)
            for bad in ["ftp://example.com/hook", "http://10.1.2.3/hook", "http://169.254.169.254/latest", "http://user:pw@example.com/", "not a url"] {
                let refused = try await Self.subscribe(app, ["url": bad, "events": all])
                #expect(refused.status == .unprocessableContent && refused.errorCode == "invalid_url", "\(bad): \(refused.text)")
            }
            #expect(try await Self.subscribe(app, ["url": "\(Self.receiver!)/hook/x", "events": ["photo.taken"]]).errorCode == "invalid_events")

            let fleet = try await Self.subscribe(app, ["url": "\(Self.receiver!)/hook/\(fleetChannel)", "events": all, "description": "claims desk"])
            #expect(fleet.status == .created, "\(fleet.text)")
            let fleetSecret = try #require(fleet.object["secret"] as? String)
            #expect(fleetSecret.hasPrefix("whsec_"))
            let berlin = try await Self.subscribe(app, ["url": "\(Self.receiver!)/hook/\(berlinChannel)", "events": ["photo.rejected"], "station": "BER-02"])
            try await Self.control(fleetChannel, secret: fleetSecret)
            try await Self.control(berlinChannel, secret: try #require(berlin.object["secret"] as? String))
            let listed = try #require(try await app.request(.get, "/v1/webhooks", key: app.keys.admin).object["items"] as? [[String: Any]])
            #expect(listed.count == 2 && listed.allSatisfy { $0["secret"] == nil }, "the secret is shown once")

            // A rejected photo at MUC-01: the fleet hears of it, with the advice; Berlin does not.
            let id = try await app.createInspection()
            #expect(try await app.upload(Self.darkPhoto(), to: id, view: "front").status == .accepted)
            #expect(try await app.waitUntilSettled(id).first?["status"] as? String == "rejected")
            #expect(try await eventually(.seconds(30)) { Self.events(try await Self.received(fleetChannel)).contains("photo.rejected") })
            let rejected = try #require(try await Self.received(fleetChannel).first)
            #expect(rejected["verified"] as? Bool == true, "\(rejected)")
            let body = try #require(try JSONSerialization.jsonObject(with: Data((rejected["body"] as? String ?? "").utf8)) as? [String: Any])
            let data = try #require(body["data"] as? [String: Any])
            #expect(data["inspection_id"] as? String == id && data["station"] as? String == "MUC-01")
            #expect((data["advice"] as? String)?.isEmpty == false)
            #expect((data["issues"] as? [[String: Any]])?.first?["code"] as? String == "too_dark")

            // A return reviewed to final: report_ready for both inspections, damage.reviewed, report.final.
            let (back, written) = try await ReviewTests.returnWithTwoNewDamages(app, plate: "M-WH 1")
            var current = written
            for damage in try #require(ReviewTests.review(current)["undecided"] as? [String]) {
                current = try await ReviewTests.patch(app, back, damage, key: app.keys.reviewer, ifMatch: current.headers[.eTag], ["decision": "confirmed"])
            }
            current = try await ReviewTests.state(app, back, "reviewed", key: app.keys.reviewer, ifMatch: current.headers[.eTag])
            current = try await ReviewTests.state(app, back, "final", key: app.keys.reviewer, ifMatch: current.headers[.eTag])
            #expect(current.status == .ok)
            #expect(try await eventually(.seconds(60)) { Self.events(try await Self.received(fleetChannel)).contains("report.final") })
            // The receiver logs a message before it answers, and the delivery is marked delivered
            // after the answer: wait until none is pending.
            let fleetID = try #require(fleet.object["id"] as? String)
            #expect(try await eventually(.seconds(60)) { try await Self.deliveries(app, fleetID).allSatisfy { $0["status"] as? String != "pending" } })
            let log = try await Self.received(fleetChannel)
            let types = Self.events(log)
            #expect(types.filter { $0 == "inspection.report_ready" }.count == 2, "\(types)")
            #expect(types.filter { $0 == "damage.reviewed" }.count == 2, "\(types)")
            #expect(types.filter { $0 == "report.final" }.count == 1, "\(types)")
            #expect(log.allSatisfy { $0["verified"] as? Bool == true }, "every delivery verifies with standardwebhooks: \(log)")
            #expect(Set(log.compactMap { $0["id"] as? String }).count == log.count, "one webhook-id per message")
            let final = try #require(log.first { ($0["body"] as? String)?.contains("\"report.final\"") == true }?["body"] as? String)
            #expect(final.contains("/report/signed") && final.contains("\"chargeable\""))
            #expect(try await Self.received(berlinChannel).isEmpty, "BER-02 subscribed to its own station only")

            let logged = try await Self.deliveries(app, fleetID)
            #expect(logged.count == log.count)
            #expect(logged.allSatisfy { $0["status"] as? String == "delivered" && $0["attempts"] as? Int == 1 && $0["last_status_code"] as? Int == 204 })
            // Erasing an inspection erases the deliveries about it (their bodies name it).
            #expect(try await app.request(.delete, "/v1/inspections/\(id)", key: app.keys.admin).status == .noContent)
            let kept = try await Self.deliveries(app, fleetID)
            #expect(kept.count == logged.count - 1 && !kept.contains { ($0["body"] as? String)?.contains(id) == true })
        }
    }

    @Test(arguments: Backend.available)
    func failuresAreRetriedHangsTimeOutRedirectsAreNotFollowed(_ backend: Backend) async throws {
        guard Self.receiver != nil else {
            #expect(!Self.required, "WALKAROUND_TEST_WEBHOOK_RECEIVER is not set: run the tests with `make test`")
            return
        }
        try await TestApp.run(backend, Self.overrides) { app in
            let tag = UUID().uuidString.prefix(8)
            var subscriptions: [String: String] = [:], secrets: [String: String] = [:]
            for (mode, failures, seconds) in [("fail", 2, 0), ("hang", 0, 30), ("redirect", 0, 0)] {
                let channel = "\(mode)-\(tag)"
                let made = try await Self.subscribe(app, ["url": "\(Self.receiver!)/hook/\(channel)", "events": ["photo.rejected"]])
                secrets[mode] = try #require(made.object["secret"] as? String)
                try await Self.control(channel, secret: secrets[mode]!, mode: mode, failures: failures, seconds: seconds)
                subscriptions[mode] = try #require(made.object["id"] as? String)
            }
            let id = try await app.createInspection()
            #expect(try await app.upload(Self.darkPhoto(), to: id, view: "front").status == .accepted)
            let settled = try await eventually(.seconds(180)) {
                var done = true
                for subscription in subscriptions.values {
                    let deliveries = try await Self.deliveries(app, subscription)
                    done = done && deliveries.count == 1 && deliveries.allSatisfy { $0["status"] as? String != "pending" }
                }
                return done
            }
            #expect(settled)
            // Failed twice with 500, delivered on the third attempt: one message, three tries.
            let retried = try #require(try await Self.deliveries(app, subscriptions["fail"]!).first)
            #expect(retried["status"] as? String == "delivered" && retried["attempts"] as? Int == 3, "\(retried)")
            let tries = try await Self.received("fail-\(tag)")
            #expect(tries.map { $0["answered"] as? Int } == [500, 500, 204])
            #expect(Set(tries.compactMap { $0["id"] as? String }).count == 1, "the same webhook-id on every retry")
            // No answer within the timeout, on every attempt: failed after the attempts.
            let hung = try #require(try await Self.deliveries(app, subscriptions["hang"]!).first)
            #expect(hung["status"] as? String == "failed" && hung["attempts"] as? Int == 3, "\(hung)")
            #expect((hung["last_error"] as? String)?.contains("no answer within") == true, "\(hung)")
            // A redirect is an answer, not a new target: failed at once, the new place never asked.
            let redirected = try #require(try await Self.deliveries(app, subscriptions["redirect"]!).first)
            #expect(redirected["status"] as? String == "failed" && redirected["attempts"] as? Int == 1 && redirected["last_status_code"] as? Int == 302, "\(redirected)")
            let first = try await Self.received("redirect-\(tag)")
            #expect(first.count == 1)
            #expect(try await Self.received("redirect-\(tag)-moved").isEmpty)

            // Fixed on the receiver's side, the failed delivery is sent again: the same message.
            try await Self.control("redirect-\(tag)", secret: secrets["redirect"]!)
            let redirectSubscription = subscriptions["redirect"]!
            let made = try await app.request(
                .post, "/v1/webhooks/\(redirectSubscription)/deliveries/\(redirected["id"] as? String ?? "")/redeliver", key: app.keys.admin
            )
            #expect(made.status == .accepted, "\(made.text)")
            #expect(made.object["message_id"] as? String == redirected["message_id"] as? String)
            #expect(try await eventually(.seconds(30)) { try await Self.received("redirect-\(tag)").first?["answered"] as? Int == 204 })
            #expect(try await Self.received("redirect-\(tag)").first?["id"] as? String == first.first?["id"] as? String, "the same webhook-id")
            let again = try await Self.deliveries(app, redirectSubscription)
            #expect(again.map { $0["status"] as? String } == ["delivered", "failed"], "newest first: the redelivery, then the failed one")
            #expect(try await app.request(.post, "/v1/webhooks/\(redirectSubscription)/deliveries/\(UUID().uuidString)/redeliver", key: app.keys.admin).status == .notFound)
            #expect(try await app.request(.post, "/v1/webhooks/\(redirectSubscription)/deliveries/\(redirected["id"] as? String ?? "")/redeliver", key: app.keys.reviewer).status == .forbidden)

            // Deleting a subscription removes its log and its pending deliveries.
            #expect(try await app.request(.delete, "/v1/webhooks/\(subscriptions["hang"]!)", key: app.keys.admin).status == .noContent)
            #expect(try await app.request(.get, "/v1/webhooks/\(subscriptions["hang"]!)/deliveries", key: app.keys.admin).status == .notFound)
            #expect(try await app.request(.delete, "/v1/webhooks/\(subscriptions["hang"]!)", key: app.keys.admin).status == .notFound)
        }
    }

    /// Receivers that hang until the timeout hold at most half a worker's slots: with two slots and
    /// three hung deliveries queued, a photo uploaded meanwhile is processed while the first still
    /// hangs, not after a delivery's timeout (60 s, and the receiver hangs 90: the first attempt
    /// still hangs when the test looks, however loaded the machine; the whole suite runs on two
    /// cores at once).
    @Test func hungReceiversNeverHoldEverySlot() async throws {
        guard Self.receiver != nil else {
            #expect(!Self.required, "WALKAROUND_TEST_WEBHOOK_RECEIVER is not set: run the tests with `make test`")
            return
        }
        var overrides = Self.overrides
        overrides["walkaround.worker.concurrency"] = ConfigValue(.int(2), isSecret: false)
        overrides["walkaround.webhook.timeoutMs"] = ConfigValue(.int(60_000), isSecret: false)
        overrides["walkaround.webhook.maxAttempts"] = ConfigValue(.int(1), isSecret: false)
        try await TestApp.run(.sqlite, overrides) { app in
            let channel = "slow-\(UUID().uuidString.prefix(8))"
            let made = try await Self.subscribe(app, ["url": "\(Self.receiver!)/hook/\(channel)", "events": ["photo.rejected"]])
            try await Self.control(channel, secret: try #require(made.object["secret"] as? String), mode: "hang", seconds: 90)
            let id = try await app.createInspection()
            for view in ["front", "rear", "left"] {
                #expect(try await app.upload(Self.darkPhoto(), to: id, view: view).status == .accepted)
            }
            _ = try await app.waitUntilSettled(id)
            #expect(try await eventually(.seconds(30)) { try await !Self.received(channel).isEmpty }, "a delivery is hanging")
            let started = ContinuousClock.now
            #expect(try await app.upload(TestImages.jpeg(seed: 9), to: id, view: "right").status == .accepted)
            let photos = try await app.waitUntilSettled(id)
            let waited = ContinuousClock.now - started
            #expect(photos.count == 4)
            // Held behind the hung deliveries, it would wait out the 60 s timeout (less the seconds
            // since they started, while the dark photos settled); a slot kept free lets it through.
            #expect(waited < .seconds(30), "the photo waited \(waited) for a slot")
            #expect(try await Self.received(channel).count == 1, "one delivery at a time on two slots")
        }
    }
}
