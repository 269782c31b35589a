import Foundation
import Hummingbird
import Imaging
import Inference
import Logging
import Metrics
import Pipeline
import Reporting
import ServiceLifecycle
import Storage
import UseCases
import WalkaroundCore

/// The parts of a running Walkaround process, wired once and shared by the routes and workers.
public struct WalkaroundComponents: Sendable {
    public let settings: WalkaroundSettings
    public let database: any SQLDatabase
    public let blobs: any PhotoStore
    public let queue: JobQueue
    public let signal: WakeSignal
    /// Uploads' bytes for this process's worker (`--role all`); nil where no worker runs.
    public let handoff: UploadHandoff?
    public let metrics: WalkaroundMetrics
    /// The detection models, in processes that run workers and have models configured.
    public let inference: InferenceService?
    /// The models in inference pods (`WALKAROUND_INFERENCE_URL`), instead of `inference`, for workers.
    public let remoteInference: RemoteInference?
    /// What the photo stage detects with: the pods' models or this process's.
    public var detection: (any DetectionModels)? { remoteInference ?? inference }
    /// The plate reader, where workers run detection models and plates are enabled.
    public let plates: PlateReader?
    /// Why the plate reader could not start (missing Tesseract data); the process then reports not ready.
    public let platesFailure: String?
    /// The repair cost matrix in force: set through the API, else the file, validated at start
    /// (a bad file stops the process with its problems).
    public let costs: CostBook
    /// The key that signs final reports.
    public let signingKey: ReportSigningKey
    /// Redis (`WALKAROUND_REDIS_URL`), for caches, rate counters and events across pods; nil without one.
    public let redis: RedisClient?
    /// Signals inspection changes to event streams, in this process and through Redis.
    public let events: InspectionEvents
    /// Requests per key and station (in Redis when there is one).
    public let rateLimiter: RateLimiter

    /// Opens the database named by the settings (PostgreSQL for `DATABASE_URL`, else SQLite in the data folder).
    public static func open(settings: WalkaroundSettings, metrics: WalkaroundMetrics, logger: Logger) async throws -> WalkaroundComponents {
        // Everything that can refuse to start comes before the database is opened: an open SQLite
        // connection must be closed before it is released.
        var costs: CostMatrix?
        if let path = settings.costsPath {
            guard let data = FileManager.default.contents(atPath: path) else { throw CostMatrix.Invalid(problems: ["\(path) cannot be read"]) }
            costs = try CostMatrix.load(data)
            logger.info("cost matrix loaded", metadata: ["path": "\(path)", "currency": "\(costs!.currency)", "cells": "\(costs!.prices.count)"])
        }
        // The inference role serves tensors only: no events, caches or limits, so no Redis.
        let redis = try (settings.role == .inference ? nil : settings.redisURL).map { url in
            var redisSettings = try RedisSettings(url: url)
            redisSettings.timeout = settings.redisTimeout
            return RedisClient(settings: redisSettings, logger: logger, metrics: metrics.factory)
        }
        let blobs: any PhotoStore = try settings.s3.map { try S3PhotoStore(settings: $0, metrics: metrics.factory) } ?? PhotoBlobStore(root: settings.photoDir)
        logger.info("photo store", metadata: ["location": "\(blobs.location)"])
        // A configured key must exist; the embedded default makes one in the data folder.
        let signingKey = try ReportSigningKey.load(
            path: settings.signingKeyPath ?? settings.signingKeyDefaultPath, create: settings.signingKeyPath == nil
        )
        let database: any SQLDatabase
        // The inference role shares no database: its migrations and nothing else go to a local SQLite file.
        if let url = settings.databaseURL, settings.role != .inference {
            database = try PostgresDatabase(
                url: url, maxConnections: settings.databaseMaxConnections, sslMode: settings.databaseSSLMode,
                rootCertificate: settings.databaseRootCertificate, logger: logger, metrics: metrics.factory
            )
        } else {
            database = try await SQLiteDatabase.open(path: settings.sqlitePath, logger: logger, metrics: metrics.factory)
        }
        var plates: PlateReader?, platesFailure: String?
        if settings.role.runsWorkers, settings.inference != nil, let plateSettings = settings.plates {
            do {
                plates = try PlateReader(settings: plateSettings, metrics: metrics.factory)
                logger.info("plate reader ready", metadata: ["tesseract": "\(plates!.version)", "lanes": "\(plateSettings.lanes)"])
            } catch {
                platesFailure = "\(error)"
                logger.error("plate reader unavailable", metadata: ["error": "\(error)"])
            }
        }
        return WalkaroundComponents(
            settings: settings,
            database: database,
            blobs: blobs,
            queue: JobQueue(database: database, retryPolicy: settings.retry),
            signal: WakeSignal(redis: redis),
            handoff: settings.role.runsWorkers ? UploadHandoff() : nil,
            metrics: metrics,
            inference: settings.role.loadsModels && (settings.inferenceURL == nil || settings.role == .inference)
                ? settings.inference.map { InferenceService(settings: $0, logger: logger, metrics: metrics.factory) } : nil,
            remoteInference: try settings.role.runsWorkers ? settings.inferenceURL.map { url in
                guard let models = settings.inference else { throw StorageError.configuration("WALKAROUND_INFERENCE_URL needs the models' configuration (their files are read for metadata)") }
                let list = try models.modelsFile.map(InferenceService.readModels) ?? models.models
                return RemoteInference(
                    settings: .init(url: url, models: list, timeout: settings.inferenceTimeout, breakerThreshold: settings.inferenceBreakerThreshold),
                    logger: logger, metrics: metrics.factory
                )
            } : nil,
            plates: plates,
            platesFailure: platesFailure,
            costs: CostBook(file: costs, database: database),
            signingKey: signingKey,
            redis: redis,
            events: InspectionEvents(redis: redis, logger: logger),
            rateLimiter: RateLimiter(limits: settings.rateLimits, redis: redis, metrics: metrics.factory)
        )
    }

