import AsyncHTTPClient
import Foundation
import Imaging
import Logging
import NIOCore
import Storage
import WalkaroundCore

/// What a station agent needs to know.
public struct AgentSettings: Sendable {
    /// The folder the cameras write to: one subfolder per vehicle pass (`pass.json` with `kind`,
    /// `plate`, optional `vin`; photos named by view, `front.jpg`, `rear_left.jpg`, … or mapped by
    /// `mapping`; an empty file `complete` once the pass is over).
    public var watch: String
    /// The agent's own folder: its queue (`agent.sqlite`).
    public var state: String
    public var server: String
    public var key: String
    public var station: String
    /// Camera file names to views (`{"cam1.jpg": "front"}`), for rigs that cannot name files by view.
    public var mapping: [String: Photo.View]
    public var pollInterval: Duration
    /// Upload bandwidth cap in bytes per second (nil: none).
    public var maxBytesPerSecond: Int?
    /// Disk the watched folder may use; uploaded photos are evicted, oldest first, above it
    /// (never one that is not uploaded).
    public var maxDiskBytes: Int?
    public var thresholds: QualityThresholds
    public var timeout: Duration

    public init(
        watch: String, state: String, server: String, key: String, station: String, mapping: [String: Photo.View] = [:],
        pollInterval: Duration = .milliseconds(500), maxBytesPerSecond: Int? = nil, maxDiskBytes: Int? = nil,
        thresholds: QualityThresholds = QualityThresholds(), timeout: Duration = .seconds(60)
    ) {
        self.watch = watch
        self.state = state
        self.server = server.hasSuffix("/") ? String(server.dropLast()) : server
        self.key = key
        self.station = station
        self.mapping = mapping
        self.pollInterval = pollInterval
        self.maxBytesPerSecond = maxBytesPerSecond.flatMap { $0 > 0 ? $0 : nil }
        self.maxDiskBytes = maxDiskBytes.flatMap { $0 > 0 ? $0 : nil }
        self.thresholds = thresholds
        self.timeout = timeout
    }
}

/// The queue's counts and what needs a person (`walkaround station-agent status`).
public struct AgentStatus: Sendable, Codable {
    public var passes: Int
    public var passesCompleted: Int
    public var photos: [String: Int]
    /// Shots the quality gate refused here, with its advice: retake them.
    public var rejected: [String]
    /// Photos the server refused for good, with its answer.
    public var failed: [String]
    public var evicted: Int
}

