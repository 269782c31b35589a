import Metrics
import Pipeline
import Storage
import WalkaroundCore

/// The use-case layer: every rule about who may do what, in which state, and what a change
/// commits with. The JSON API's controllers and the web app's pages call it (and the webhooks); they
/// parse requests and render answers, the repositories below it store.
public struct UseCases: Sendable {
    public let inspections: InspectionUseCases
    public let photos: PhotoUseCases
    public let reports: ReportUseCases
    public let keys: KeyUseCases
    public let webhooks: WebhookUseCases
    public let costs: CostUseCases
    public let sessions: SessionUseCases
    public let renters: RenterUseCases

    public init(database: any SQLDatabase, blobs: any PhotoStore, erasure: InspectionErasure, queue: JobQueue, signal: WakeSignal, maxPhotosPerInspection: Int, costs: CostBook? = nil,
        signingKey: ReportSigningKey? = nil, webhooks: WebhookSettings = WebhookSettings(), languages: ReportLanguages = ReportLanguages(),
        handoff: UploadHandoff? = nil, events: InspectionEvents? = nil, metrics: any MetricsFactory = MetricsSystem.factory
    ) {
        let outbox = WebhookOutbox(database: database, queue: queue, maxAttempts: webhooks.maxAttempts)
        var inspections = InspectionUseCases(database: database, erasure: erasure, queue: queue, signal: signal)
        inspections.events = events
        self.inspections = inspections
        var intake = PhotoIntake(
            database: database, blobs: blobs, queue: queue, maxPhotosPerInspection: maxPhotosPerInspection, signal: signal, handoff: handoff
        )
        intake.events = events
        photos = PhotoUseCases(database: database, blobs: blobs, intake: intake, metrics: metrics)
        reports = ReportUseCases(database: database, blobs: blobs, costs: costs, signingKey: signingKey, outbox: outbox, languages: languages)
        self.webhooks = WebhookUseCases(database: database, outbox: outbox, policy: webhooks.policy)
        keys = KeyUseCases(database: database)
        self.costs = CostUseCases(book: costs)
        sessions = SessionUseCases(database: database)
        renters = RenterUseCases(database: database, reports: reports)
    }
}
