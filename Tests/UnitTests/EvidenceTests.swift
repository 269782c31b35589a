import Crypto
import Foundation
import Imaging
import TestFixtures
import Testing
import UseCases
import WalkaroundCore

/// Evidence that proves itself: capture times from EXIF, the check-out crop of a new damage's
/// place, and signed reports whose verification names what was changed.
@Suite("Evidence and signed reports")
struct EvidenceTests {
    // MARK: Capture time

    static func header(_ tiff: [UInt8]) throws -> ImageHeader {
        try ImageHeader.read(SyntheticPhoto.withEXIF(try SyntheticPhoto.jpeg(SyntheticPhoto.scene(width: 64, height: 48, seed: 1)), tiff: tiff))
    }

    @Test func readsTheCaptureTimeWithTheCamerasOffset() throws {
        #expect(try Self.header(SyntheticPhoto.exifCaptureTime("2026:12:03 09:41:07", offset: "+01:00")).capturedAt == "2026-12-03T09:41:07+01:00")
        #expect(try Self.header(SyntheticPhoto.exifCaptureTime("2026:12:03 09:41:07")).capturedAt == "2026-12-03T09:41:07", "no offset: local time as written")
        #expect(try Self.header(SyntheticPhoto.exifCaptureTime("2026:12:03 09:41:07", offset: "+99:00")).capturedAt == "2026-12-03T09:41:07")
        #expect(try Self.header(SyntheticPhoto.exifOrientation(.rotatedClockwise)).capturedAt == nil)
        #expect(try ImageHeader.read(try SyntheticPhoto.jpeg(SyntheticPhoto.scene(width: 64, height: 48, seed: 1))).capturedAt == nil)
    }

    @Test(arguments: ["0000:00:00 00:00:00", "    :  :     :  :  ", "2026:13:03 09:41:07", "2026:12:03 25:41:07", "2026-12-03 09:41:07x", "1889:01:01 00:00:00"])
    func refusesImplausibleCaptureTimes(_ taken: String) throws {
        #expect(try Self.header(SyntheticPhoto.exifCaptureTime(taken)).capturedAt == nil)
    }

    @Test func survivesHostileExifDirectories() throws {
        var tiff = SyntheticPhoto.exifCaptureTime("2026:12:03 09:41:07", offset: "+01:00")
        // The value's offset (entry at 8 + 18 + 2, its offset field 8 bytes in) beyond the block.
        let valueOffset = 8 + 18 + 2 + 8
        for (index, byte) in [UInt8(0xFF), 0xFF, 0xFF, 0x7F].enumerated() { tiff[valueOffset + index] = byte }
        #expect(try Self.header(tiff).capturedAt == nil)
        // A count of 2³² − 1 characters.
        var counted = SyntheticPhoto.exifCaptureTime("2026:12:03 09:41:07")
        for index in 0..<4 { counted[8 + 18 + 2 + 4 + index] = 0xFF }
        #expect(try Self.header(counted).capturedAt == nil)
        // The Exif pointer pointing at IFD0 itself, and past the end.
        var looped = SyntheticPhoto.exifCaptureTime("2026:12:03 09:41:07")
        looped[8 + 2 + 8] = 8
        #expect(try Self.header(looped).capturedAt == nil)
        var past = SyntheticPhoto.exifCaptureTime("2026:12:03 09:41:07")
        for index in 0..<4 { past[8 + 2 + 8 + index] = 0xFF }
        #expect(try Self.header(past).capturedAt == nil)
        // Truncated anywhere.
        let whole = SyntheticPhoto.exifCaptureTime("2026:12:03 09:41:07", offset: "-05:00")
        for length in 0..<whole.count { _ = try Self.header(Array(whole.prefix(length))) }
    }

    // MARK: Evidence crops

    static func report(framing: [FramingShift]?, checkoutPhotos: [PhotoUse]?) -> InspectionReport {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let returned = Inspection(kind: .return, station: "MUC-01", vehicle: VehicleRef(plate: "M-EV 1"), createdAt: now)
        let checkout = Inspection(kind: .checkout, station: "BER-02", vehicle: VehicleRef(plate: "M-EV 1"), createdAt: now - 86_400)
        var photo = PhotoUse(id: UUID(), view: .left, status: .processed, used: true, reason: nil)
        photo.sha256 = String(repeating: "a", count: 64)
        photo.capturedAt = "2026-12-03T09:41:07+01:00"
        photo.uploadedAt = now
        let sighting = DamageSighting(
            detectionID: UUID(), photoID: photo.id, view: .left, className: "scratch", confidence: 0.9,
            region: Box(x1: 0.40, y1: 0.50, x2: 0.50, y2: 0.55), onEvidence: true
        )
        var new = Damage(id: "D1", sightings: [sighting])
        new.status = .new
        var known = Damage(id: "D2", sightings: [sighting])
        known.status = .preExisting
        var report = InspectionReport(
            inspection: InspectionSummary(returned), vehicle: returned.vehicle, vehicleID: nil, plate: returned.plateVerdict,
            comparedWith: InspectionSummary(checkout), comparisonNote: nil, photos: [photo], damages: [new, known], notSeen: [], edgeCases: [], generatedAt: now
        )
        report.framing = framing
        report.comparedPhotos = checkoutPhotos
        return report
    }

