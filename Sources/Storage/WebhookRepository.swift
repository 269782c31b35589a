import Foundation
import WalkaroundCore

/// Webhook subscriptions and the log of their deliveries.
public struct WebhookRepository: Sendable {
    public let database: any SQLDatabase

    public init(database: any SQLDatabase) {
        self.database = database
    }

    public func insert(_ subscription: WebhookSubscription) async throws {
        try await database.execute(
            """
            INSERT INTO webhook_subscriptions (id, url, events, station, secret, description, created_at)
            VALUES (\(subscription.id), \(subscription.url), \(subscription.events.map(\.rawValue).joined(separator: ",")), \(subscription.station),
                    \(subscription.secret), \(subscription.description), \(subscription.createdAt))
            """
        )
    }

    /// Every subscription, oldest first.
    public func subscriptions(in db: (any SQLExecutor)? = nil) async throws -> [WebhookSubscription] {
        try await (db ?? database).execute("SELECT * FROM webhook_subscriptions ORDER BY created_at, id").map(WebhookSubscription.init(row:))
    }

    public func subscription(_ id: UUID, in db: (any SQLExecutor)? = nil) async throws -> WebhookSubscription? {
        try await (db ?? database).first("SELECT * FROM webhook_subscriptions WHERE id = \(id)").map(WebhookSubscription.init(row:))
    }

    /// Deletes a subscription with its delivery log and pending deliveries; false when there was none.
    public func delete(_ id: UUID) async throws -> Bool {
        try await !database.execute("DELETE FROM webhook_subscriptions WHERE id = \(id) RETURNING id").isEmpty
    }

    public func insert(_ delivery: WebhookDelivery, in db: any SQLExecutor) async throws {
        try await db.execute(
            """
            INSERT INTO webhook_deliveries (id, subscription_id, inspection_id, message_id, event, body, status, attempts, created_at)
            VALUES (\(delivery.id), \(delivery.subscriptionID), \(delivery.inspectionID), \(delivery.messageID), \(delivery.event.rawValue), \(delivery.body),
                    \(delivery.status.rawValue), 0, \(delivery.createdAt))
            """
        )
    }

    public func delivery(_ id: UUID, in db: (any SQLExecutor)? = nil) async throws -> WebhookDelivery? {
        try await (db ?? database).first("SELECT * FROM webhook_deliveries WHERE id = \(id)").map(WebhookDelivery.init(row:))
    }

    /// A subscription's deliveries, newest first, at most `limit`.
    public func deliveries(of subscriptionID: UUID, limit: Int) async throws -> [WebhookDelivery] {
        try await database.execute(
            "SELECT * FROM webhook_deliveries WHERE subscription_id = \(subscriptionID) ORDER BY created_at DESC, id DESC LIMIT \(limit)"
        ).map(WebhookDelivery.init(row:))
    }

    /// Records one attempt's outcome (in the caller's transaction, with the job's transition).
    public func recordAttempt(
        _ id: UUID, status: WebhookDelivery.Status, statusCode: Int?, error: String?, at date: Date, in db: any SQLExecutor
    ) async throws {
        try await db.execute(
            """
            UPDATE webhook_deliveries SET status = \(status.rawValue), attempts = attempts + 1, last_status_code = \(statusCode),
                last_error = \(error), last_attempt_at = \(date), delivered_at = \(status == .delivered ? date : nil)
            WHERE id = \(id)
            """
        )
    }

    /// Marks a delivery failed for good without another attempt (its job gave up).
    public func markFailed(_ id: UUID, reason: String, in db: any SQLExecutor) async throws {
        try await db.execute("UPDATE webhook_deliveries SET status = \(WebhookDelivery.Status.failed.rawValue), last_error = \(reason) WHERE id = \(id)")
    }
}

extension WebhookSubscription {
    init(row: SQLRow) throws {
        self.init(
            id: try row.uuid("id"), url: try row.string("url"),
            events: try row.string("events").split(separator: ",").compactMap { WebhookEvent(rawValue: String($0)) },
            station: try row.optionalString("station"), secret: try row.string("secret"), description: try row.optionalString("description"),
            createdAt: try row.date("created_at")
        )
    }
}

extension WebhookDelivery {
    init(row: SQLRow) throws {
        self.init(
            id: try row.uuid("id"), subscriptionID: try row.uuid("subscription_id"), inspectionID: try row.optionalUUID("inspection_id"), messageID: try row.string("message_id"),
            event: try row.value("event"), body: try row.string("body"), status: try row.value("status"), attempts: try row.int("attempts"),
            lastStatusCode: try row.optionalInt("last_status_code"), lastError: try row.optionalString("last_error"),
            createdAt: try row.date("created_at"), lastAttemptAt: try row.optionalDate("last_attempt_at"), deliveredAt: try row.optionalDate("delivered_at")
        )
    }
}
