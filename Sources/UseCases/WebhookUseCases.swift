import Foundation
import Pipeline
import Storage
import WalkaroundCore

/// Webhook subscriptions (keys that may manage webhooks: admins): subscribe a URL to events of
/// the fleet or one station, list, delete, read the delivery log, send a delivery again.
public struct WebhookUseCases: Sendable {
    let repository: WebhookRepository
    let outbox: WebhookOutbox
    let policy: WebhookTargetPolicy
    let database: any SQLDatabase

    public static let maxSubscriptions = 100

    public init(database: any SQLDatabase, outbox: WebhookOutbox, policy: WebhookTargetPolicy) {
        self.database = database
        repository = WebhookRepository(database: database)
        self.outbox = outbox
        self.policy = policy
    }

    /// A new subscription, with its signing secret (shown this once; deliveries are signed with it).
    public func subscribe(url: String, events: [String], station: String?, description: String?, by key: APIKey) async throws -> WebhookSubscription {
        try Access.require(key, .manage, .webhooks)
        if case .failure(let refusal) = policy.check(url) { throw UseCaseError.invalid("invalid_url", refusal.reason) }
        guard !events.isEmpty, events.count <= WebhookEvent.allCases.count * 2 else {
            throw UseCaseError.invalid("invalid_events", "name at least one event: \(WebhookEvent.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var chosen: [WebhookEvent] = []
        for name in events {
            guard let event = WebhookEvent(rawValue: name) else {
                throw UseCaseError.invalid("invalid_events", "\(name.prefix(64)) is not an event: \(WebhookEvent.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            if !chosen.contains(event) { chosen.append(event) }
        }
        if let station, station.isEmpty || station.count > 64 || station.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            throw UseCaseError.invalid("invalid_station", "station must be 1–64 characters without control characters")
        }
        if let description, description.count > 200 {
            throw UseCaseError.invalid("invalid_description", "description is longer than 200 characters")
        }
        guard try await repository.subscriptions().count < Self.maxSubscriptions else {
            throw UseCaseError.conflict("too_many_subscriptions", "at most \(Self.maxSubscriptions) webhook subscriptions")
        }
        let subscription = WebhookSubscription(
            url: url, events: chosen, station: station, secret: WebhookSignature.makeSecret(), description: description, createdAt: Date().truncatedToMicroseconds
        )
        try await repository.insert(subscription)
        return subscription
    }

    public func list(by key: APIKey) async throws -> [WebhookSubscription] {
        try Access.require(key, .manage, .webhooks)
        return try await repository.subscriptions()
    }

    public func delete(_ id: UUID, by key: APIKey) async throws {
        try Access.require(key, .manage, .webhooks)
        guard try await repository.delete(id) else { throw UseCaseError.notFound("webhook subscription") }
    }

    /// The subscription's deliveries, newest first.
    public func deliveries(of id: UUID, limit: Int, by key: APIKey) async throws -> [WebhookDelivery] {
        try Access.require(key, .manage, .webhooks)
        guard try await repository.subscription(id) != nil else { throw UseCaseError.notFound("webhook subscription") }
        return try await repository.deliveries(of: id, limit: min(max(limit, 1), 200))
    }

    /// Sends a logged delivery of the subscription again: a new delivery of the same message
    /// (same `webhook-id`, so a receiver that got it already can drop it).
    public func redeliver(_ deliveryID: UUID, of id: UUID, by key: APIKey) async throws -> WebhookDelivery {
        try Access.require(key, .manage, .webhooks)
        let (repository, outbox) = (self.repository, self.outbox)
        return try await database.transaction { db in
            guard let delivery = try await repository.delivery(deliveryID, in: db), delivery.subscriptionID == id else {
                throw UseCaseError.notFound("delivery of this subscription")
            }
            return try await outbox.redeliver(delivery, at: Date().truncatedToMicroseconds, in: db)
        }
    }
}
