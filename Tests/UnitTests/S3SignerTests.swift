import Crypto
import Foundation
import Testing

@testable import Storage

/// AWS Signature Version 4 against the worked examples in AWS's S3 documentation ("Examples:
/// Signature Calculations in AWS Signature Version 4": GET with a range, PUT of an object whose
/// key needs encoding, a bucket listing with a query), the example credentials and
/// 2013-05-24T00:00:00Z. The test store accepts any region, so the region's place in the
/// signature is checked here.
@Suite struct S3SignerTests {
    let signer = S3Signer(accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", region: "us-east-1")
    let date = Date(timeIntervalSince1970: 1_369_353_600)  // 2013-05-24T00:00:00Z
    let host = ("host", "examplebucket.s3.amazonaws.com")

    func authorization(_ headers: [(String, String)]) -> String? {
        headers.first { $0.0 == "Authorization" }?.1
    }

    @Test func getObjectWithARange() {
        let signed = signer.sign(
            method: "GET", path: "/test.txt", query: [], headers: [host, ("Range", "bytes=0-9")], payloadHash: S3Signer.emptyPayloadHash, at: date
        )
        #expect(
            authorization(signed)
                == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        )
        #expect(signed.contains { $0 == ("x-amz-date", "20130524T000000Z") })
    }

    @Test func putObjectWhoseKeyNeedsEncoding() {
        let payload = S3Signer.hex(Array("Welcome to Amazon S3.".utf8).sha256Digest)
        #expect(payload == "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072")
        let signed = signer.sign(
            method: "PUT", path: "/test$file.text", query: [],
            headers: [("Date", "Fri, 24 May 2013 00:00:00 GMT"), host, ("x-amz-storage-class", "REDUCED_REDUNDANCY")], payloadHash: payload, at: date
        )
        #expect(authorization(signed)?.hasSuffix("Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd") == true, "\(signed)")
    }

    @Test func listObjectsWithAQuery() {
        let signed = signer.sign(
            method: "GET", path: "/", query: [("prefix", "J"), ("max-keys", "2")], headers: [host], payloadHash: S3Signer.emptyPayloadHash, at: date
        )
        #expect(authorization(signed)?.hasSuffix("Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7") == true, "\(signed)")
        #expect(S3Signer.canonicalQuery([("prefix", "J"), ("max-keys", "2"), ("uploads", "")]) == "max-keys=2&prefix=J&uploads=")
    }

    @Test func anotherRegionOrSecretSignsDifferently() {
        var other = signer
        other.region = "eu-central-1"
        let headers = [host]
        let a = authorization(signer.sign(method: "GET", path: "/k", query: [], headers: headers, payloadHash: S3Signer.emptyPayloadHash, at: date))
        let b = authorization(other.sign(method: "GET", path: "/k", query: [], headers: headers, payloadHash: S3Signer.emptyPayloadHash, at: date))
        #expect(a != b && b?.contains("/20130524/eu-central-1/s3/aws4_request") == true)
        other.secretAccessKey = "x"
        #expect(authorization(other.sign(method: "GET", path: "/k", query: [], headers: headers, payloadHash: S3Signer.emptyPayloadHash, at: date)) != b)
    }

    @Test func encodingKeepsOnlyUnreservedCharacters() {
        #expect(S3Signer.encode("a b/c~d_e-f.g+h=é") == "a%20b%2Fc~d_e-f.g%2Bh%3D%C3%A9")
        #expect(S3Signer.encode("photos/ab", keepSlash: true) == "photos/ab")
        #expect(S3Signer.trimmed("  a   b \t c ") == "a b c")
    }

    @Test func answersAreReadWithEntitiesDecoded() {
        let xml = "<R><Contents><Key>photos/a&amp;b</Key><LastModified>2026-12-04T14:00:00.000Z</LastModified></Contents>"
            + "<Contents><Key>photos/c</Key><LastModified>2026-12-04T14:00:01Z</LastModified></Contents><Code>A&#60;B&#x3E;</Code></R>"
        let contents = S3XML.elements("Contents", in: xml)
        #expect(contents.count == 2)
        #expect(S3XML.elements("Key", in: contents[0]) == ["photos/a&b"])
        #expect(S3XML.elements("LastModified", in: contents[1]).first.flatMap(S3XML.date) == Date(timeIntervalSince1970: 1_796_392_801))
        #expect(S3XML.elements("Code", in: xml) == ["A<B>"])
        #expect(S3XML.elements("Missing", in: xml).isEmpty && S3XML.decode("a & b;") == "a & b;")
    }

    @Test func settingsAreCheckedBeforeUse() {
        let good = S3Settings(endpoint: "http://127.0.0.1:8333", bucket: "walkaround-photos", region: "eu-central-1", accessKeyID: "a", secretAccessKey: "s")
        #expect(good.problems.isEmpty)
        var bad = good
        bad.endpoint = "ftp://x"
        #expect(bad.problems.count == 1)
        bad = good
        (bad.bucket, bad.region, bad.secretAccessKey, bad.serverSideEncryption, bad.partSize) = ("UP", "eu central", "", "rot13", 1024)
        #expect(bad.problems.count == 5, "\(bad.problems)")
        bad = good
        bad.multipartThreshold = 1 << 20
        #expect(bad.problems == ["WALKAROUND_S3_MULTIPART_THRESHOLD_BYTES must be at least the part size"])
        #expect(throws: StorageError.self) { try S3PhotoStore(settings: bad) }
        bad = good
        bad.endpoint = "https://AKIA:secret@s3.example.eu"
        #expect(bad.problems.count == 1 && !bad.problems[0].contains("secret"), "credentials in the endpoint are refused, not echoed")
        bad = good
        (bad.prefix, bad.timeout) = ("", .milliseconds(10))
        #expect(bad.problems.count == 2, "an empty prefix would let the janitor sweep the whole bucket: \(bad.problems)")
        bad.secretAccessKey = "very-secret"
        #expect(!"\(bad)".contains("very-secret"), "settings print without the secret")
        let store = try? S3PhotoStore(settings: good)
        #expect(throws: StorageError.self) { try store?.key("../../etc/passwd") }
        #expect((try? store?.key(String(repeating: "a", count: 64))) == "photos/" + String(repeating: "a", count: 64))
    }
}

extension Array where Element == UInt8 {
    fileprivate var sha256Digest: [UInt8] { Array(SHA256.hash(data: self)) }
}
