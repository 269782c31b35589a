import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import Metrics
import NIOCore
import NIOHTTP1
import Tracing
import WalkaroundCore

/// How to reach an S3-compatible bucket (`WALKAROUND_S3_*`).
public struct S3Settings: Sendable, Equatable, CustomStringConvertible {
    /// `http(s)://host[:port]`: AWS's regional endpoint or any S3-compatible server.
    public var endpoint: String
    public var bucket: String
    public var region: String
    /// Path-style (`endpoint/bucket/key`, most self-hosted stores) or virtual-host
    /// (`bucket.host/key`, AWS's default).
    public var pathStyle: Bool
    public var accessKeyID: String
    public var secretAccessKey: String
    public var sessionToken: String?
    /// `x-amz-server-side-encryption` (`AES256` or `aws:kms`), and the KMS key for `aws:kms`.
    public var serverSideEncryption: String?
    public var kmsKeyID: String?
    /// Object keys start with this (`photos/`).
    public var prefix: String
    /// Photos larger than this go up as multipart uploads, in parts of `partSize` (S3's minimum part is 5 MiB).
    public var multipartThreshold: Int
    public var partSize: Int
    /// Each request's deadline.
    public var timeout: Duration
    /// A read larger than this is refused (a photo is at most the upload limit).
    public var maxObjectBytes: Int

    public init(
        endpoint: String, bucket: String, region: String, pathStyle: Bool = true, accessKeyID: String, secretAccessKey: String,
        sessionToken: String? = nil, serverSideEncryption: String? = nil, kmsKeyID: String? = nil, prefix: String = "photos/",
        multipartThreshold: Int = 16 << 20, partSize: Int = 8 << 20, timeout: Duration = .seconds(30), maxObjectBytes: Int = 256 << 20
    ) {
        self.endpoint = endpoint
        self.bucket = bucket
        self.region = region
        self.pathStyle = pathStyle
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.serverSideEncryption = serverSideEncryption
        self.kmsKeyID = kmsKeyID
        self.prefix = prefix
        self.multipartThreshold = multipartThreshold
        self.partSize = partSize
        self.timeout = timeout
        self.maxObjectBytes = maxObjectBytes
    }

    /// Never the secret or the token.
    public var description: String {
        "S3Settings(endpoint: \(endpoint), bucket: \(bucket), region: \(region), pathStyle: \(pathStyle), accessKeyID: \(accessKeyID), prefix: \(prefix))"
    }

    /// What is wrong with these settings, empty when usable.
    public var problems: [String] {
        var problems: [String] = []
        guard let url = URL(string: endpoint), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme), url.host != nil,
            url.path.isEmpty || url.path == "/", url.query == nil, url.user == nil, url.password == nil
        else { return ["WALKAROUND_S3_ENDPOINT is not http(s)://host[:port] (credentials go in their own settings)"] }
        // Bucket names: 3–63 characters, lower-case letters, digits, dots and hyphens (S3's rule).
        if !(3...63).contains(bucket.count) || !bucket.utf8.allSatisfy({ (97...122).contains($0) || (48...57).contains($0) || $0 == 46 || $0 == 45 }) {
            problems.append("WALKAROUND_S3_BUCKET \"\(bucket)\" is not a valid bucket name (3-63 of a-z, 0-9, '.', '-')")
        }
        if region.isEmpty || !region.utf8.allSatisfy({ (97...122).contains($0) || (48...57).contains($0) || $0 == 45 }) {
            problems.append("WALKAROUND_S3_REGION \"\(region)\" is not a region name like eu-central-1")
        }
        if accessKeyID.isEmpty || secretAccessKey.isEmpty { problems.append("S3 credentials are missing (WALKAROUND_S3_ACCESS_KEY_ID and WALKAROUND_S3_SECRET_ACCESS_KEY or their _FILE)") }
        if let sse = serverSideEncryption, !["AES256", "aws:kms", "aws:kms:dsse"].contains(sse) {
            problems.append("WALKAROUND_S3_SSE \"\(sse)\" is not AES256, aws:kms or aws:kms:dsse")
        }
        if !(5 << 20...5 << 30).contains(partSize) { problems.append("WALKAROUND_S3_PART_BYTES must be from 5 MiB to 5 GiB") }
        if multipartThreshold < partSize { problems.append("WALKAROUND_S3_MULTIPART_THRESHOLD_BYTES must be at least the part size") }
        if !(Duration.milliseconds(100)...Duration.seconds(600)).contains(timeout) { problems.append("WALKAROUND_S3_TIMEOUT_MS must be from 100 to 600000") }
        // The janitor sweeps everything under the prefix: never the whole bucket.
        if prefix.isEmpty || !prefix.hasSuffix("/") || prefix.hasPrefix("/") || prefix.count > 200 {
            problems.append("WALKAROUND_S3_PREFIX must be a folder like photos/ (not empty, ending in /)")
        }
        if !(1...Int(Int32.max)).contains(maxObjectBytes) { problems.append("the largest photo must be from 1 byte to 2 GiB") }
        return problems
    }
}