    @Test func theCheckoutCropShowsTheSamePlaceAfterTheFramingShift() throws {
        var before = PhotoUse(id: UUID(), view: .left, status: .processed, used: true, reason: nil)
        before.sha256 = String(repeating: "b", count: 64)
        let blurred = PhotoUse(id: UUID(), view: .left, status: .rejected, used: false, reason: "blurred")
        let report = Self.report(framing: [FramingShift(view: .left, dx: 0.05, dy: -0.02)], checkoutPhotos: [blurred, before])
        let evidence = report.evidence(review: ReportReview())
        #expect(evidence.map(\.damage) == ["D1"], "only the damage that could be charged")
        let item = try #require(evidence.first)
        #expect(item.returned.station == "MUC-01" && item.returned.sha256 == String(repeating: "a", count: 64))
        #expect(item.returned.capturedAt == "2026-12-03T09:41:07+01:00")
        #expect(item.returned.box == Box(x1: 0.40, y1: 0.50, x2: 0.50, y2: 0.55))
        let checkout = try #require(item.checkout)
        #expect(checkout.photoID == before.id, "the usable check-out photo of the view, not the blurred one")
        #expect(checkout.station == "BER-02" && checkout.sha256 == before.sha256)
        #expect(abs(checkout.box.x1 - 0.45) < 1e-9 && abs(checkout.box.y1 - 0.48) < 1e-9 && abs(checkout.box.x2 - 0.55) < 1e-9)
        // The crops: the minimum side (0.3) around each box, the same size on both sides.
        #expect(abs(item.returned.region.x2 - item.returned.region.x1 - 0.3) < 1e-9)
        #expect(abs((checkout.region.x1 + checkout.region.x2) / 2 - 0.50) < 1e-9, "centred on the moved box")

        let missing = Self.report(framing: [], checkoutPhotos: [blurred]).evidence(review: ReportReview())
        #expect(missing.first?.checkout == nil)
        #expect(missing.first?.checkoutMissing?.contains("no usable photo of the left view") == true)
        #expect(Self.report(framing: nil, checkoutPhotos: nil).evidence(review: ReportReview()).first?.checkoutMissing != nil)
    }

    @Test func cropsStayInsideThePhotoAndCoverLargeDamage() {
        let corner = InspectionReport.cropRegion(around: Box(x1: 0.95, y1: 0.0, x2: 1.0, y2: 0.02))
        #expect(corner.x2 <= 1 && corner.y1 >= 0 && abs(corner.x2 - corner.x1 - 0.3) < 1e-9)
        let large = InspectionReport.cropRegion(around: Box(x1: 0.1, y1: 0.2, x2: 0.7, y2: 0.9))
        #expect(large == Box(x1: 0, y1: 0, x2: 1, y2: 1), "twice the box, at most the whole frame")
        let hostile = InspectionReport.cropRegion(around: Box(x1: -.infinity, y1: .nan, x2: .infinity, y2: 0.5))
        #expect(hostile.x1.isFinite && hostile.y1.isFinite && hostile.x1 >= 0 && hostile.x2 <= 1)
    }

    // MARK: Signatures

    static let key = ReportSigningKey(Curve25519.Signing.PrivateKey())
    static let payload = Data(
        #"{"inspection_id": "5d7c", "report": {"review": {"state": "final", "estimate": {"total_minor": 9550, "currency": "EUR"}, "chargeable": ["D1"]}, "note": "line\nbreak \"quoted\" ü", "ratio": 0.3}, "photos": [{"id": "p1", "sha256": "abc"}, {"id": "p2", "sha256": "def"}]}"#
            .utf8
    )

    static func signed() throws -> JSONValue { try JSONValue.parse(try SignedReport.sign(payload: payload, with: key)) }