    /// The decoder and quality gate, as configured.
    public var analyzer: PhotoAnalyzer {
        PhotoAnalyzer(decoder: PhotoDecoder(maxPixels: settings.maxImagePixels), thresholds: settings.quality)
    }

    public func makeWorker(logger: Logger) -> JobWorker {
        let processor = PhotoProcessor(
            database: database, blobs: blobs, queue: queue, analyzer: analyzer, inference: detection, plates: plates,
            stageDelay: settings.stageDelay,
            metrics: metrics.factory
        )
        let outbox = WebhookOutbox(database: database, queue: queue, maxAttempts: settings.webhooks.maxAttempts)
        var photos = processor
        photos.outbox = outbox
        photos.handoff = handoff
        photos.events = events
        photos.detectionCache = redis.map { DetectionCache(redis: $0, metrics: metrics.factory) }
        handoff?.useAnalyzer { processor.effectiveAnalyzer }
        var reports = ReportProcessor(
            database: database, queue: queue,
            writer: ReportWriter(providers: settings.llmProviders, metrics: metrics.factory, logger: logger)
        )
        reports.comparator = settings.comparator
        reports.costs = costs
        reports.outbox = outbox
        reports.events = events
        reports.languages = settings.reportLanguages
        let webhooks = WebhookDeliverer(database: database, queue: queue, settings: settings.webhooks, logger: logger)
        return JobWorker(
            queue: queue, processor: photos, reports: reports, webhooks: webhooks, settings: settings.worker, signal: signal, logger: logger,
            metrics: metrics.factory
        )
    }

    /// Erasing an inspection, for the erase route and retention.
    public var erasure: InspectionErasure {
        InspectionErasure(database: database, blobs: blobs, queue: queue, signal: signal, metrics: metrics.factory)
    }

    public func makeJanitor(logger: Logger) -> Janitor {
        Janitor(database: database, blobs: blobs, erasure: erasure, settings: settings.janitor, logger: logger, metrics: metrics.factory)
    }
}

/// Builds the HTTP application for the role in the settings: routes, middleware, and the
/// long-running services (the PostgreSQL pool, job workers). Migrations run before the server
/// starts accepting connections.
public func buildApplication(components: WalkaroundComponents, logger: Logger, extraServices: [any Service] = []) -> some ApplicationProtocol {
    let settings = components.settings
    let router = buildRouter(components: components)
    // The trace exporter first: it starts before and stops after the services whose spans it sends.
    var services: [any Service] = extraServices
    Gauge(label: "walkaround_build_info", dimensions: [("version", settings.version), ("role", settings.role.rawValue)], factory: components.metrics.factory)
        .record(1)
    if let postgres = components.database as? PostgresDatabase { services.append(postgres) }
    if let inference = components.inference { services.append(inference) }
    if let remote = components.remoteInference { services.append(remote) }
    // Other pods' inspection signals, for this pod's event streams.
    if let redis = components.redis, settings.role.servesAPI {
        let events = components.events
        services.append(
            RedisSubscriberService(
                subscriber: RedisSubscriber(settings: redis.settings, pattern: InspectionEvents.channelPrefix + "*", logger: logger) { channel, _ in
                    if let id = UUID(uuidString: String(channel.dropFirst(InspectionEvents.channelPrefix.count))) { events.wake(id) }
                }
            )
        )
    }
    // This pod's new jobs, published for the other pods' workers.
    if components.redis != nil { services.append(components.signal) }
    // Other pods' new jobs, for this pod's idle workers (without Redis they poll).
    if let redis = components.redis, settings.role.runsWorkers {
        let signal = components.signal
        services.append(
            RedisSubscriberService(
                subscriber: RedisSubscriber(settings: redis.settings, pattern: WakeSignal.channel, logger: logger) { _, _ in signal.signal() }
            )
        )
    }
    if settings.role.runsWorkers {
        services.append(components.makeWorker(logger: logger))
        services.append(components.makeJanitor(logger: logger))
    }
    // /metrics and the detailed /ready on their own port, which the Ingress does not route.
    services.append(
        Application(
            router: buildOperationsRouter(components: components),
            configuration: ApplicationConfiguration(address: .hostname(settings.host, port: settings.metricsPort), serverName: "walkaround-metrics"),
            logger: logger
        )
    )
    var app = Application(
        router: router,
        configuration: ApplicationConfiguration(address: .hostname(settings.host, port: settings.port), serverName: "walkaround"),
        services: services,
        logger: logger
    )
    app.beforeServerStarts {
        let applied = try await Migrations(database: components.database).apply()
        logger.info("database ready", metadata: ["dialect": "\(components.database.dialect)", "migrations_applied": "\(applied)", "role": "\(settings.role)"])
    }
    return app
}