/// Photos in an S3-compatible bucket, over AsyncHTTPClient with requests signed by `S3Signer`.
///
/// Every PUT carries `Content-MD5` and `x-amz-checksum-sha256`, so a body changed on the way is
/// refused by the store (`400 BadDigest`) instead of stored: some stores do not check the signed
/// payload hash. Photos over `multipartThreshold` go up in parts (each with its own checksums),
/// and an unfinished multipart upload is aborted, or removed later by the janitor. A store that
/// does not answer, answers 5xx, or refuses the credentials throws `StorageError.unavailable`
/// with what it said: the upload is refused with 503 and nothing is recorded, a worker retries.
public struct S3PhotoStore: PhotoStore, CustomStringConvertible {
    public let settings: S3Settings
    private let signer: S3Signer
    private let client: HTTPClient
    private let metrics: any MetricsFactory
    private let scheme: String
    private let host: String
    private let port: Int?

    /// The process's client for object stores: connect within 5 s, no redirects (a signed
    /// request is never sent elsewhere), up to 64 connections per host; each exchange, body
    /// included, has the settings' timeout as its deadline.
    public static let sharedClient: HTTPClient = {
        var configuration = HTTPClient.Configuration(timeout: .init(connect: .seconds(5), read: .seconds(60)))
        configuration.redirectConfiguration = .disallow
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 64)
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    public init(settings: S3Settings, client: HTTPClient = Self.sharedClient, metrics: any MetricsFactory = MetricsSystem.factory) throws {
        self.metrics = metrics
        let problems = settings.problems
        guard problems.isEmpty, let url = URL(string: settings.endpoint), let scheme = url.scheme?.lowercased(), let host = url.host else {
            throw StorageError.configuration(problems.joined(separator: "; "))
        }
        self.settings = settings
        self.client = client
        self.scheme = scheme
        self.host = settings.pathStyle ? host : "\(settings.bucket).\(host)"
        self.port = url.port
        self.signer = S3Signer(
            accessKeyID: settings.accessKeyID, secretAccessKey: settings.secretAccessKey, sessionToken: settings.sessionToken, region: settings.region
        )
    }

    public var location: String {
        "s3 bucket \(settings.bucket) in \(settings.region) at \(settings.endpoint)"
    }

    public var description: String { "S3PhotoStore(\(location))" }

    /// The object key of an address; addresses are 64 hex digits, anything else is refused.
    func key(_ sha256: String) throws -> String {
        guard sha256.utf8.count == 64, sha256.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else {
            throw StorageError.configuration("\"\(sha256.prefix(80))\" is not a photo address")
        }
        return settings.prefix + sha256
    }

    // MARK: The store's operations

    public func store(_ bytes: [UInt8], sha256: String) async throws {
        let key = try key(sha256)
        if bytes.count > settings.multipartThreshold {
            try await storeInParts(bytes, key: key)
            return
        }
        var headers = encryptionHeaders
        headers.append(("content-type", "application/octet-stream"))
        _ = try await send("PUT", key: key, body: bytes, headers: headers, sha256Checksum: true, expect: [200])
    }

