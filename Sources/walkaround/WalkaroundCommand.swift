import ArgumentParser
import Configuration
import Foundation
import Logging
import Metrics
import StationAgent
import Storage
import UseCases
import WalkaroundCore
import WalkaroundServer

@main
struct WalkaroundCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "walkaround",
        abstract: "Vehicle inspection service: photo intake, processing, damage reports.",
        subcommands: [Serve.self, Migrate.self, Keys.self, Inspect.self, Dataset.self, Report.self, StationAgentCommand.self],
        defaultSubcommand: Serve.self
    )
}

/// Flags every command shares; each overrides its environment variable.
struct CommonOptions: ParsableArguments {
    @Option(help: "PostgreSQL URL (postgres://user:pass@host:5432/db); default: SQLite in the data folder. Env: DATABASE_URL")
    var databaseURL: String?

    @Option(help: "Folder for the SQLite database and photo files. Env: WALKAROUND_DATA_DIR (default ./data)")
    var dataDir: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical. Env: LOG_LEVEL")
    var logLevel: String?

    /// Flags over environment variables over built-in defaults.
    func reader(extra: [AbsoluteConfigKey: ConfigValue] = [:]) -> ConfigReader {
        var flags = extra
        if let databaseURL { flags["database.url"] = ConfigValue(.string(databaseURL), isSecret: true) }
        if let dataDir { flags["walkaround.dataDir"] = ConfigValue(.string(dataDir), isSecret: false) }
        if let logLevel { flags["log.level"] = ConfigValue(.string(logLevel), isSecret: false) }
        return ConfigReader(providers: [InMemoryProvider(name: "flags", values: flags), EnvironmentVariablesProvider()])
    }

    /// JSON logs: on standard output for the service, on standard error for one-off commands.
    func bootstrap(_ settings: WalkaroundSettings, stream: FileHandle = .standardError) -> Logger {
        LoggingSystem.bootstrap(
            { label, provider in JSONLogHandler(label: label, level: settings.logLevel, stream: stream, metadataProvider: provider) },
            metadataProvider: WalkaroundTracing.metadataProvider
        )
        var logger = Logger(label: "walkaround")
        logger.logLevel = settings.logLevel
        return logger
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the HTTP service and workers; applies migrations on start.")

    @Option(help: "all (API and workers), api, worker, or inference (the models behind the Open Inference Protocol). Env: WALKAROUND_ROLE")
    var role: String?

    @Option(help: "Listen address. Env: HTTP_HOST (default 0.0.0.0)")
    var host: String?

    @Option(help: "Listen port. Env: HTTP_PORT (default 8080)")
    var port: Int?

    @Option(help: "Port of /metrics and the detailed /ready, not to be exposed publicly. Env: WALKAROUND_METRICS_PORT (default 9090)")
    var metricsPort: Int?

    @OptionGroup var common: CommonOptions

    func validate() throws {
        if let role, WalkaroundSettings.Role(rawValue: role) == nil {
            throw ValidationError("--role must be one of \(WalkaroundSettings.Role.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() async throws {
        var flags: [AbsoluteConfigKey: ConfigValue] = [:]
        if let role { flags["walkaround.role"] = ConfigValue(.string(role), isSecret: false) }
        if let host { flags["http.host"] = ConfigValue(.string(host), isSecret: false) }
        if let port { flags["http.port"] = ConfigValue(.int(port), isSecret: false) }
        if let metricsPort { flags["walkaround.metrics.port"] = ConfigValue(.int(metricsPort), isSecret: false) }
        let settings = WalkaroundSettings(reader: common.reader(extra: flags))
        guard settings.problems.isEmpty else { throw ValidationError(settings.problems.joined(separator: "; ")) }
        let logger = common.bootstrap(settings, stream: .standardOutput)
        let metrics = WalkaroundMetrics()
        MetricsSystem.bootstrap(metrics.factory)
        let tracing = try WalkaroundTracing.bootstrap(settings: settings, logger: logger)
        let components = try await WalkaroundComponents.open(settings: settings, metrics: metrics, logger: logger)
        let app = buildApplication(components: components, logger: logger, extraServices: tracing.map { [$0] } ?? [])
        try await app.runService()
        await components.database.close()
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending database migrations and exit.")

    @OptionGroup var common: CommonOptions

    func run() async throws {
        let settings = WalkaroundSettings(reader: common.reader())
        let logger = common.bootstrap(settings)
        let components = try await WalkaroundComponents.open(settings: settings, metrics: WalkaroundMetrics(), logger: logger)
        let applied = try await components.withDatabase { try await Migrations(database: $0).apply() }
        print(applied.isEmpty ? "database is up to date" : "applied migrations \(applied.map(String.init).joined(separator: ", "))")
    }
}

struct Dataset: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Datasets from what people reviewed.", subcommands: [Export.self])

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the reviewed and final reports' photos and corrected boxes as a YOLO dataset (images/, labels/, data.yaml)."
        )

        @Argument(help: "The folder to write (created if missing)")
        var folder: String

        @OptionGroup var common: CommonOptions

        func run() async throws {
            let settings = WalkaroundSettings(reader: common.reader())
            let logger = common.bootstrap(settings)
            let components = try await WalkaroundComponents.open(settings: settings, metrics: WalkaroundMetrics(), logger: logger)
            let folder = URL(fileURLWithPath: folder)
            let blobs = components.blobs
            let summary = try await components.withDatabase { database in
                _ = try await Migrations(database: database).apply()
                return try await DatasetExport(database: database, blobs: blobs).export(to: folder)
            }
            print("\(summary.images) images, \(summary.boxes) boxes from \(summary.reports) reviewed reports\(summary.missing > 0 ? "; \(summary.missing) photos gone" : "") → \(folder.path)")
        }
    }
}

struct Report: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Signed final reports.", subcommands: [Verify.self, PublicKeys.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a downloaded signed report offline: its signature, every value it signed, and optionally the photo files it rests on.",
            discussion: "Exit status 0 when the report is as signed, 1 (naming each changed value or file) when not."
        )

        @Argument(help: "The signed report (GET /v1/inspections/{id}/report/signed)")
        var report: String

        @Option(help: "The public keys (GET /.well-known/walkaround/report-keys, or `walkaround report public-keys`)")
        var keys: String

        @Option(name: .customLong("photo"), help: "A photo file to check against the report's SHA-256 list (repeatable)")
        var photos: [String] = []

        func run() async throws {
            guard let document = FileManager.default.contents(atPath: report) else { throw ValidationError("\(report) cannot be read") }
            guard let keyData = FileManager.default.contents(atPath: keys), let keySet = try? JSONDecoder().decode(PublicKeySet.self, from: keyData) else {
                throw ValidationError("\(keys) is not a JSON Web Key Set (GET /.well-known/walkaround/report-keys)")
            }
            var files: [(name: String, bytes: Data)] = []
            for path in photos {
                guard let bytes = FileManager.default.contents(atPath: path) else { throw ValidationError("\(path) cannot be read") }
                files.append((path, bytes))
            }
            let result = SignedReport.verify(document, keys: keySet, photoFiles: files)
            if result.valid {
                print("valid: signed by \(result.keyID ?? "?"); \(result.photos.count) photos listed\(files.isEmpty ? "" : ", \(files.count) files match")")
            } else {
                print("NOT VALID\(result.keyID.map { " (signed by \($0))" } ?? ""):")
                for problem in result.problems { print("- \(problem)") }
                throw ExitCode(1)
            }
        }
    }

    struct PublicKeys: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "public-keys", abstract: "Print the public keys of the configured signing key (as the well-known route serves them)."
        )

        @OptionGroup var common: CommonOptions

        func run() async throws {
            let settings = WalkaroundSettings(reader: common.reader())
            // Only the key serve made or was given: a new one here would match no signed report.
            let key = try ReportSigningKey.load(path: settings.signingKeyPath ?? settings.signingKeyDefaultPath, create: false)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(PublicKeySet(keys: [key.jwk])), as: UTF8.self))
        }
    }
}

