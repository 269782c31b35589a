import Foundation
import Hummingbird
import Inference
import Metrics
import Pipeline
import Storage
import WalkaroundCore

/// Unauthenticated operational routes: `/health`, `/ready` and `/openapi.yaml` on the service port;
/// `/metrics` and the detailed `/ready` on the metrics port.
struct OperationsController {
    let database: any SQLDatabase
    let migrations: Migrations
    let queue: JobQueue
    let metrics: WalkaroundMetrics
    let queuedGauge: Gauge
    let inference: (any DetectionModels)?
    let platesFailure: String?
    /// The photo store's check, at most every 10 s (the public `/ready` must not make a store
    /// request per hit, nor wait on a slow store).
    let photoCheck: StoreCheck?

    init(
        database: any SQLDatabase, queue: JobQueue, metrics: WalkaroundMetrics, inference: (any DetectionModels)?, platesFailure: String? = nil,
        photos: (any PhotoStore)? = nil
    ) {
        self.photoCheck = photos.map { StoreCheck(store: $0) }
        self.inference = inference
        self.platesFailure = platesFailure
        self.database = database
        self.migrations = Migrations(database: database)
        self.queue = queue
        self.metrics = metrics
        self.queuedGauge = Gauge(label: "walkaround_jobs_queued", factory: metrics.factory)
    }

    /// The service port's unauthenticated routes: liveness, readiness without reasons (the Ingress
    /// routes this port; what is failing inside is not for the internet), the API description.
    func addServiceRoutes(to router: Router<WalkaroundRequestContext>) {
        router.get("health", use: health)
        router.get("ready", use: readyStatus)
        router.get("openapi.yaml", use: openAPI)
    }

    /// The metrics port's routes (never routed by the Ingress): Prometheus's scrape and readiness with its reasons.
    func addOperationsRoutes(to router: Router<WalkaroundRequestContext>) {
        router.get("health", use: health)
        router.get("ready", use: ready)
        router.get("metrics", use: exposition)
    }

    struct ReadinessStatus: ResponseEncodable {
        var status: String
    }

    /// Ready or not, with no detail: 200 or 503.
    @Sendable func readyStatus(request: Request, context: WalkaroundRequestContext) async throws -> EditedResponse<ReadinessStatus> {
        let readiness = await readiness()
        return EditedResponse(status: readiness.status == "ready" ? .ok : .serviceUnavailable, response: ReadinessStatus(status: readiness.status))
    }

    struct Health: ResponseEncodable {
        var status: String
    }

    struct Readiness: ResponseEncodable {
        var status: String
        var database: Bool
        var pendingMigrations: [Int]
        /// `ready`, `loading` or `failed: reason`; absent where no models run (API-only pods).
        var models: String?
        /// `failed: reason` when the plate reader could not start; absent otherwise.
        var plates: String?
        /// `ok`, or `failed: reason` when the photo store does not answer or refuses the credentials.
        var photoStore: String?
    }

    /// Alive: the process answers. Never touches the database, so a database outage does not restart pods.
    @Sendable func health(request: Request, context: WalkaroundRequestContext) async throws -> Health {
        Health(status: "ok")
    }

    /// Ready: the database answers, every migration is applied and the models are loaded; 503 otherwise.
    @Sendable func ready(request: Request, context: WalkaroundRequestContext) async throws -> EditedResponse<Readiness> {
        let readiness = await readiness()
        return EditedResponse(status: readiness.status == "ready" ? .ok : .serviceUnavailable, response: readiness)
    }

    func readiness() async -> Readiness {
        let reachable = await database.ping()
        let pending = reachable ? ((try? await migrations.pending()) ?? Migrations.all.map(\.version)) : Migrations.all.map(\.version)
        let models: String? =
            switch inference?.state {
            case nil: nil
            case .ready: "ready"
            case .loading: "loading"
            case .failed(let reason): "failed: \(reason)"
            }
        let plates = platesFailure.map { "failed: \($0)" }
        let photoStore = await photoCheck?.status()
        let isReady = reachable && pending.isEmpty && (models == nil || models == "ready") && plates == nil && (photoStore == nil || photoStore == "ok")
        return Readiness(
            status: isReady ? "ready" : "not_ready", database: reachable, pendingMigrations: pending, models: models, plates: plates,
            photoStore: photoStore
        )
    }

    @Sendable func exposition(request: Request, context: WalkaroundRequestContext) async throws -> Response {
        if let queued = try? await queue.queuedCount() { queuedGauge.record(queued) }
        if let statistics = try? await queue.dueStatistics() {
            for (kind, value) in statistics {
                Gauge(label: "walkaround_jobs_due", dimensions: [("kind", kind.rawValue)], factory: metrics.factory).record(value.due)
                Gauge(label: "walkaround_jobs_oldest_due_age_seconds", dimensions: [("kind", kind.rawValue)], factory: metrics.factory)
                    .record(value.oldestAge)
            }
        }
        return Response(
            status: .ok,
            headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: metrics.exposition()))
        )
    }

    @Sendable func openAPI(request: Request, context: WalkaroundRequestContext) async throws -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "application/yaml; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.text))
        )
    }
}

/// The API description shipped with the server (docs/openapi.yaml links to the same file).
public enum OpenAPIDocument {
    public static let text: String = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml"),
            let text = try? String(contentsOf: url, encoding: .utf8)
        else { return "openapi: 3.1.0\ninfo: {title: Walkaround, version: missing}\npaths: {}\n" }
        return text
    }()
}

/// The last outcome of the photo store's check, refreshed at most every `interval` by one caller
/// at a time (others get the last outcome), each check limited to `timeout`.
actor StoreCheck {
    let store: any PhotoStore
    let interval: Duration
    let timeout: Duration
    private var last: (at: ContinuousClock.Instant, status: String)?
    private var running: Task<String, Never>?

    init(store: any PhotoStore, interval: Duration = .seconds(10), timeout: Duration = .seconds(2)) {
        self.store = store
        self.interval = interval
        self.timeout = timeout
    }

    /// `ok` or `failed: reason`.
    func status() async -> String {
        if let last, ContinuousClock.now - last.at < interval { return last.status }
        if let running {
            if let last { return last.status }
            return await running.value
        }
        let (store, timeout) = (self.store, self.timeout)
        let task = Task<String, Never> {
            do {
                try await withDeadline(timeout, orThrow: StorageError.unavailable("no answer within \(timeout)")) { try await store.check() }
                return "ok"
            } catch {
                return "failed: \(error)"
            }
        }
        running = task
        let status = await task.value
        running = nil
        last = (ContinuousClock.now, status)
        return status
    }
}