    /// The object's bytes, checked against their address: a changed object is an error, never a photo.
    public func read(sha256: String) async throws -> [UInt8]? {
        let response = try await send("GET", key: try key(sha256), expect: [200, 404])
        guard response.status == 200 else { return nil }
        guard PhotoBlobStore.address(of: response.body) == sha256 else {
            throw StorageError.corrupt("the S3 object for \(sha256) does not hold those bytes (changed or truncated in the store)")
        }
        return response.body
    }

    public func remove(sha256: String) async throws {
        _ = try await send("DELETE", key: try key(sha256), expect: [200, 204, 404])
    }

    public func exists(sha256: String) async throws -> Bool {
        try await send("HEAD", key: try key(sha256), expect: [200, 404]).status == 200
    }

    public func addresses(modifiedBefore date: Date) async throws -> [String] {
        var found: [String] = []
        var token: String?
        var seen: Set<String> = []
        repeat {
            // A store that repeats its token or never ends its listing is not followed for ever.
            if let token { guard seen.insert(token).inserted, seen.count <= 10_000 else { break } }
            var query = [("list-type", "2"), ("prefix", settings.prefix), ("max-keys", "1000")]
            if let token { query.append(("continuation-token", token)) }
            let xml = String(decoding: try await send("GET", key: "", query: query, expect: [200]).body, as: UTF8.self)
            for object in S3XML.elements("Contents", in: xml) {
                guard let key = S3XML.elements("Key", in: object).first, key.hasPrefix(settings.prefix),
                    let modified = S3XML.elements("LastModified", in: object).first.flatMap(S3XML.date), modified < date
                else { continue }
                let address = String(key.dropFirst(settings.prefix.count))
                if (try? self.key(address)) != nil { found.append(address) }
            }
            token = S3XML.elements("IsTruncated", in: xml).first == "true" ? S3XML.elements("NextContinuationToken", in: xml).first : nil
        } while token != nil
        return found
    }

    public func removeTemporaries(modifiedBefore date: Date) async throws -> Int {
        let xml = String(decoding: try await send("GET", key: "", query: [("uploads", ""), ("prefix", settings.prefix)], expect: [200]).body, as: UTF8.self)
        var removed = 0
        for upload in S3XML.elements("Upload", in: xml) {
            guard let key = S3XML.elements("Key", in: upload).first, key.hasPrefix(settings.prefix),
                (try? self.key(String(key.dropFirst(settings.prefix.count)))) == key,
                let id = S3XML.elements("UploadId", in: upload).first, !id.isEmpty,
                let started = S3XML.elements("Initiated", in: upload).first.flatMap(S3XML.date), started < date
            else { continue }
            _ = try await send("DELETE", key: key, query: [("uploadId", id)], expect: [200, 204, 404])
            removed += 1
        }
        return removed
    }

    /// The bucket answers with these credentials (`/ready`): throws what it said otherwise (a
    /// listing of one key, whose error has a body to quote, where a HEAD's has none).
    public func check() async throws {
        _ = try await send("GET", key: "", query: [("list-type", "2"), ("max-keys", "1"), ("prefix", settings.prefix)], expect: [200])
    }

    // MARK: Multipart uploads

    private func storeInParts(_ bytes: [UInt8], key: String) async throws {
        let created = try await send("POST", key: key, query: [("uploads", "")], headers: encryptionHeaders, expect: [200])
        guard let uploadID = S3XML.elements("UploadId", in: String(decoding: created.body, as: UTF8.self)).first, !uploadID.isEmpty else {
            throw StorageError.unavailable("the S3 store started a multipart upload of \(key) without an upload id")
        }
        do {
            var parts: [(Int, String)] = []
            var offset = 0
            while offset < bytes.count {
                let end = min(bytes.count, offset + settings.partSize)
                let number = parts.count + 1
                let response = try await send(
                    "PUT", key: key, query: [("partNumber", "\(number)"), ("uploadId", uploadID)], body: Array(bytes[offset..<end]), expect: [200]
                )
                guard let etag = response.headers.first(name: "etag") else {
                    throw StorageError.unavailable("the S3 store returned no ETag for part \(number) of \(key)")
                }
                parts.append((number, etag))
                offset = end
            }
            let body = "<CompleteMultipartUpload>"
                + parts.map { "<Part><PartNumber>\($0.0)</PartNumber><ETag>\(HTML.escape($0.1))</ETag></Part>" }.joined()
                + "</CompleteMultipartUpload>"
            let completed = try await send("POST", key: key, query: [("uploadId", uploadID)], body: Array(body.utf8), expect: [200])
            // S3 may answer 200 and put the failure in the body.
            let answer = String(decoding: completed.body, as: UTF8.self)
            if let code = S3XML.elements("Code", in: answer).first, S3XML.elements("CompleteMultipartUploadResult", in: answer).isEmpty {
                throw StorageError.unavailable("the S3 store did not complete the multipart upload of \(key): \(code)")
            }
        } catch {
            // Best effort; what stays is aborted by the janitor (`removeTemporaries`).
            _ = try? await send("DELETE", key: key, query: [("uploadId", uploadID)], expect: [200, 204, 404])
            throw error
        }
    }

