import Configuration
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Imaging
import Logging
import NIOCore
import Storage
import TestFixtures
import Testing
import WalkaroundCore

@testable import WalkaroundServer

/// The databases every storage-touching test runs against.
enum Backend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite
    case postgres

    var testDescription: String { rawValue }

    /// SQLite always; PostgreSQL when `make test` started a server (and then CI insists on it).
    static var available: [Backend] {
        let env = ProcessInfo.processInfo.environment
        if env["WALKAROUND_TEST_POSTGRES_URL"] != nil || env["WALKAROUND_TEST_REQUIRE_POSTGRES"] == "1" {
            return [.sqlite, .postgres]
        }
        return [.sqlite]
    }
}

/// A fresh data folder and, for PostgreSQL, a fresh database on the test server.
struct TestEnvironment: Sendable {
    let backend: Backend
    let dataDir: String
    let databaseURL: String?

    static let logger: Logger = {
        var logger = Logger(label: "walkaround-test")
        logger.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .critical
        return logger
    }()

    /// `postgresURL`: the server to make the database on (default: the one `make test` started).
    static func make(_ backend: Backend, postgresURL: String? = nil) async throws -> TestEnvironment {
        let dataDir = NSTemporaryDirectory() + "walkaround-test-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
        switch backend {
        case .sqlite:
            return TestEnvironment(backend: backend, dataDir: dataDir, databaseURL: nil)
        case .postgres:
            let adminURL = try #require(
                postgresURL ?? ProcessInfo.processInfo.environment["WALKAROUND_TEST_POSTGRES_URL"],
                "PostgreSQL tests need WALKAROUND_TEST_POSTGRES_URL: run them with `make test`"
            )
            let name = "walkaround_\(UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: ""))"
            let admin = try PostgresDatabase(url: adminURL, maxConnections: 1, logger: logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await admin.run() }
                try await admin.execute(SQLStatement(stringLiteral: "CREATE DATABASE \(name)"))
                group.cancelAll()
            }
            let url = adminURL.replacingOccurrences(of: "/postgres?", with: "/\(name)?")
            return TestEnvironment(backend: backend, dataDir: dataDir, databaseURL: url)
        }
    }

    /// Settings as the service would read them, with `overrides` (configuration keys) on top.
    func settings(_ overrides: [AbsoluteConfigKey: ConfigValue] = [:]) -> WalkaroundSettings {
        var values = overrides
        values["walkaround.dataDir"] = ConfigValue(.string(dataDir), isSecret: false)
        if let databaseURL { values["database.url"] = ConfigValue(.string(databaseURL), isSecret: false) }
        // Tests run side by side: each metrics server takes a free port.
        if values["walkaround.metrics.port"] == nil { values["walkaround.metrics.port"] = ConfigValue(.int(0), isSecret: false) }
        if values["walkaround.worker.pollMs"] == nil { values["walkaround.worker.pollMs"] = ConfigValue(.int(20), isSecret: false) }
        // No rate limits unless a test asks for them (RateLimitTests): the suite sends hundreds a minute per key.
        for key: AbsoluteConfigKey in ["walkaround.rateLimit.keyPerMinute", "walkaround.rateLimit.stationPerMinute"] where values[key] == nil {
            values[key] = ConfigValue(.int(0), isSecret: false)
        }
        // No detection model unless a test asks for one (`TestModels.demoOverrides`).
        if values["walkaround.model.path"] == nil { values["walkaround.model.path"] = ConfigValue(.string(""), isSecret: false) }
        return WalkaroundSettings(reader: ConfigReader(provider: InMemoryProvider(values: values)))
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: dataDir)
    }
}

/// Keys of each role, made in the test's database.
struct Keys: Sendable {
    /// A `station` key for MUC-01.
    let station: String
    /// A `station` key for BER-02.
    let otherStation: String
    let reviewer: String
    let admin: String

