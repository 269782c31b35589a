import Configuration
import Foundation
import Logging
import Inference
import Pipeline
import Reporting
import Storage
import WalkaroundCore

/// Everything the service reads from configuration, with its defaults.
///
/// Keys map to environment variables by swift-configuration's rule (`walkaround.dataDir` is
/// `WALKAROUND_DATA_DIR`); command-line flags are layered over the environment by the executable.
public struct WalkaroundSettings: Sendable {
    /// Which parts of the system this process runs.
    public enum Role: String, Sendable, CaseIterable {
        /// API, workers and (later) inference in one process: the embedded default.
        case all
        /// Upload and read API only; jobs are left to worker processes.
        case api
        /// Job workers only; HTTP serves just /health, /ready and /metrics.
        case worker
        /// The detection models behind the Open Inference Protocol (`/v2/...`) for workers elsewhere;
        /// no API, no jobs, no shared database.
        case inference

        public var servesAPI: Bool { self == .all || self == .api }
        public var runsWorkers: Bool { self == .all || self == .worker }
        /// Loads the detection models in this process.
        public var loadsModels: Bool { self != .api }
    }

    public var host: String
    public var port: Int
    public var role: Role
    /// `postgres://...` selects PostgreSQL; nil means the embedded SQLite file in `dataDir`.
    public var databaseURL: String?
    public var databaseMaxConnections: Int
    /// `DATABASE_SSLMODE` and `DATABASE_SSL_ROOT_CERT`: used where `DATABASE_URL` has no
    /// `sslmode` / `sslrootcert` (CloudNativePG's connection string, with its CA mounted as a file).
    public var databaseSSLMode: String?
    public var databaseRootCertificate: String?
    /// Where the SQLite database and the photo files live.
    public var dataDir: String
    public var maxUploadBytes: Int
    public var maxPhotosPerInspection: Int
    /// Photos whose header declares more pixels are rejected undecoded (decompression bombs).
    public var maxImagePixels: Int
    /// The port of `/metrics` and the detailed `/ready` (0 picks a free one).
    public var metricsPort: Int
    /// Image routes (thumbnails, annotated images, report pages) decoding at once; more wait up to
    /// `imageMaxWait`, then get 503 with `Retry-After`.
    public var imageConcurrency: Int
    public var imageMaxWait: Duration
    /// The quality gate's limits.
    public var quality: QualityThresholds
    /// How detections become damages and are matched with the check-out's (the merge thresholds).
    public var comparator: DamageComparator
    /// The repair cost matrix file (JSON, `CostMatrix`); nil: reports carry no estimates.
    public var costsPath: String?
    /// `WALKAROUND_SIGNING_KEY_FILE`: the Ed25519 key that signs final reports (a mounted
    /// Secret); nil: `signingKeyDefaultPath`, generated on first start.
    public var signingKeyPath: String?
    /// Webhook deliveries: the target allow-list (`WALKAROUND_WEBHOOK_ALLOWED_HOSTS`), the
    /// attempt timeout and the attempts per delivery.
    public var webhooks: WebhookSettings
    /// `WALKAROUND_REPORT_LANGUAGE` (default `en`) and `WALKAROUND_STATION_LANGUAGES`
    /// (`MUC-01=de,PAR-01=fr`): the language each station's reports are written in.
    public var reportLanguages: ReportLanguages
    /// Detection models and how they run; nil when no model is configured (quality gate only).
    public var inference: InferenceSettings?
    /// The plate reader (runs on the models' `plate` boxes); nil when switched off.
    public var plates: PlateReader.Settings?
    /// The report writer's LLM chain, in order (self-hosted first, then the fallback API); empty
    /// writes every report with the template.
    public var llmProviders: [LLMProvider]
    /// The S3-compatible bucket photos are kept in (`WALKAROUND_S3_ENDPOINT` and friends); nil keeps
    /// them in the data folder.
    public var s3: S3Settings?
    /// `WALKAROUND_REDIS_URL` (or the file `WALKAROUND_REDIS_URL_FILE` names): nil runs without Redis.
    public var redisURL: String?
    /// `WALKAROUND_INFERENCE_URL`: workers send tensors to inference pods there (Open Inference
    /// Protocol) instead of loading the models; `WALKAROUND_INFERENCE_TIMEOUT_MS` per call.
    public var inferenceURL: String?
    public var inferenceTimeout: Duration
    /// Failed calls in a row after which workers stop calling the pods for a while (and photos
    /// wait for them without using attempts, when the last failure could not reach a pod).
    public var inferenceBreakerThreshold: Int
    /// `WALKAROUND_REDIS_TIMEOUT_MS`: each Redis command's deadline (a request never waits longer on Redis).
    public var redisTimeout: Duration
    /// `WALKAROUND_RATE_LIMIT_KEY_PER_MINUTE` and `_STATION_PER_MINUTE` (0: no limit).
    public var rateLimits: RateLimits
    /// Proxies in front of the server (the Ingress: 1) whose `X-Forwarded-For` / `-Proto` the web
    /// app trusts for the client's address (sign-in limits) and for Secure cookies; 0: none.
    public var trustedProxies: Int
    /// Where spans go: nil (the default) records none; `otlp` exports them over OTLP/HTTP to
    /// `OTEL_EXPORTER_OTLP_ENDPOINT`, sampled by `OTEL_TRACES_SAMPLER`/`_ARG` (default: 10 % of
    /// the traces that start here, and every trace a caller sampled).
    public var tracing: String?
    /// The build's version (`WALKAROUND_VERSION`, set from the image tag), a label of `walkaround_build_info`.
    public var version: String
    public var worker: JobWorker.Settings
    public var retry: RetryPolicy
    /// Photo-store housekeeping and retention, run by worker processes.
    public var janitor: Janitor.Settings
    /// Settings that could not be read; `serve` refuses to start while there are any.
    public var problems: [String] = []
    /// Fault injection for crash tests and demos: extra time spent in each job. Zero in production.
    public var stageDelay: Duration
    public var logLevel: Logger.Level