    private var encryptionHeaders: [(String, String)] {
        var headers: [(String, String)] = []
        if let sse = settings.serverSideEncryption {
            headers.append(("x-amz-server-side-encryption", sse))
            if let kms = settings.kmsKeyID, sse.hasPrefix("aws:kms") { headers.append(("x-amz-server-side-encryption-aws-kms-key-id", kms)) }
        }
        return headers
    }

    // MARK: Requests

    struct Response {
        var status: Int
        var headers: HTTPHeaders
        var body: [UInt8]
    }

    /// One signed request; `key` empty addresses the bucket. A body goes with `Content-MD5` (every
    /// S3 store checks it), and with `x-amz-checksum-sha256` when `sha256Checksum` (single PUTs:
    /// AWS refuses a part's checksum the upload did not announce). A status outside `expect`
    /// throws `StorageError.unavailable` with the store's error code and message. The whole
    /// exchange, body included, has the settings' timeout.
    ///
    /// Observed: a client span, `walkaround_photo_store_request_seconds{store,operation}` and
    /// `walkaround_photo_store_requests_total{store,operation,outcome}` (`ok`, `error`).
    private func send(
        _ method: String, key: String, query: [(String, String)] = [], body: [UInt8]? = nil, headers extra: [(String, String)] = [],
        sha256Checksum: Bool = false, expect: Set<Int>
    ) async throws -> Response {
        let start = ContinuousClock.now
        let dimensions = [("store", "s3"), ("operation", method.lowercased())]
        do {
            let response = try await withSpan("S3 \(method)", ofKind: .client) { span in
                span.attributes["rpc.system"] = "aws-api"
                span.attributes["aws.s3.bucket"] = settings.bucket
                return try await exchange(method, key: key, query: query, body: body, headers: extra, sha256Checksum: sha256Checksum, expect: expect)
            }
            Counter(label: "walkaround_photo_store_requests_total", dimensions: dimensions + [("outcome", "ok")], factory: metrics).increment()
            Metrics.Timer(label: "walkaround_photo_store_request_seconds", dimensions: dimensions, factory: metrics).record(duration: ContinuousClock.now - start)
            return response
        } catch {
            Counter(label: "walkaround_photo_store_requests_total", dimensions: dimensions + [("outcome", "error")], factory: metrics).increment()
            throw error
        }
    }