    static func make(_ database: any SQLDatabase) async throws -> Keys {
        let repository = APIKeyRepository(database: database)
        return Keys(
            station: try await repository.create(role: .station, station: "MUC-01", name: "muc").secret,
            otherStation: try await repository.create(role: .station, station: "BER-02", name: "ber").secret,
            reviewer: try await repository.create(role: .reviewer, station: nil, name: "reviewer").secret,
            admin: try await repository.create(role: .admin, station: nil, name: "admin").secret
        )
    }
}

/// The built `walkaround` executable, for tests that run it as a process.
var walkaroundExecutable: String {
    let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("walkaround").path
    if FileManager.default.isExecutableFile(atPath: beside) { return beside }
    return #filePath.components(separatedBy: "/Tests/")[0] + "/.build/debug/walkaround"
}

/// A running application (router test mode: real routes, middleware, services and database, no sockets).
struct TestApp: Sendable {
    /// The photo folder, for tests of the local store (fails the test under another store).
    var folder: PhotoBlobStore {
        get throws { try #require(components.blobs as? PhotoBlobStore, "this test needs the local photo folder") }
    }

    let client: any TestClientProtocol
    /// The metrics port's routes (`/metrics`, the detailed `/ready`).
    let operationsClient: any TestClientProtocol
    let components: WalkaroundComponents
    let keys: Keys

    var database: any SQLDatabase { components.database }

    static func run(
        _ backend: Backend,
        _ overrides: [AbsoluteConfigKey: ConfigValue] = [:],
        postgresURL: String? = nil,
        _ test: @Sendable (TestApp) async throws -> Void
    ) async throws {
        let environment = try await TestEnvironment.make(backend, postgresURL: postgresURL)
        defer { environment.remove() }
        let components = try await WalkaroundComponents.open(
            settings: environment.settings(overrides), metrics: WalkaroundMetrics(), logger: TestEnvironment.logger
        )
        let app = buildApplication(components: components, logger: TestEnvironment.logger)
        let operations = Application(router: buildOperationsRouter(components: components), logger: TestEnvironment.logger)
        do {
            try await operations.test(.router) { operationsClient in
                try await app.test(.router) { client in
                    let keys = try await Keys.make(components.database)
                    try await test(TestApp(client: client, operationsClient: operationsClient, components: components, keys: keys))
                }
            }
        } catch {
            // A failed #require must fail the test, not crash the run on an unclosed SQLite connection.
            await components.database.close()
            throw error
        }
        await components.database.close()
    }

    /// Sends a request; `key` becomes the bearer token.
    @discardableResult
    func request(
        _ method: HTTPRequest.Method,
        _ uri: String,
        key: String?,
        headers: HTTPFields = [:],
        body: [UInt8]? = nil
    ) async throws -> TestResponse {
        var headers = headers
        if let key { headers[.authorization] = "Bearer \(key)" }
        return try await client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(bytes: $0) })
    }

    /// A GET on the metrics port.
    func operations(_ uri: String) async throws -> TestResponse {
        try await operationsClient.execute(uri: uri, method: .get, headers: [:], body: nil)
    }

    func json(
        _ method: HTTPRequest.Method,
        _ uri: String,
        key: String?,
        _ object: [String: Any]
    ) async throws -> TestResponse {
        let body = try JSONSerialization.data(withJSONObject: object)
        return try await request(method, uri, key: key, headers: [.contentType: "application/json"], body: Array(body))
    }

    /// Creates an inspection and returns its id.
    func createInspection(key: String? = nil, station: String = "MUC-01", kind: String = "checkout", plate: String = "M-AB 1234") async throws -> String {
        let response = try await json(.post, "/v1/inspections", key: key ?? keys.station, [
            "kind": kind, "station": station, "vehicle": ["plate": plate],
        ])
        #expect(response.status == .created)
        return try #require(response.object["id"] as? String)
    }

    /// Uploads raw bytes as the photo of `view`.
    @discardableResult
    func upload(
        _ bytes: [UInt8],
        to inspection: String,
        view: String? = "front",
        key: String? = nil,
        contentType: String = "image/jpeg",
        headers: HTTPFields = [:]
    ) async throws -> TestResponse {
        var headers = headers
        headers[.contentType] = contentType
        let query = view.map { "?view=\($0)" } ?? ""
        return try await request(.post, "/v1/inspections/\(inspection)/photos\(query)", key: key ?? keys.station, headers: headers, body: bytes)
    }

    /// The inspection as the API shows it.
    func inspection(_ id: String, key: String? = nil) async throws -> [String: Any] {
        let response = try await request(.get, "/v1/inspections/\(id)", key: key ?? keys.reviewer)
        #expect(response.status == .ok)
        return response.object
    }

    /// Polls until every photo of the inspection has left queued/processing, or fails after `timeout`
    /// (generous: the whole suite runs in parallel on two cores).
    func waitUntilSettled(_ id: String, timeout: Duration = .seconds(180)) async throws -> [[String: Any]] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let photos = try await inspection(id)["photos"] as? [[String: Any]] ?? []
            if photos.allSatisfy({ ["processed", "rejected", "failed"].contains($0["status"] as? String) }) { return photos }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("photos of \(id) did not settle within \(timeout)")
        return []
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }

    var object: [String: Any] {
        guard let value = try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any] else { return [:] }
        return value
    }

    /// The `error.code` of an error response.
    var errorCode: String? { (object["error"] as? [String: Any])?["code"] as? String }
}