    static func edited(_ document: JSONValue, _ change: (inout [String: JSONValue]) -> Void) -> Data {
        guard case .object(var top) = document, case .object(var payload)? = top["payload"] else { return Data() }
        change(&payload)
        top["payload"] = .object(payload)
        return Data(JSONValue.object(top).canonical)
    }

    @Test func aSignedReportVerifiesAndSurvivesReformatting() throws {
        let keys = PublicKeySet(keys: [Self.key.jwk])
        let document = try SignedReport.sign(payload: Self.payload, with: Self.key)
        let result = SignedReport.verify(document, keys: keys)
        #expect(result.valid, "\(result.problems)")
        #expect(result.keyID == Self.key.id)
        #expect(result.photos.map(\.sha256) == ["abc", "def"])
        // Pretty-printed with other key order: the same values, still valid.
        let pretty = try JSONSerialization.data(withJSONObject: try JSONSerialization.jsonObject(with: document), options: [.prettyPrinted])
        #expect(pretty != document)
        #expect(SignedReport.verify(pretty, keys: keys).valid)
        // The JWK round-trips to the same key.
        #expect(Self.key.jwk.publicKey?.rawRepresentation == Self.key.publicKey.rawRepresentation)
    }

    @Test func verificationNamesEachValueThatWasChangedAddedOrRemoved() throws {
        let keys = PublicKeySet(keys: [Self.key.jwk])
        let document = try Self.signed()
        let cheaper = Self.edited(document) { payload in
            payload["report"] = .object([
                "review": .object(["state": .string("final"), "estimate": .object(["total_minor": .integer(95_500), "currency": .string("EUR")]), "chargeable": .array([.string("D1")])]),
                "note": .string("line\nbreak \"quoted\" ü"), "ratio": .number(0.3), "extra": .bool(true),
            ])
            payload["photos"] = .array([.object(["id": .string("p1"), "sha256": .string("abc")])])
        }
        let result = SignedReport.verify(cheaper, keys: keys)
        #expect(!result.valid)
        #expect(result.problems.contains("payload.report.review.estimate.total_minor was changed"), "\(result.problems)")
        #expect(result.problems.contains("payload.report.extra was added"), "\(result.problems)")
        #expect(result.problems.contains("payload.photos[1].sha256 was removed"), "\(result.problems)")
        #expect(result.problems.count == 4, "and payload.photos[1].id: nothing else is named: \(result.problems)")
    }

