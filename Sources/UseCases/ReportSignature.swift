import Crypto
import Foundation

/// The key that signs final reports (Ed25519), from a file (PKCS#8 PEM as `openssl genpkey
/// -algorithm ed25519` writes it, or the 32-byte private key in base64) or generated into one.
public struct ReportSigningKey: Sendable {
    public let privateKey: Curve25519.Signing.PrivateKey

    public init(_ privateKey: Curve25519.Signing.PrivateKey) {
        self.privateKey = privateKey
    }

    public var publicKey: Curve25519.Signing.PublicKey { privateKey.publicKey }
    /// `ed25519:` and the first 16 hex digits of the SHA-256 of the raw public key.
    public var id: String { Self.id(of: publicKey) }

    public static func id(of key: Curve25519.Signing.PublicKey) -> String {
        "ed25519:" + SHA256.hash(data: key.rawRepresentation).map { String(format: "%02x", $0) }.joined().prefix(16)
    }

    /// The DER prefix of an Ed25519 private key in PKCS#8 (RFC 8410): the 32 key bytes follow.
    static let pkcs8Prefix: [UInt8] = [0x30, 0x2E, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]

    public enum LoadError: Error, CustomStringConvertible {
        case unreadable(String, String)
        case invalid(String, String)

        public var description: String {
            switch self {
            case .unreadable(let path, let why): "the report signing key \(path) cannot be read: \(why)"
            case .invalid(let path, let why): "the report signing key \(path) is not an Ed25519 private key: \(why)"
            }
        }
    }

    /// The key in `text`: a PKCS#8 PEM block or base64 of the 32-byte private key.
    public static func parse(_ text: String, source: String) throws(LoadError) -> ReportSigningKey {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        var raw: [UInt8]
        if trimmed.hasPrefix("-----BEGIN PRIVATE KEY-----") {
            let body = trimmed.split(whereSeparator: \.isNewline).filter { !$0.hasPrefix("-----") }.joined()
            guard let der = Data(base64Encoded: body).map(Array.init), der.count == pkcs8Prefix.count + 32, der.starts(with: pkcs8Prefix) else {
                throw .invalid(source, "the PEM block is not a PKCS#8 Ed25519 key")
            }
            raw = Array(der.dropFirst(pkcs8Prefix.count))
        } else {
            guard let bytes = Data(base64Encoded: trimmed).map(Array.init), bytes.count == 32 else {
                throw .invalid(source, "expected a PKCS#8 PEM block or 32 bytes in base64")
            }
            raw = bytes
        }
        defer { raw = [] }
        do {
            return ReportSigningKey(try Curve25519.Signing.PrivateKey(rawRepresentation: raw))
        } catch {
            throw .invalid(source, "\(error)")
        }
    }

    /// This key as a PKCS#8 PEM block.
    public var pem: String {
        let der = Data(Self.pkcs8Prefix + Array(privateKey.rawRepresentation))
        return "-----BEGIN PRIVATE KEY-----\n\(der.base64EncodedString())\n-----END PRIVATE KEY-----\n"
    }

    /// The key in the file at `path`; with `create`, a new key is written there first when there
    /// is no file (readable by its owner only, written whole: processes sharing the folder that
    /// start together all end up with the one key that won).
    public static func load(path: String, create: Bool) throws(LoadError) -> ReportSigningKey {
        if create, !FileManager.default.fileExists(atPath: path) {
            let key = ReportSigningKey(Curve25519.Signing.PrivateKey())
            let temporary = path + ".\(UUID().uuidString).tmp"
            guard FileManager.default.createFile(atPath: temporary, contents: Data(key.pem.utf8), attributes: [.posixPermissions: 0o600]) else {
                throw .unreadable(path, "cannot write a new key in its folder")
            }
            // link(2) fails when the name exists: the first process's key stays.
            _ = link(temporary, path)
            unlink(temporary)
        }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .unreadable(path, error.localizedDescription)
        }
        return try parse(text, source: path)
    }

    /// The public key as a JSON Web Key (RFC 8037).
    public var jwk: PublicKeyResource { PublicKeyResource(publicKey) }
}

/// A public key that verifies reports, as a JSON Web Key (RFC 8037: `kty` OKP, `crv` Ed25519,
/// `x` the raw key in base64url without padding).
public struct PublicKeyResource: Sendable, Codable, Equatable {
    public var kty = "OKP"
    public var crv = "Ed25519"
    public var alg = "EdDSA"
    public var use = "sig"
    public var kid: String
    public var x: String

    public init(_ key: Curve25519.Signing.PublicKey) {
        kid = ReportSigningKey.id(of: key)
        x = Base64URL.encode(Data(key.rawRepresentation))
    }

    /// The key, when `x` is 32 bytes of base64url and `kty`/`crv` name Ed25519.
    public var publicKey: Curve25519.Signing.PublicKey? {
        guard kty == "OKP", crv == "Ed25519", x.count <= 64 else { return nil }
        guard let raw = Base64URL.decode(x), raw.count == 32 else { return nil }
        return try? Curve25519.Signing.PublicKey(rawRepresentation: raw)
    }
}

/// The keys that verify reports (`GET /.well-known/walkaround/report-keys`), a JSON Web Key Set.
public struct PublicKeySet: Sendable, Codable, Equatable {
    public var keys: [PublicKeyResource]

    public init(keys: [PublicKeyResource]) {
        self.keys = keys
    }
}

/// A signed final report: the payload (the report as the API serves it, and every photo it rests
/// on with its SHA-256), a digest of each of the payload's values by path, and an Ed25519
/// signature over the digests. A verifier recomputes the digests from the payload: any value that
/// was changed, added or removed is named by its path, and a changed digest breaks the signature.
public enum SignedReport {
    public static let format = "walkaround-signed-report/1"
    /// Hex digits kept of each value's SHA-256 (128 bits).
    static let digestLength = 32