/// Images made by the tests. `jpeg`/`png` are real photos the quality gate accepts (distinct scenes
/// per seed, so they are not near-duplicates of each other); `fakeJPEG` is a header with filler,
/// enough for the upload checks that never decode.
enum TestImages {
    static func jpeg(width: Int = 1024, height: Int = 768, seed: UInt8 = 0, orientation: Orientation? = nil) -> [UInt8] {
        SyntheticPhoto.acceptableJPEG(width: width, height: height, seed: UInt64(seed), orientation: orientation)
    }

    static func png(width: Int = 768, height: Int = 1024, seed: UInt8 = 100) -> [UInt8] {
        PNGWriter.png(SyntheticPhoto.scene(width: width, height: height, seed: UInt64(seed)))
    }

    /// A baseline JPEG header (SOI, APP0, SOF0 declaring the size) followed by `padding` bytes and EOI.
    static func fakeJPEG(width: Int = 640, height: Int = 480, padding: Int = 64, seed: UInt8 = 0) -> [UInt8] {
        var bytes: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10]
        bytes += Array("JFIF".utf8) + [0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00]
        bytes += [0xFF, 0xC0, 0x00, 0x11, 0x08, UInt8(height >> 8), UInt8(height & 0xFF), UInt8(width >> 8), UInt8(width & 0xFF), 0x03]
        bytes += [0x01, 0x11, 0x00, 0x02, 0x11, 0x00, 0x03, 0x11, 0x00]
        bytes += [0xFF, 0xFE, UInt8((padding + 2) >> 8), UInt8((padding + 2) & 0xFF)]  // a comment segment
        bytes += (0..<padding).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed)) }
        bytes += [0xFF, 0xD9]
        return bytes
    }

    /// Starts like a JPEG but has no frame header: accepted at upload, refused by processing.
    static let corruptJPEG: [UInt8] = [0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02] + Array(repeating: 0x42, count: 100)
}

/// A `multipart/form-data` body with the given parts.
func multipartBody(boundary: String, parts: [(name: String, filename: String?, contentType: String?, body: [UInt8])]) -> [UInt8] {
    var body: [UInt8] = []
    for part in parts {
        var head = "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(part.name)\""
        if let filename = part.filename { head += "; filename=\"\(filename)\"" }
        head += "\r\n"
        if let contentType = part.contentType { head += "Content-Type: \(contentType)\r\n" }
        head += "\r\n"
        body += Array(head.utf8) + part.body + Array("\r\n".utf8)
    }
    body += Array("--\(boundary)--\r\n".utf8)
    return body
}

/// Polls `condition` until it holds or `timeout` passes. Generous: a worker process starting
/// while every other suite runs took more than 20 s in CI.
func eventually(_ timeout: Duration = .seconds(60), _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(25))
    }
    return false
}