    /// A second value under one key (Foundation reads the first, jq and Python the last) or a
    /// member the signature does not cover is refused, so nobody is shown a value that was not signed.
    @Test func aDuplicateKeyOrAnUncoveredMemberIsRefused() throws {
        let keys = PublicKeySet(keys: [Self.key.jwk])
        let document = String(decoding: try SignedReport.sign(payload: Self.payload, with: Self.key), as: UTF8.self)
        #expect(SignedReport.verify(Data(document.utf8), keys: keys).valid)
        // A tampered total after the signed one, in the same object.
        let doubled = document.replacingOccurrences(of: #""total_minor":9550"#, with: #""total_minor":9550,"total_minor":1"#)
        #expect(doubled != document)
        let refused = SignedReport.verify(Data(doubled.utf8), keys: keys)
        #expect(!refused.valid && refused.problems.first?.contains("total_minor appears twice") == true, "\(refused.problems)")
        // The same key spelled with an escape is the same key.
        let escaped = document.replacingOccurrences(of: #""total_minor":9550"#, with: #""total_minor":9550,"total\u005fminor":1"#)
        #expect(SignedReport.verify(Data(escaped.utf8), keys: keys).problems.first?.contains("appears twice") == true)
        // A whole second payload at the top.
        let second = String(document.dropLast()) + #","payload":{"photos":[]}}"#
        #expect(SignedReport.verify(Data(second.utf8), keys: keys).problems.first?.contains("payload appears twice") == true)
        // A member outside what is signed.
        let extra = String(document.dropLast()) + #","note":"total waived"}"#
        #expect(SignedReport.verify(Data(extra.utf8), keys: keys).problems == ["the document has members the signature does not cover: note"])
        // Equal keys in different objects are fine.
        #expect(JSONValue.duplicateKey(in: Data(#"{"a": {"id": 1}, "b": [{"id": 2}, {"id": 3}], "c": "\"id\":"}"#.utf8)) == nil)
    }

    @Test func aChangedDigestOrAnotherKeyBreaksTheSignature() throws {
        let keys = PublicKeySet(keys: [Self.key.jwk])
        guard case .object(var top) = try Self.signed(), case .object(var digests)? = top["digests"] else { throw CancellationError() }
        // Changing a value and its digest together: the signature over the digests fails.
        digests["payload.report.review.estimate.total_minor"] = .string(String(repeating: "0", count: 32))
        top["digests"] = .object(digests)
        let forged = SignedReport.verify(Data(JSONValue.object(top).canonical), keys: keys)
        #expect(forged.problems.count == 1 && forged.problems[0].hasPrefix("the signature does not match the digests"), "\(forged.problems)")
        // Signed by another key.
        let other = ReportSigningKey(Curve25519.Signing.PrivateKey())
        let elsewhere = SignedReport.verify(try SignedReport.sign(payload: Self.payload, with: other), keys: keys)
        #expect(elsewhere.problems == ["it is signed with key \(other.id), which is not among the keys given"])
        // Another key under this key's id.
        var impostor = other.jwk
        impostor.kid = Self.key.id
        let swapped = SignedReport.verify(try SignedReport.sign(payload: Self.payload, with: Self.key), keys: PublicKeySet(keys: [impostor]))
        #expect(swapped.problems.first?.hasPrefix("the signature does not match") == true)
        // Not a signed report at all.
        #expect(!SignedReport.verify(Data("[1, 2]".utf8), keys: keys).valid)
        #expect(!SignedReport.verify(Self.payload, keys: keys).valid)
    }

    @Test func photoFilesAreCheckedAgainstTheHashesTheReportRestsOn() throws {
        let bytes = Data("a photo".utf8)
        let hash = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
        let payload = Data(#"{"photos": [{"id": "p1", "sha256": "\#(hash)"}]}"#.utf8)
        let document = try SignedReport.sign(payload: payload, with: Self.key)
        let keys = PublicKeySet(keys: [Self.key.jwk])
        #expect(SignedReport.verify(document, keys: keys, photoFiles: [("p1.jpg", bytes)]).valid)
        let changed = SignedReport.verify(document, keys: keys, photoFiles: [("p1.jpg", Data("a retouched photo".utf8))])
        #expect(changed.problems.count == 1 && changed.problems[0].hasPrefix("p1.jpg (SHA-256 "), "\(changed.problems)")
    }

    @Test func keysLoadFromOpenSSLPEMAndBase64AndAreGeneratedOnce() throws {
        // `openssl genpkey -algorithm ed25519`; its public key from `openssl pkey -pubout`.
        let pem = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIMkrooGWEi9KFdMHYPjdkC0ClvSiNVJIkIII11eaYiif\n-----END PRIVATE KEY-----\n"
        let key = try ReportSigningKey.parse(pem, source: "test")
        #expect(Data(key.publicKey.rawRepresentation).base64EncodedString() == "kv/ikoXGmvWAtsQfGDpzSgVZWcCLo6hcQDIxra2gdAs=")
        #expect(try ReportSigningKey.parse(key.pem, source: "again").id == key.id)
        #expect(try ReportSigningKey.parse(Data(key.privateKey.rawRepresentation).base64EncodedString(), source: "raw").id == key.id)
        #expect(throws: ReportSigningKey.LoadError.self) { try ReportSigningKey.parse("not a key", source: "x") }
        #expect(throws: ReportSigningKey.LoadError.self) { try ReportSigningKey.parse(String(pem.dropLast(40)), source: "x") }

        let folder = NSTemporaryDirectory() + "walkaround-keys-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let first = try ReportSigningKey.load(path: folder + "/key.pem", create: true)
        let second = try ReportSigningKey.load(path: folder + "/key.pem", create: true)
        #expect(first.id == second.id, "generated once, then read")
        let permissions = try FileManager.default.attributesOfItem(atPath: folder + "/key.pem")[.posixPermissions] as? Int
        #expect(permissions == 0o600)
        #expect(throws: ReportSigningKey.LoadError.self) { try ReportSigningKey.load(path: folder + "/missing.pem", create: false) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["key.pem"], "no temporary file left")
    }

    @Test func canonicalJSONIsStableAndEscapesWhatItMust() throws {
        let value = try JSONValue.parse(Data(#"{"b": [1, 2.5, -0.0, true, null], "a": "x\u0001\"\\/é", "c": {}}"#.utf8))
        #expect(String(decoding: value.canonical, as: UTF8.self) == #"{"a":"x\u0001\"\\/é","b":[1,2.5,0,true,null],"c":{}}"#)
        #expect(value.leaves(at: "p").map(\.path) == ["p.a", "p.b[0]", "p.b[1]", "p.b[2]", "p.b[3]", "p.b[4]", "p.c"])
        let deep = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        #expect(throws: (any Error).self) { try JSONValue.parse(Data(deep.utf8)) }
    }
}