    private func exchange(
        _ method: String, key: String, query: [(String, String)], body: [UInt8]?, headers extra: [(String, String)],
        sha256Checksum: Bool, expect: Set<Int>
    ) async throws -> Response {
        let path = (settings.pathStyle ? "/\(settings.bucket)/" : "/") + key
        let hostHeader = port.map { "\(host):\($0)" } ?? host
        var headers = extra
        headers.append(("host", hostHeader))
        let payloadHash: String
        if let body {
            let digest = SHA256.hash(data: body)
            payloadHash = S3Signer.hex(digest)
            headers.append(("content-md5", Data(Insecure.MD5.hash(data: body)).base64EncodedString()))
            if sha256Checksum { headers.append(("x-amz-checksum-sha256", Data(digest).base64EncodedString())) }
            headers.append(("content-length", "\(body.count)"))
        } else {
            payloadHash = S3Signer.emptyPayloadHash
        }
        let signed = signer.sign(method: method, path: path, query: query, headers: headers, payloadHash: payloadHash, at: Date())
        let queryString = S3Signer.canonicalQuery(query)
        var request = HTTPClientRequest(
            url: "\(scheme)://\(hostHeader)\(S3Signer.encode(path, keepSlash: true))" + (queryString.isEmpty ? "" : "?" + queryString)
        )
        request.method = HTTPMethod(rawValue: method)
        for (name, value) in headers + signed where name != "content-length" { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let (status, responseHeaders, collected): (Int, HTTPHeaders, [UInt8])
        do {
            (status, responseHeaders, collected) = try await withDeadline(
                settings.timeout, orThrow: StorageError.unavailable("the S3 store did not answer \(method) \(key.isEmpty ? "on the bucket" : key) within \(settings.timeout)")
            ) { [client, settings, request] in
                let response = try await client.execute(request, timeout: TimeAmount(settings.timeout))
                let status = Int(response.status.code)
                // An object within the size limit; an error answer within 64 KiB (only its code is read).
                let limit = expect.contains(status) ? settings.maxObjectBytes : 64 << 10
                if let declared = response.headers.first(name: "content-length").flatMap(Int.init), declared > limit, method != "HEAD" {
                    throw StorageError.corrupt("the S3 store announced \(declared) bytes for \(key), more than \(limit)")
                }
                var collected: [UInt8] = []
                if method != "HEAD" {
                    for try await chunk in response.body {
                        guard collected.count + chunk.readableBytes <= limit else {
                            throw StorageError.corrupt("the S3 store sent more than \(limit) bytes for \(key)")
                        }
                        collected.append(contentsOf: chunk.readableBytesView)
                    }
                }
                return (status, response.headers, collected)
            }
        } catch let error as StorageError {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw StorageError.unavailable("the S3 store at \(settings.endpoint) did not answer \(method) \(key.isEmpty ? "on the bucket" : key): \(error)")
        }
        guard expect.contains(status) else {
            let text = String(decoding: collected.prefix(4096), as: UTF8.self)
            let code = S3XML.elements("Code", in: text).first ?? "HTTP \(status)"
            let message = S3XML.elements("Message", in: text).first.map { ": \($0)" } ?? ""
            let hint = status == 403 ? " (are WALKAROUND_S3_ACCESS_KEY_ID, the secret and WALKAROUND_S3_REGION right?)" : ""
            throw StorageError.unavailable("the S3 store refused \(method) \(key.isEmpty ? "on the bucket" : key) with \(status) \(code)\(message)\(hint)")
        }
        return Response(status: status, headers: responseHeaders, body: collected)
    }
}

/// Just enough XML for S3's answers: the text of elements by name, entities decoded.
enum S3XML {
    /// The inner text of every `<name>…</name>` (not nested in itself), in order.
    static func elements(_ name: String, in xml: String) -> [String] {
        var found: [String] = []
        var rest = xml[...]
        let open = "<\(name)>", close = "</\(name)>"
        while let start = rest.range(of: open), let end = rest.range(of: close, range: start.upperBound..<rest.endIndex) {
            found.append(decode(String(rest[start.upperBound..<end.lowerBound])))
            rest = rest[end.upperBound...]
        }
        return found
    }

    static func decode(_ text: String) -> String {
        guard text.contains("&") else { return text }
        var out = ""
        var rest = text[...]
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            guard let semi = rest[amp...].prefix(12).firstIndex(of: ";") else {
                out += rest[amp...]
                return out
            }
            let entity = rest[rest.index(after: amp)..<semi]
            switch entity {
            case "amp": out += "&"
            case "lt": out += "<"
            case "gt": out += ">"
            case "quot": out += "\""
            case "apos": out += "'"
            default:
                let number = entity.hasPrefix("#x") ? UInt32(entity.dropFirst(2), radix: 16) : entity.hasPrefix("#") ? UInt32(entity.dropFirst()) : nil
                if let number, let scalar = Unicode.Scalar(number) { out.unicodeScalars.append(scalar) } else { out += "&\(entity);" }
            }
            rest = rest[rest.index(after: semi)...]
        }
        return out + rest
    }

    /// `2026-12-04T14:00:00.000Z` (with or without fractions).
    static func date(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }
}
