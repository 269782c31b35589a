import Foundation
import Pipeline
import Storage
import Testing
import WalkaroundCore

@Suite("Storage and queue building blocks")
struct StorageUnitTests {
    @Test func interpolationBindsValuesAndRendersEachDialect() {
        let id = UUID()
        let plate: String? = nil
        let statement: SQLStatement = "SELECT * FROM inspections WHERE id = \(id) AND plate = \(plate) AND n > \(3)\(unsafeSQL: " FOR UPDATE")"
        #expect(statement.values == [.uuid(id), .null, .int(3)])
        #expect(statement.render { "$\($0)" } == "SELECT * FROM inspections WHERE id = $1 AND plate = $2 AND n > $3 FOR UPDATE")
        #expect(statement.render { "?\($0)" } == "SELECT * FROM inspections WHERE id = ?1 AND plate = ?2 AND n > ?3 FOR UPDATE")
        let joined = statement + " LIMIT \(10)"
        #expect(joined.values.count == 4)
        #expect(joined.render { "$\($0)" }.hasSuffix("FOR UPDATE LIMIT $4"))
    }

    @Test func injectionAttemptsStayValues() {
        let hostile = "x'; DROP TABLE photos; --"
        let statement: SQLStatement = "SELECT * FROM inspections WHERE station = \(hostile)"
        #expect(!statement.render { "$\($0)" }.contains("DROP"))
        #expect(statement.values == [.text(hostile)])
    }

    @Test func cursorTokensRoundTripAndRejectJunk() throws {
        let cursor = InspectionCursor(createdAt: Date(timeIntervalSince1970: 1_790_000_000.123456), id: UUID())
        let decoded = try #require(InspectionCursor(token: cursor.token))
        #expect(decoded.id == cursor.id)
        #expect(abs(decoded.createdAt.timeIntervalSince(cursor.createdAt)) < 0.000_001)
        #expect(!cursor.token.contains("="))
        for junk in ["", "%%%", "bm9wZQ", Data("12.not-a-uuid".utf8).base64EncodedString()] {
            #expect(InspectionCursor(token: junk) == nil, "\(junk)")
        }
    }

    @Test func backoffGrowsExponentiallyWithinJitterAndCap() {
        let policy = RetryPolicy(maxAttempts: 10, baseDelay: .seconds(2), maxDelay: .seconds(60))
        for attempt in 1...4 {
            let expected = 2.0 * pow(2, Double(attempt - 1))
            let delay = policy.delay(afterAttempt: attempt).seconds
            #expect(delay >= expected * 0.8 - 0.001 && delay <= expected * 1.2 + 0.001, "attempt \(attempt): \(delay)")
        }
        #expect(policy.delay(afterAttempt: 20).seconds <= 72.001)
    }

    /// Webhook deliveries outlast a receiver that is down for hours: the default 8 attempts span
    /// about a day (a 4-minute outage lost every event before).
    @Test func webhookDeliveriesBackOffForHours() {
        let policy = RetryPolicy()
        let expected = [5.0, 30, 180, 1_080, 6_480, 36_000, 36_000]
        for (index, seconds) in expected.enumerated() {
            let delay = policy.delay(afterAttempt: index + 1, kind: .deliverWebhook).seconds
            #expect(delay >= seconds * 0.8 - 0.001 && delay <= seconds * 1.2 + 0.001, "attempt \(index + 1): \(delay)")
        }
        #expect(expected.reduce(0, +) > 20 * 3_600)
        #expect(policy.delay(afterAttempt: 50, kind: .deliverWebhook).seconds <= 36_000 * 1.2 + 0.001, "no overflow, capped")
        let hostile = RetryPolicy(baseDelay: .seconds(-5), maxDelay: .seconds(Int64.max / 2))
        #expect(hostile.delay(afterAttempt: 3).seconds == 0)
    }

    @Test func blobStoreWritesContentAddressedFilesAtomically() async throws {
        let root = NSTemporaryDirectory() + "blobs-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: root) }
        let store = try PhotoBlobStore(root: root)
        let bytes = Array("a photo".utf8)
        let address = PhotoBlobStore.address(of: bytes)
        #expect(address == "d4e24d749a4fe2f161af2de913c0402b04e3ae287dafd0f9dbfa4a5c56c69285")
        try await store.store(bytes, sha256: address)
        try await store.store(bytes, sha256: address)  // a second store of the same content is a no-op
        #expect(try await store.read(sha256: address) == bytes)
        #expect(store.path(for: address).hasSuffix("/\(address.prefix(2))/\(address.dropFirst(2).prefix(2))/\(address)"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/tmp").isEmpty, "no temporary left behind")
        try await store.remove(sha256: address)
        try await store.remove(sha256: address)
        #expect(try await store.read(sha256: address) == nil)
    }

    @Test func platesAndVINs() {
        #expect(VehicleRef.normalisedPlate(" m-ab 1234 ") == "MAB1234")
        #expect(VehicleRef.normalisedPlate("ÄÖ-1") == "1", "non-ASCII letters are not plate characters")
        #expect(VehicleRef.isValidVIN("WVWZZZ1JZ3W386752"))
        #expect(!VehicleRef.isValidVIN("WVWZZZ1JZ3W38675"))
        #expect(!VehicleRef.isValidVIN("WVWZZZ1JZ3W38675O"), "O is not in the VIN alphabet")
    }
}