/// Store-and-forward uploads from a camera rig: every photo is checked here with the server's
/// quality gate (a bad shot is reported at once, before any upload), queued durably in SQLite,
/// and uploaded exactly once (each with an `Idempotency-Key` made from the pass, view and bytes,
/// so a retry after a crash or a lost answer is answered, not stored twice), with exponential
/// back-off, a bandwidth cap and bounded disk. A restart resumes where it stopped.
public actor StationAgent {
    public let settings: AgentSettings
    private let database: SQLiteDatabase
    private let logger: Logger
    private let analyzer: PhotoAnalyzer
    private let client: HTTPClient

    public init(settings: AgentSettings, logger: Logger) async throws {
        self.settings = settings
        self.logger = logger
        self.analyzer = PhotoAnalyzer(thresholds: settings.thresholds)
        try FileManager.default.createDirectory(atPath: settings.state, withIntermediateDirectories: true)
        database = try await SQLiteDatabase.open(path: settings.state + "/agent.sqlite", logger: logger)
        for statement: SQLStatement in [
            """
            CREATE TABLE IF NOT EXISTS passes (name TEXT PRIMARY KEY, kind TEXT NOT NULL, plate TEXT NOT NULL, vin TEXT,
            inspection_id TEXT, complete INTEGER NOT NULL DEFAULT 0, completed_remote INTEGER NOT NULL DEFAULT 0, created_at REAL NOT NULL)
            """,
            """
            CREATE TABLE IF NOT EXISTS photos (pass TEXT NOT NULL, view TEXT NOT NULL, sha256 TEXT NOT NULL, path TEXT NOT NULL,
            bytes INTEGER NOT NULL, status TEXT NOT NULL, issues TEXT, attempts INTEGER NOT NULL DEFAULT 0, next_at REAL NOT NULL DEFAULT 0,
            last_error TEXT, seen_at REAL NOT NULL, uploaded_at REAL, evicted INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (pass, view, sha256))
            """,
            "CREATE INDEX IF NOT EXISTS photos_due ON photos (status, next_at)",
        ] { _ = try await database.execute(statement) }
        var configuration = HTTPClient.Configuration(timeout: .init(connect: .seconds(5), read: .seconds(Int64(settings.timeout.components.seconds))))
        configuration.redirectConfiguration = .disallow
        client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    /// Until the task is cancelled: scan, check, upload, evict, wait.
    public func run() async {
        while !Task.isCancelled {
            await round()
            try? await Task.sleep(for: settings.pollInterval)
        }
        try? await client.shutdown()
        await database.close()
    }

    /// One pass over the folder and the queue.
    public func round() async {
        do { try await scan() } catch { logger.warning("scanning the camera folder failed", metadata: ["error": "\(error)"]) }
        do { try await upload() } catch { logger.warning("uploading failed", metadata: ["error": "\(error)"]) }
        do { try await evict() } catch { logger.warning("evicting uploaded photos failed", metadata: ["error": "\(error)"]) }
    }

    // MARK: Scanning and the local quality gate

    struct PassFile: Decodable {
        var kind: String
        var plate: String
        var vin: String?
    }

    func scan() async throws {
        let files = FileManager.default
        for name in (try? files.contentsOfDirectory(atPath: settings.watch))?.sorted() ?? [] {
            let folder = settings.watch + "/" + name
            guard let data = files.contents(atPath: folder + "/pass.json") else { continue }
            let known = try await database.first("SELECT name FROM passes WHERE name = \(name)")
            if known == nil {
                guard let pass = try? JSONDecoder().decode(PassFile.self, from: data), ["checkout", "return"].contains(pass.kind),
                    (1...32).contains(pass.plate.count)
                else {
                    logger.error("pass.json is not {kind: checkout|return, plate, vin?}", metadata: ["pass": "\(name)"])
                    continue
                }
                _ = try await database.execute(
                    "INSERT INTO passes (name, kind, plate, vin, created_at) VALUES (\(name), \(pass.kind), \(pass.plate), \(pass.vin), \(Date().timeIntervalSince1970))"
                )
            }
            if files.fileExists(atPath: folder + "/complete") {
                _ = try await database.execute("UPDATE passes SET complete = 1 WHERE name = \(name)")
            }
            for file in (try? files.contentsOfDirectory(atPath: folder))?.sorted() ?? [] {
                guard let view = view(of: file) else { continue }
                let path = folder + "/" + file
                guard let bytes = files.contents(atPath: path).map([UInt8].init), !bytes.isEmpty, bytes.count <= 25 << 20 else { continue }
                let sha = PhotoBlobStore.address(of: bytes)
                if try await database.first("SELECT sha256 FROM photos WHERE pass = \(name) AND view = \(view.rawValue) AND sha256 = \(sha)") != nil { continue }
                // A file still being written changes under us: only a file that stayed the same for a round is taken.
                let modified = (try? files.attributesOfItem(atPath: path)[.modificationDate] as? Date) ?? Date()
                guard Date().timeIntervalSince(modified) >= 0.3 else { continue }
                let report = analyzer.analyze(bytes).report
                let status = report.accepted ? "pending" : "rejected"
                let issues = report.issues.map(\.code.rawValue).joined(separator: ",")
                _ = try await database.execute(
                    """
                    INSERT INTO photos (pass, view, sha256, path, bytes, status, issues, seen_at)
                    VALUES (\(name), \(view.rawValue), \(sha), \(path), \(bytes.count), \(status), \(issues), \(Date().timeIntervalSince1970))
                    """
                )
                if !report.accepted {
                    // Reported at the station at once: the shot is retaken, never uploaded.
                    logger.error("photo rejected here: retake it", metadata: ["pass": "\(name)", "view": "\(view.rawValue)", "issues": "\(issues)", "advice": "\(report.advice ?? "")"])
                }
            }
        }
    }

    func view(of file: String) -> Photo.View? {
        if let mapped = settings.mapping[file] { return mapped }
        let lower = file.lowercased()
        guard lower.hasSuffix(".jpg") || lower.hasSuffix(".jpeg") || lower.hasSuffix(".png") else { return nil }
        return Photo.View(rawValue: String(lower.prefix(while: { $0 != "." })))
    }

    // MARK: Uploading

    func upload() async throws {
        let now = Date().timeIntervalSince1970
        for row in try await database.execute("SELECT * FROM passes WHERE completed_remote = 0 ORDER BY created_at") {
            let pass = try row.string("name")
            var inspection = try row.optionalString("inspection_id")
            let due = try await database.execute(
                "SELECT * FROM photos WHERE pass = \(pass) AND status = 'pending' AND next_at <= \(now) ORDER BY seen_at"
            )
            let complete = try row.int("complete") == 1
            if inspection == nil, !due.isEmpty || complete {
                inspection = try await ensureInspection(pass: pass, kind: try row.string("kind"), plate: try row.string("plate"), vin: try row.optionalString("vin"))
                if let inspection { _ = try await database.execute("UPDATE passes SET inspection_id = \(inspection) WHERE name = \(pass)") }
            }
            guard let inspection else { continue }
            for photo in due { try await send(photo, inspection: inspection) }
            let open = try await database.first("SELECT COUNT(*) AS n FROM photos WHERE pass = \(pass) AND status = 'pending'")?.int("n") ?? 0
            if complete, open == 0, try await database.first("SELECT COUNT(*) AS n FROM photos WHERE pass = \(pass) AND status = 'uploaded'")?.int("n") ?? 0 > 0 {
                let (status, body) = try await request("POST", "/v1/inspections/\(inspection)/complete")
                if status == 200 || (status == 409 && body.contains("inspection_completed")) {
                    _ = try await database.execute("UPDATE passes SET completed_remote = 1 WHERE name = \(pass)")
                    logger.info("pass completed", metadata: ["pass": "\(pass)", "inspection_id": "\(inspection)"])
                }
            }
        }
    }

    /// The pass's inspection: found by its reference (a crash after creating it and before
    /// storing the id must not make a second one), else created.
    func ensureInspection(pass: String, kind: String, plate: String, vin: String?) async throws -> String? {
        let reference = "agent:\(pass)"
        let plateQuery = VehicleRef.normalisedPlate(plate).addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        let stationQuery = settings.station.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        let (listed, listBody) = try await request("GET", "/v1/inspections?plate=\(plateQuery)&station=\(stationQuery)&limit=100")
        if listed == 200, let object = try? JSONSerialization.jsonObject(with: Data(listBody.utf8)) as? [String: Any],
            let found = (object["items"] as? [[String: Any]])?.first(where: { $0["reference"] as? String == reference })?["id"] as? String
        {
            return found
        }
        var vehicle: [String: Any] = ["plate": plate]
        if let vin { vehicle["vin"] = vin }
        let body = try JSONSerialization.data(withJSONObject: ["kind": kind, "station": settings.station, "vehicle": vehicle, "reference": reference])
        let (status, answer) = try await request("POST", "/v1/inspections", body: [UInt8](body), contentType: "application/json")
        guard status == 201, let object = try? JSONSerialization.jsonObject(with: Data(answer.utf8)) as? [String: Any], let id = object["id"] as? String else {
            logger.warning("could not open the pass's inspection", metadata: ["pass": "\(pass)", "status": "\(status)", "answer": "\(answer.prefix(300))"])
            return nil
        }
        return id
    }

    func send(_ photo: SQLRow, inspection: String) async throws {
        let (pass, view, sha, path) = (try photo.string("pass"), try photo.string("view"), try photo.string("sha256"), try photo.string("path"))
        let attempts = try photo.int("attempts")
        guard let bytes = FileManager.default.contents(atPath: path).map([UInt8].init), PhotoBlobStore.address(of: bytes) == sha else {
            // The file changed or went before it was sent: that version is gone; a new one is a new row.
            _ = try await database.execute("UPDATE photos SET status = 'failed', last_error = 'the file changed before it was uploaded' WHERE pass = \(pass) AND view = \(view) AND sha256 = \(sha)")
            return
        }
        let contentType = bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) ? "image/png" : "image/jpeg"
        let started = ContinuousClock.now
        let outcome: Exchange
        do {
            outcome = try await exchange(
                "POST", "/v1/inspections/\(inspection)/photos?view=\(view)", body: bytes, contentType: contentType,
                idempotencyKey: "agent-\(sha.prefix(40))-\(view)"
            )
        } catch {
            try await retry(pass: pass, view: view, sha: sha, attempts: attempts, error: "\(error)", answered: false)
            return
        }
        switch outcome.status {
        case 200, 201, 202:
            let now = Date().timeIntervalSince1970
            _ = try await database.execute(
                "UPDATE photos SET status = 'uploaded', uploaded_at = \(now), last_error = NULL WHERE pass = \(pass) AND view = \(view) AND sha256 = \(sha)"
            )
            // The server is reachable again: photos that found it unreachable go now, not after
            // their back-off. Those it answered (busy, failing) keep theirs.
            _ = try await database.execute(
                "UPDATE photos SET next_at = \(now) WHERE status = 'pending' AND next_at > \(now) AND last_error LIKE \(Self.unreachable + "%")"
            )
        case 502, 504:
            // A gateway with no server behind it: the server is away, as when no answer comes.
            try await retry(pass: pass, view: view, sha: sha, attempts: attempts, error: "\(Self.unreachable)HTTP \(outcome.status)", answered: false)
        case 408, 429, 500...599:
            try await retry(
                pass: pass, view: view, sha: sha, attempts: attempts, error: "HTTP \(outcome.status): \(outcome.answer.prefix(200))", answered: true,
                retryAfter: outcome.retryAfter
            )
        default:
            _ = try await database.execute(
                "UPDATE photos SET status = 'failed', last_error = \("HTTP \(outcome.status): \(outcome.answer.prefix(300))") WHERE pass = \(pass) AND view = \(view) AND sha256 = \(sha)"
            )
            logger.error(
                "the server refused a photo for good",
                metadata: ["pass": "\(pass)", "view": "\(view)", "status": "\(outcome.status)", "answer": "\(outcome.answer.prefix(300))"]
            )
        }
        // The bandwidth cap: this upload takes at least its share of a second.
        if let rate = settings.maxBytesPerSecond {
            let share = Duration.milliseconds(Int64(bytes.count) * 1000 / Int64(rate))
            let spent = ContinuousClock.now - started
            if share > spent { try await Task.sleep(for: share - spent) }
        }
    }

    /// Marks a failure where no answer came from the server itself (what a success pulls forward).
    static let unreachable = "unreachable: "

    /// Exponential back-off with jitter (half to all of the delay, so a fleet that lost the
    /// server together does not return in lockstep): up to 5 minutes when the server answered
    /// (it is overloaded or failing: do not add to it; its `Retry-After` is a floor), up to 15 s
    /// when no answer came (the network or the server is away; a refused connection costs the
    /// server nothing, and the station wants its photos sent soon).
    func retry(pass: String, view: String, sha: String, attempts: Int, error: String, answered: Bool, retryAfter: Double? = nil) async throws {
        let ceiling = min(pow(2, Double(min(attempts, 16))), answered ? 300 : 15)
        let delay = max(Double.random(in: (ceiling / 2)...ceiling), min(max(retryAfter ?? 0, 0), 600))
        let message = answered || error.hasPrefix(Self.unreachable) ? error : Self.unreachable + error
        _ = try await database.execute(
            """
            UPDATE photos SET attempts = attempts + 1, next_at = \(Date().timeIntervalSince1970 + delay), last_error = \(message)
            WHERE pass = \(pass) AND view = \(view) AND sha256 = \(sha)
            """
        )
    }

    struct Exchange {
        var status: Int
        var answer: String
        /// `Retry-After` in seconds, when the answer had one.
        var retryAfter: Double?
    }

    func request(_ method: String, _ path: String, body: [UInt8]? = nil, contentType: String? = nil) async throws -> (Int, String) {
        let answer = try await exchange(method, path, body: body, contentType: contentType)
        return (answer.status, answer.answer)
    }

    func exchange(_ method: String, _ path: String, body: [UInt8]? = nil, contentType: String? = nil, idempotencyKey: String? = nil) async throws -> Exchange {
        var request = HTTPClientRequest(url: settings.server + path)
        request.method = .init(rawValue: method)
        request.headers.add(name: "Authorization", value: "Bearer \(settings.key)")
        if let contentType { request.headers.add(name: "Content-Type", value: contentType) }
        if let idempotencyKey { request.headers.add(name: "Idempotency-Key", value: idempotencyKey) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await client.execute(request, timeout: .seconds(Int64(settings.timeout.components.seconds)))
        let answer = try await response.body.collect(upTo: 1 << 20)
        let retryAfter = response.headers.first(name: "Retry-After").flatMap { Double($0.prefix(10)) }.flatMap { $0.isFinite ? $0 : nil }
        return Exchange(status: Int(response.status.code), answer: String(buffer: answer), retryAfter: retryAfter)
    }

    // MARK: Disk

    /// Deletes uploaded photo files, oldest first, while the watched folder is over its size.
    func evict() async throws {
        guard let limit = settings.maxDiskBytes else { return }
        var used = folderSize(settings.watch)
        guard used > limit else { return }
        for row in try await database.execute("SELECT * FROM photos WHERE status = 'uploaded' AND evicted = 0 ORDER BY uploaded_at") where used > limit {
            let path = try row.string("path")
            // Only the very bytes that were uploaded: a newer shot under the same name stays.
            guard let bytes = FileManager.default.contents(atPath: path).map([UInt8].init), PhotoBlobStore.address(of: bytes) == (try row.string("sha256")) else {
                _ = try await database.execute("UPDATE photos SET evicted = 1 WHERE path = \(path) AND sha256 = \(try row.string("sha256"))")
                continue
            }
            try FileManager.default.removeItem(atPath: path)
            used -= bytes.count
            _ = try await database.execute("UPDATE photos SET evicted = 1 WHERE path = \(path) AND sha256 = \(try row.string("sha256"))")
        }
    }

    private func folderSize(_ path: String) -> Int {
        let files = FileManager.default
        var total = 0
        for item in files.subpaths(atPath: path) ?? [] {
            total += ((try? files.attributesOfItem(atPath: path + "/" + item))?[.size] as? Int) ?? 0
        }
        return total
    }

    // MARK: Status

    public func status() async throws -> AgentStatus {
        var photos: [String: Int] = [:]
        for row in try await database.execute("SELECT status, COUNT(*) AS n FROM photos GROUP BY status") { photos[try row.string("status")] = try row.int("n") }
        let rejected = try await database.execute("SELECT pass, view, issues FROM photos WHERE status = 'rejected' ORDER BY seen_at").map {
            "\(try $0.string("pass"))/\(try $0.string("view")): \(try $0.optionalString("issues") ?? "")"
        }
        let failed = try await database.execute("SELECT pass, view, last_error FROM photos WHERE status = 'failed' ORDER BY seen_at").map {
            "\(try $0.string("pass"))/\(try $0.string("view")): \(try $0.optionalString("last_error") ?? "")"
        }
        return AgentStatus(
            passes: try await database.first("SELECT COUNT(*) AS n FROM passes")?.int("n") ?? 0,
            passesCompleted: try await database.first("SELECT COUNT(*) AS n FROM passes WHERE completed_remote = 1")?.int("n") ?? 0,
            photos: photos, rejected: rejected, failed: failed,
            evicted: try await database.first("SELECT COUNT(*) AS n FROM photos WHERE evicted = 1")?.int("n") ?? 0
        )
    }

    public func close() async {
        try? await client.shutdown()
        await database.close()
    }
}