/// The router: operational routes for every role, the v1 API behind authentication for `all` and `api`.
public func buildRouter(components: WalkaroundComponents) -> Router<WalkaroundRequestContext> {
    let router = Router(context: WalkaroundRequestContext.self)
    router.add(middleware: RequestObservationMiddleware(factory: components.metrics.factory))
    router.add(middleware: ErrorMiddleware())
    components.operations.addServiceRoutes(to: router)
    if components.settings.role == .inference, let inference = components.inference {
        InferenceProtocolController(inference: inference, version: "1").addRoutes(to: router)
    }
    guard components.settings.role.servesAPI else { return router }
    ReportsController.addPublicRoutes(to: router, signingKey: components.signingKey)

    let useCases = components.useCases
    WebController(sessions: useCases.sessions, limiter: components.rateLimiter, trustedProxies: components.settings.trustedProxies).addRoutes(to: router)
    let api = router.group("v1").add(middleware: AuthMiddleware(keys: APIKeyRepository(database: components.database), sessions: useCases.sessions))
        .add(middleware: RateLimitMiddleware(limiter: components.rateLimiter))
    let imageWork = ImageWork(concurrency: components.settings.imageConcurrency, maxWait: components.settings.imageMaxWait)
    InspectionsController(useCases: useCases.inspections).addRoutes(to: api)
    ReportsController(useCases: useCases.reports, decoder: components.analyzer.decoder, imageWork: imageWork).addRoutes(to: api)
    KeysController(useCases: useCases.keys).addRoutes(to: api)
    WebhooksController(useCases: useCases.webhooks).addRoutes(to: api)
    CostsController(useCases: useCases.costs).addRoutes(to: api)
    let renters = RenterController(useCases: useCases.renters, decoder: components.analyzer.decoder, imageWork: imageWork)
    renters.addRoutes(to: api)
    renters.addPublicRoutes(to: router)
    PhotosController(
        useCases: useCases.photos, decoder: components.analyzer.decoder, maxUploadBytes: components.settings.maxUploadBytes, imageWork: imageWork,
        thumbnails: components.redis.map { redis in
            RedisByteCache(redis: redis, name: "thumbnail", metrics: components.metrics.factory) { $0.starts(with: [0xFF, 0xD8, 0xFF]) }
        }
    ).addRoutes(to: api)
    return router
}

/// The metrics port's router: `/metrics`, `/ready` with its reasons, `/health`.
public func buildOperationsRouter(components: WalkaroundComponents) -> Router<WalkaroundRequestContext> {
    let router = Router(context: WalkaroundRequestContext.self)
    router.add(middleware: ErrorMiddleware())
    components.operations.addOperationsRoutes(to: router)
    return router
}

extension WalkaroundComponents {
    /// The use-case layer over this deployment's database, photo store and queue.
    public var useCases: UseCases {
        UseCases(
            database: database, blobs: blobs, erasure: erasure, queue: queue, signal: signal,
            maxPhotosPerInspection: settings.maxPhotosPerInspection, costs: costs, signingKey: signingKey, webhooks: settings.webhooks,
            languages: settings.reportLanguages, handoff: handoff, events: events, metrics: metrics.factory
        )
    }

    var operations: OperationsController {
        OperationsController(
            database: database, queue: queue, metrics: metrics, inference: detection, platesFailure: platesFailure, photos: blobs
        )
    }

    /// Runs `body` with the database usable outside the application (for `migrate`, `keys create`):
    /// PostgreSQL's pool needs its `run()` going while queries are made.
    public func withDatabase<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        guard let postgres = database as? PostgresDatabase else {
            do {
                let result = try await body(database)
                await database.close()
                return result
            } catch {
                await database.close()
                throw error
            }
        }
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await postgres.run()
                return nil
            }
            // Give the pool's run() a moment to start, so the first query does not log that it has not.
            try await Task.sleep(for: .milliseconds(20))
            let result = try await body(postgres)
            group.cancelAll()
            return result
        }
    }
}

/// Runs a Redis subscription for the application's lifetime.
struct RedisSubscriberService: Service {
    let subscriber: RedisSubscriber

    func run() async throws {
        await cancelWhenGracefulShutdown { await subscriber.run() }
    }
}