    public init(reader: ConfigReader) {
        host = reader.string(forKey: "http.host", default: "0.0.0.0")
        port = reader.int(forKey: "http.port", default: 8080)
        role = Role(rawValue: reader.string(forKey: "walkaround.role", default: "all")) ?? .all
        databaseURL = reader.string(forKey: "database.url", isSecret: true).flatMap { $0.isEmpty ? nil : $0 }
        databaseMaxConnections = reader.int(forKey: "database.maxConnections", default: 20)
        databaseSSLMode = reader.string(forKey: "database.sslmode").flatMap { $0.isEmpty ? nil : $0 }
        databaseRootCertificate = reader.string(forKey: "database.ssl.root.cert").flatMap { $0.isEmpty ? nil : $0 }
        dataDir = reader.string(forKey: "walkaround.dataDir", default: "./data")
        maxUploadBytes = reader.int(forKey: "walkaround.upload.maxBytes", default: 25 * 1024 * 1024)
        maxPhotosPerInspection = reader.int(forKey: "walkaround.inspection.maxPhotos", default: 64)
        maxImagePixels = reader.int(forKey: "walkaround.imaging.maxPixels", default: 50_000_000)
        metricsPort = reader.int(forKey: "walkaround.metrics.port", default: 9090)
        imageConcurrency = max(1, reader.int(forKey: "walkaround.images.concurrency", default: ProcessInfo.processInfo.activeProcessorCount))
        imageMaxWait = .milliseconds(max(0, reader.int(forKey: "walkaround.images.maxWaitMs", default: 2_000)))
        let comparison = DamageComparator()
        comparator = DamageComparator(
            mergeIoU: reader.double(forKey: "walkaround.comparison.mergeIoU", default: comparison.mergeIoU),
            mergeContainment: reader.double(forKey: "walkaround.comparison.mergeContainment", default: comparison.mergeContainment),
            mergesAcrossClasses: reader.bool(forKey: "walkaround.comparison.mergeAcrossClasses", default: true)
        )
        costsPath = reader.string(forKey: "walkaround.costs.path").flatMap { $0.isEmpty ? nil : $0 }
        signingKeyPath = reader.string(forKey: "walkaround.signing.keyFile").flatMap { $0.isEmpty ? nil : $0 }
        let allowed = reader.string(forKey: "walkaround.webhook.allowedHosts", default: "").split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        webhooks = WebhookSettings(
            policy: WebhookTargetPolicy(allowedHosts: Set(allowed)),
            timeout: .milliseconds(min(max(reader.int(forKey: "walkaround.webhook.timeoutMs", default: 10_000), 500), 60_000)),
            maxAttempts: reader.int(forKey: "walkaround.webhook.maxAttempts", default: 8)
        )
        let defaults = QualityThresholds()
        quality = QualityThresholds(
            minSharpness: reader.double(forKey: "walkaround.quality.minSharpness", default: defaults.minSharpness),
            minMeanLuminance: reader.double(forKey: "walkaround.quality.minMeanLuminance", default: defaults.minMeanLuminance),
            maxMeanLuminance: reader.double(forKey: "walkaround.quality.maxMeanLuminance", default: defaults.maxMeanLuminance),
            maxDarkClippedShare: reader.double(forKey: "walkaround.quality.maxDarkClipped", default: defaults.maxDarkClippedShare),
            maxBrightClippedShare: reader.double(forKey: "walkaround.quality.maxBrightClipped", default: defaults.maxBrightClippedShare),
            minShortSide: reader.int(forKey: "walkaround.quality.minShortSide", default: defaults.minShortSide),
            maxDuplicateDistance: reader.int(forKey: "walkaround.quality.duplicateDistance", default: defaults.maxDuplicateDistance)
        )
        let modelPath = reader.string(forKey: "walkaround.model.path", default: "models/walkaround-demo-int8.onnx")
        let modelsFile = reader.string(forKey: "walkaround.models.file").flatMap { $0.isEmpty ? nil : $0 }
        if !modelPath.isEmpty || modelsFile != nil {
            inference = InferenceSettings(
                libraryPath: reader.string(forKey: "ort.library.path").flatMap { $0.isEmpty ? nil : $0 }
                    ?? reader.string(forKey: "walkaround.inference.library", default: ".ort/lib/libonnxruntime.so"),
                models: [
                    ModelConfiguration(
                        name: reader.string(forKey: "walkaround.model.name", default: "damage"), path: modelPath,
                        confidenceThreshold: reader.double(forKey: "walkaround.model.confidence", default: 0.25),
                        iouThreshold: reader.double(forKey: "walkaround.model.iou", default: 0.7)
                    )
                ],
                modelsFile: modelsFile,
                session: Self.sessionSettings(reader),
                maxBatch: reader.int(forKey: "walkaround.inference.maxBatch", default: 8),
                maxDelay: .milliseconds(reader.int(forKey: "walkaround.inference.maxDelayMs", default: 5)),
                queueLimit: reader.int(forKey: "walkaround.inference.queueLimit", default: 64)
            )
        } else {
            inference = nil
        }
        plates =
            reader.bool(forKey: "walkaround.plates.enabled", default: true)
            ? PlateReader.Settings(
                dataPath: reader.string(forKey: "walkaround.plates.tessdata", default: PlateReader.Settings.defaultDataPath),
                lanes: reader.int(forKey: "walkaround.plates.lanes", default: 2)
            ) : nil
        llmProviders = Self.llmProviders(reader)
        redisURL = Self.secret(reader, "walkaround.redis.url", fileKey: "walkaround.redis.urlFile")
        inferenceURL = reader.string(forKey: "walkaround.inference.url").flatMap { $0.isEmpty ? nil : $0 }
        if let url = inferenceURL, URL(string: url)?.scheme.map({ ["http", "https"].contains($0) }) != true {
            problems.append("WALKAROUND_INFERENCE_URL must be an http(s) URL")
        }
        inferenceTimeout = .milliseconds(min(max(reader.int(forKey: "walkaround.inference.timeoutMs", default: 10_000), 100), 300_000))
        inferenceBreakerThreshold = min(max(reader.int(forKey: "walkaround.inference.breakerThreshold", default: 5), 1), 100)
        redisTimeout = .milliseconds(min(max(reader.int(forKey: "walkaround.redis.timeoutMs", default: 1_000), 10), 60_000))
        if let url = redisURL, (try? RedisSettings(url: url)) == nil {
            problems.append("WALKAROUND_REDIS_URL is not redis://[user:password@]host[:port][/db] or rediss://…")
        }
        let defaultLimits = RateLimits()
        rateLimits = RateLimits(
            perKey: reader.int(forKey: "walkaround.rateLimit.keyPerMinute", default: defaultLimits.perKey),
            perStation: reader.int(forKey: "walkaround.rateLimit.stationPerMinute", default: defaultLimits.perStation),
            signInPerClient: reader.int(forKey: "walkaround.rateLimit.signInPerMinute", default: defaultLimits.signInPerClient)
        )
        trustedProxies = min(max(reader.int(forKey: "walkaround.web.trustedProxies", default: 0), 0), 8)
        version = String(reader.string(forKey: "walkaround.version", default: "dev").prefix(64))
        switch reader.string(forKey: "walkaround.tracing", default: "off").lowercased() {
        case "off", "": tracing = nil
        case "otlp": tracing = "otlp"
        default:
            tracing = nil
            problems.append("WALKAROUND_TRACING must be off or otlp")
        }
        s3 = Self.s3Settings(reader)
        // No photo is larger than an upload may be.
        s3?.maxObjectBytes = max(1, maxUploadBytes)
        problems += s3?.problems ?? []
        worker = JobWorker.Settings(
            concurrency: reader.int(forKey: "walkaround.worker.concurrency", default: 4),
            lease: .milliseconds(reader.int(forKey: "walkaround.job.leaseMs", default: 60_000)),
            pollInterval: .milliseconds(reader.int(forKey: "walkaround.worker.pollMs", default: 200)),
            drainTimeout: .milliseconds(reader.int(forKey: "walkaround.worker.drainMs", default: 25_000)),
            maxReclaims: max(0, reader.int(forKey: "walkaround.worker.maxReclaims", default: 2)),
            maxRunTime: .milliseconds(min(max(1_000, reader.int(forKey: "walkaround.job.maxRunMs", default: 900_000)), 86_400_000))
        )
        retry = RetryPolicy(
            maxAttempts: reader.int(forKey: "walkaround.job.maxAttempts", default: 5),
            baseDelay: .milliseconds(reader.int(forKey: "walkaround.job.retryBaseMs", default: 2_000)),
            maxDelay: .milliseconds(reader.int(forKey: "walkaround.job.retryMaxMs", default: 300_000)),
            deliveryBaseDelay: .milliseconds(reader.int(forKey: "walkaround.webhook.retryBaseMs", default: 5_000)),
            deliveryMaxDelay: .milliseconds(reader.int(forKey: "walkaround.webhook.retryMaxMs", default: 36_000_000)),
            outageLimit: .seconds(min(max(0, reader.int(forKey: "walkaround.job.outageLimitS", default: 3_600)), 7 * 86_400))
        )
        let interval = reader.int(forKey: "walkaround.janitor.intervalS", default: 3600)
        let retentionDays = reader.int(forKey: "walkaround.retention.days", default: 0)
        let (stations, stationProblems) = Self.retentionStations(reader.string(forKey: "walkaround.retention.stations", default: ""))
        problems += stationProblems
        let languageText = reader.string(forKey: "walkaround.report.language", default: "en").lowercased()
        let (languageStations, languageProblems) = ReportLanguages.parseStations(reader.string(forKey: "walkaround.station.languages", default: ""))
        problems += languageProblems
        if ReportLanguage(rawValue: languageText) == nil {
            problems.append("WALKAROUND_REPORT_LANGUAGE must be one of \(ReportLanguage.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        reportLanguages = ReportLanguages(fallback: ReportLanguage(rawValue: languageText) ?? .en, stations: languageStations)
        if !(0...36_500).contains(retentionDays) { problems.append("WALKAROUND_RETENTION_DAYS must be 0 (keep) to 36500 days") }
        janitor = Janitor.Settings(
            interval: interval > 0 ? .seconds(min(interval, 86_400 * 7)) : nil,
            // At least a minute: an upload writes its file before its transaction commits the photo.
            grace: .seconds(max(60, min(reader.int(forKey: "walkaround.janitor.graceS", default: 3600), 86_400 * 30))),
            retention: Janitor.Retention(defaultPeriod: Self.days(retentionDays), stations: stations)
        )
        stageDelay = .milliseconds(reader.int(forKey: "walkaround.debug.stageDelayMs", default: 0))
        logLevel = Logger.Level(rawValue: reader.string(forKey: "log.level", default: "info")) ?? .info
    }

    /// A retention period of `days` (0 keeps forever).
    static func days(_ days: Int) -> Duration? {
        (1...36_500).contains(days) ? .seconds(days * 86_400) : nil
    }

    /// `WALKAROUND_RETENTION_STATIONS`: `STATION=DAYS` pairs separated by commas (0 keeps that
    /// station's inspections forever), e.g. `MUC-01=30,BER-02=0`.
    static func retentionStations(_ text: String) -> ([String: Duration?], [String]) {
        var stations: [String: Duration?] = [:]
        var problems: [String] = []
        for entry in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !entry.isEmpty {
            let parts = entry.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[0].isEmpty, let days = Int(parts[1]), (0...36_500).contains(days) else {
                problems.append("WALKAROUND_RETENTION_STATIONS entry \"\(entry)\" is not STATION=DAYS with DAYS from 0 to 36500")
                continue
            }
            stations[parts[0]] = .some(Self.days(days))
        }
        return (stations, problems)
    }

    /// `WALKAROUND_INFERENCE_THREADS`, `WALKAROUND_INFERENCE_SPINNING` (whether idle intra-op
    /// threads spin), and `WALKAROUND_INFERENCE_CUDA`: `true` (use CUDA when there, else the CPU),
    /// `false`, or `require` (a model that cannot run on CUDA fails to load, and /ready says why).
    static func sessionSettings(_ reader: ConfigReader) -> SessionSettings {
        var settings = SessionSettings(intraOpThreads: reader.int(forKey: "walkaround.inference.threads", default: 0))
        settings.allowSpinning = reader.bool(forKey: "walkaround.inference.spinning", default: SessionSettings().allowSpinning)
        switch reader.string(forKey: "walkaround.inference.cuda", default: "true").lowercased() {
        case "false", "0", "no", "off": settings.preferCUDA = false
        case "require", "required": (settings.preferCUDA, settings.requireCUDA) = (true, true)
        default: settings.preferCUDA = true
        }
        return settings
    }

    /// A secret value from its key or, when that is unset or empty, from the file its `_FILE` key
    /// names (a mounted Kubernetes Secret), trimmed; nil when neither is set.
    static func secret(_ reader: ConfigReader, _ key: ConfigKey, fileKey: ConfigKey) -> String? {
        if let value = reader.string(forKey: key, isSecret: true), !value.isEmpty { return value }
        guard let file = reader.string(forKey: fileKey), !file.isEmpty,
            let value = try? String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty
        else { return nil }
        return value
    }

    /// `WALKAROUND_S3_ENDPOINT`, `_BUCKET`, `_REGION`, `_PATH_STYLE` (default true), the credentials
    /// in `_ACCESS_KEY_ID` and `_SECRET_ACCESS_KEY` or the files their `_FILE` keys name (and an
    /// optional `_SESSION_TOKEN`), `_SSE` and `_KMS_KEY_ID`, `_PREFIX`, `_TIMEOUT_MS`,
    /// `_MULTIPART_THRESHOLD_BYTES` and `_PART_BYTES`; nil without an endpoint.
    static func s3Settings(_ reader: ConfigReader) -> S3Settings? {
        guard let endpoint = reader.string(forKey: "walkaround.s3.endpoint"), !endpoint.isEmpty else { return nil }
        var settings = S3Settings(
            endpoint: endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint,
            bucket: reader.string(forKey: "walkaround.s3.bucket", default: ""),
            region: reader.string(forKey: "walkaround.s3.region", default: ""),
            accessKeyID: secret(reader, "walkaround.s3.accessKeyId", fileKey: "walkaround.s3.accessKeyIdFile") ?? "",
            secretAccessKey: secret(reader, "walkaround.s3.secretAccessKey", fileKey: "walkaround.s3.secretAccessKeyFile") ?? ""
        )
        settings.pathStyle = reader.bool(forKey: "walkaround.s3.pathStyle", default: true)
        settings.sessionToken = secret(reader, "walkaround.s3.sessionToken", fileKey: "walkaround.s3.sessionTokenFile")
        settings.serverSideEncryption = reader.string(forKey: "walkaround.s3.sse").flatMap { $0.isEmpty ? nil : $0 }
        settings.kmsKeyID = reader.string(forKey: "walkaround.s3.kmsKeyId").flatMap { $0.isEmpty ? nil : $0 }
        settings.prefix = reader.string(forKey: "walkaround.s3.prefix", default: settings.prefix)
        settings.multipartThreshold = reader.int(forKey: "walkaround.s3.multipartThresholdBytes", default: settings.multipartThreshold)
        settings.partSize = reader.int(forKey: "walkaround.s3.partBytes", default: settings.partSize)
        settings.timeout = .milliseconds(min(max(reader.int(forKey: "walkaround.s3.timeoutMs", default: 30_000), 100), 600_000))
        return settings
    }

    /// `WALKAROUND_LLM_URL` (the self-hosted OpenAI-compatible server, e.g. llama.cpp's) and
    /// `WALKAROUND_LLM_FALLBACK_URL` (a GPT-4o-class API, its key in `WALKAROUND_LLM_FALLBACK_API_KEY`
    /// or in the file `WALKAROUND_LLM_FALLBACK_API_KEY_FILE`, as a mounted Secret); each with
    /// `_MODEL`, `_TIMEOUT_MS`, `_ATTEMPTS` and `_SCHEMA` (`json_object` for llama.cpp, `json_schema` for OpenAI).
    static func llmProviders(_ reader: ConfigReader) -> [LLMProvider] {
        var providers: [LLMProvider] = []
        for (name, prefix, model, schema, edge) in [
            ("local", "walkaround.llm", "gemma-3-270m", LLMProvider.SchemaStyle.jsonObject, false),
            ("fallback", "walkaround.llm.fallback", "gpt-4o", .jsonSchema, true),
        ] {
            guard let url = reader.string(forKey: ConfigKey(prefix + ".url")), !url.isEmpty else { continue }
            let key = secret(reader, ConfigKey(prefix + ".apiKey"), fileKey: ConfigKey(prefix + ".apiKeyFile"))
            providers.append(
                LLMProvider(
                    name: name, baseURL: url, model: reader.string(forKey: ConfigKey(prefix + ".model"), default: model), apiKey: key,
                    timeout: .milliseconds(reader.int(forKey: ConfigKey(prefix + ".timeoutMs"), default: 20_000)),
                    maxAttempts: max(1, reader.int(forKey: ConfigKey(prefix + ".attempts"), default: 2)),
                    backoff: .milliseconds(reader.int(forKey: ConfigKey(prefix + ".backoffMs"), default: 250)),
                    schemaStyle: LLMProvider.SchemaStyle(rawValue: reader.string(forKey: ConfigKey(prefix + ".schema"), default: schema.rawValue))
                        ?? schema,
                    takesEdgeCases: edge
                )
            )
        }
        return providers
    }

    /// The SQLite file used when no `DATABASE_URL` is set.
    public var sqlitePath: String { dataDir + "/walkaround.sqlite" }
    /// Where the embedded default keeps the report signing key it generates.
    public var signingKeyDefaultPath: String { dataDir + "/report-signing-key.pem" }
    public var photoDir: String { dataDir + "/photos" }
}