    /// The signed document of `payload` (JSON), in canonical form.
    public static func sign(payload: Data, with key: ReportSigningKey) throws -> Data {
        let value = try JSONValue.parse(payload)
        let digests = Self.digests(of: value)
        let signed = Self.signedPart(format: format, keyID: key.id, digests: digests)
        let signature = try key.privateKey.signature(for: signed)
        let document = JSONValue.object([
            "format": .string(format),
            "payload": value,
            "digests": .object(digests.mapValues(JSONValue.string)),
            "signature": .object([
                "algorithm": .string("Ed25519"), "key_id": .string(key.id), "value": .string(Data(signature).base64EncodedString()),
                "covers": .string("the canonical JSON of {\"digests\", \"format\", \"key_id\"}"),
            ]),
        ])
        return Data(document.canonical)
    }

    /// What a signature covers: the format, the key id and the digests, in canonical JSON.
    static func signedPart(format: String, keyID: String, digests: [String: String]) -> [UInt8] {
        JSONValue.object(["format": .string(format), "key_id": .string(keyID), "digests": .object(digests.mapValues(JSONValue.string))]).canonical
    }

    /// The truncated SHA-256 of every leaf of the payload, by its path (`payload.report.…`).
    static func digests(of payload: JSONValue) -> [String: String] {
        var digests: [String: String] = [:]
        for leaf in payload.leaves(at: "payload") {
            let hash = SHA256.hash(data: leaf.value.canonical).map { String(format: "%02x", $0) }.joined()
            digests[leaf.path] = String(hash.prefix(digestLength))
        }
        return digests
    }

    /// What checking a document found.
    public struct Verification: Sendable, Equatable {
        /// The key that signed it, when the document names one.
        public var keyID: String?
        /// Everything wrong, each in a sentence; empty when the document is as signed.
        public var problems: [String] = []
        /// The photos it rests on: id and SHA-256.
        public var photos: [(id: String, sha256: String)] = []

        public var valid: Bool { problems.isEmpty }

        public static func == (a: Verification, b: Verification) -> Bool {
            a.keyID == b.keyID && a.problems == b.problems && a.photos.map(\.id) == b.photos.map(\.id) && a.photos.map(\.sha256) == b.photos.map(\.sha256)
        }
    }

    /// Checks `document` against `keys`: the signature over the digests, then each digest against
    /// the payload, naming every path whose value was changed, removed or added.
    public static func verify(_ document: Data, keys: PublicKeySet, photoFiles: [(name: String, bytes: Data)] = []) -> Verification {
        var result = verifyDocument(document, keys: keys)
        let listed = Set(result.photos.map(\.sha256))
        for file in photoFiles {
            let hash = SHA256.hash(data: file.bytes).map { String(format: "%02x", $0) }.joined()
            if !listed.contains(hash) { result.problems.append("\(file.name) (SHA-256 \(hash)) is not a photo this report rests on") }
        }
        return result
    }

    static func verifyDocument(_ document: Data, keys: PublicKeySet) -> Verification {
        var result = Verification()
        guard document.count <= 64 << 20, let value = try? JSONValue.parse(document), case .object(let top) = value else {
            result.problems.append("the file is not a JSON object")
            return result
        }
        guard top["format"]?.stringValue == format else {
            result.problems.append("the file is not a Walkaround signed report (format \(format))")
            return result
        }
        // What the signature does not cover must not be there to be read instead of what it does.
        if let key = JSONValue.duplicateKey(in: document) {
            result.problems.append("the key \(key) appears twice in one object: other readers may see another value than the one signed")
            return result
        }
        let unknown = Set(top.keys).subtracting(["format", "payload", "digests", "signature"])
        if !unknown.isEmpty {
            result.problems.append("the document has members the signature does not cover: \(unknown.sorted().joined(separator: ", "))")
            return result
        }
        guard let payload = top["payload"], case .object(let signature)? = top["signature"], case .object(let listed)? = top["digests"],
            let keyID = signature["key_id"]?.stringValue, let encoded = signature["value"]?.stringValue
        else {
            result.problems.append("the document lacks its payload, digests or signature")
            return result
        }
        result.keyID = keyID
        result.photos = photos(in: payload)
        var digests: [String: String] = [:]
        for (path, digest) in listed {
            guard let text = digest.stringValue else {
                result.problems.append("the digest of \(path) is not a string")
                return result
            }
            digests[path] = text
        }
        guard let key = keys.keys.first(where: { $0.kid == keyID })?.publicKey else {
            result.problems.append("it is signed with key \(keyID), which is not among the keys given")
            return result
        }
        guard signature["algorithm"]?.stringValue == "Ed25519", let raw = Data(base64Encoded: encoded),
            key.isValidSignature(raw, for: signedPart(format: format, keyID: keyID, digests: digests))
        else {
            result.problems.append("the signature does not match the digests: the digests or the signature were changed, or another key signed it")
            return result
        }
        let actual = Self.digests(of: payload)
        for path in digests.keys.sorted() {
            guard let now = actual[path] else {
                result.problems.append("\(path) was removed")
                continue
            }
            if now != digests[path] { result.problems.append("\(path) was changed") }
        }
        for path in actual.keys.sorted() where digests[path] == nil {
            result.problems.append("\(path) was added")
        }
        return result
    }

    /// The payload's photo list.
    static func photos(in payload: JSONValue) -> [(id: String, sha256: String)] {
        guard case .array(let photos)? = payload["photos"] else { return [] }
        return photos.compactMap { photo in
            guard let id = photo["id"]?.stringValue, let sha256 = photo["sha256"]?.stringValue else { return nil }
            return (id, sha256)
        }
    }
}