struct Keys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Manage API keys.", subcommands: [Create.self, List.self, Revoke.self])

    /// Runs `body` on the configured database with migrations applied.
    static func withKeys<T: Sendable>(_ common: CommonOptions, _ body: @Sendable (APIKeyRepository) async throws -> T) async throws -> T {
        let settings = WalkaroundSettings(reader: common.reader())
        let logger = common.bootstrap(settings)
        let components = try await WalkaroundComponents.open(settings: settings, metrics: WalkaroundMetrics(), logger: logger)
        return try await components.withDatabase { database in
            try await Migrations(database: database).apply()
            return try await body(APIKeyRepository(database: database))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List API keys (never their secrets), newest first.")

        @OptionGroup var common: CommonOptions

        func run() async throws {
            let keys = try await Keys.withKeys(common) { try await $0.list() }
            print("id\trole\tstation\tname\tcreated\trevoked")
            for key in keys {
                let fields = [
                    key.id.uuidString.lowercased(), key.role.rawValue, key.station ?? "-", key.name ?? "-",
                    ISO8601DateFormatter().string(from: key.createdAt), key.revokedAt.map { ISO8601DateFormatter().string(from: $0) } ?? "-",
                ]
                print(fields.joined(separator: "\t"))
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke an API key: every request with it is refused from now on.")

        @Argument(help: "The key's id (from keys list or keys create)")
        var id: String

        @OptionGroup var common: CommonOptions

        func validate() throws {
            guard UUID(uuidString: id) != nil else { throw ValidationError("\(id) is not a key id (a UUID)") }
        }

        func run() async throws {
            let id = UUID(uuidString: id)!
            guard let key = try await Keys.withKeys(common, { try await $0.revoke(id) }) else {
                throw ValidationError("no key \(id.uuidString.lowercased()) that is not already revoked")
            }
            print("revoked \(key.role.rawValue) key \(key.id.uuidString.lowercased())\(key.station.map { " of station \($0)" } ?? "")")
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an API key and print it once; only its hash is stored.")

        @Option(help: "station (its own station's inspections), reviewer (read all, review reports, holds) or admin")
        var role: String

        @Option(help: "The station a station key acts for (required for --role station)")
        var station: String?

        @Option(help: "A label to recognise the key by")
        var name: String?

        @OptionGroup var common: CommonOptions

        func validate() throws {
            guard let parsed = Role(rawValue: role) else { throw ValidationError("--role must be one of station, reviewer, admin") }
            if parsed == .station && (station ?? "").isEmpty { throw ValidationError("--role station needs --station") }
            if parsed != .station && station != nil { throw ValidationError("--station is only for --role station") }
        }

        func run() async throws {
            let (role, station, name) = (Role(rawValue: role)!, station, name)
            let created = try await Keys.withKeys(common) { try await $0.create(role: role, station: station, name: name) }
            FileHandle.standardError.write(Data("created \(role.rawValue) key \(created.key.id)\(station.map { " for station \($0)" } ?? ""); it is shown only now:\n".utf8))
            print(created.secret)
        }
    }
}

/// `walkaround station-agent`: store-and-forward uploads from a camera rig (see `StationAgent`).
struct StationAgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "station-agent", abstract: "Upload a camera rig's photos, checked here first, exactly once, surviving restarts and outages.",
        subcommands: [Run.self, Status.self], defaultSubcommand: Run.self
    )

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Watch the camera folder and upload what the rig writes there.")

        @Option(help: "The folder the cameras write to: one subfolder per vehicle pass with pass.json, photos named by view, and `complete` when done.")
        var watch: String
        @Option(help: "The agent's own folder (its durable queue).")
        var state: String
        @Option(help: "The Walkaround server, e.g. https://api.walkaround.eu")
        var server: String
        @Option(help: "A file holding the station's API key (or WALKAROUND_AGENT_KEY).")
        var keyFile: String?
        @Option(help: "The station the rig belongs to.")
        var station: String
        @Option(help: "A JSON file mapping camera file names to views: {\"cam1.jpg\": \"front\"}.")
        var mapping: String?
        @Option(help: "Upload bandwidth cap, bytes per second.")
        var maxBytesPerSecond: Int?
        @Option(help: "Disk the camera folder may use; uploaded photos are deleted above it, oldest first.")
        var maxDiskBytes: Int?
        @Option(help: "Seconds between scans.")
        var pollSeconds: Double = 0.5

        func run() async throws {
            let key = try keyFile.map { try String(contentsOfFile: $0, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines) }
                ?? ProcessInfo.processInfo.environment["WALKAROUND_AGENT_KEY"]
            guard let key, !key.isEmpty else { throw ValidationError("the station key is missing: --key-file or WALKAROUND_AGENT_KEY") }
            var views: [String: Photo.View] = [:]
            if let mapping {
                guard let data = FileManager.default.contents(atPath: mapping),
                    let object = try JSONSerialization.jsonObject(with: data) as? [String: String]
                else { throw ValidationError("\(mapping) is not a JSON object of file names to views") }
                for (file, name) in object {
                    guard let view = Photo.View(rawValue: name) else { throw ValidationError("\(name) is not a view (\(Photo.View.allCases.map(\.rawValue).joined(separator: ", ")))") }
                    views[file] = view
                }
            }
            guard (0.05...60).contains(pollSeconds) else { throw ValidationError("--poll-seconds must be from 0.05 to 60") }
            let settings = WalkaroundSettings(reader: ConfigReader(provider: EnvironmentVariablesProvider()))
            var logger = Logger(label: "station-agent")
            logger.logLevel = settings.logLevel
            let agent = try await StationAgent(
                settings: AgentSettings(
                    watch: watch, state: state, server: server, key: key, station: station, mapping: views,
                    pollInterval: .milliseconds(Int64(pollSeconds * 1000)), maxBytesPerSecond: maxBytesPerSecond, maxDiskBytes: maxDiskBytes,
                    thresholds: settings.quality
                ),
                logger: logger
            )
            logger.notice("station agent running", metadata: ["watch": "\(watch)", "server": "\(server)", "station": "\(station)"])
            let task = Task { await agent.run() }
            // SIGTERM / SIGINT end the loop; the queue is durable, so nothing is lost either way.
            for signal in [SIGTERM, SIGINT] {
                let source = DispatchSource.makeSignalSource(signal: signal)
                signal_ignore(signal)
                source.setEventHandler { task.cancel() }
                source.resume()
                StationAgentCommand.sources.append(source)
            }
            await task.value
        }
    }

    nonisolated(unsafe) static var sources: [any DispatchSourceSignal] = []

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the agent's queue as JSON: photos by state, retakes needed, refusals.")

        @Option(help: "The agent's folder.")
        var state: String

        func run() async throws {
            var logger = Logger(label: "station-agent")
            logger.logLevel = .error
            let agent = try await StationAgent(
                settings: AgentSettings(watch: "/nonexistent", state: state, server: "http://127.0.0.1", key: "-", station: "-"), logger: logger
            )
            let status = try await agent.status()
            await agent.close()
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(status), as: UTF8.self))
        }
    }
}

private func signal_ignore(_ number: Int32) {
    signal(number, SIG_IGN)
}
