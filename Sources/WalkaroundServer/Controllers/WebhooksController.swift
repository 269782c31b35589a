import Foundation
import Hummingbird
import UseCases
import WalkaroundCore

/// `/v1/webhooks` (admin keys): subscriptions to events, their delivery logs, redelivery.
struct WebhooksController {
    let useCases: WebhookUseCases

    func addRoutes(to group: RouterGroup<WalkaroundRequestContext>) {
        group.post("webhooks", use: subscribe)
        group.get("webhooks", use: list)
        group.delete("webhooks/:id", use: delete)
        group.get("webhooks/:id/deliveries", use: deliveries)
        group.post("webhooks/:id/deliveries/:delivery/redeliver", use: redeliver)
    }

    struct SubscribeRequest: Decodable {
        var url: String
        var events: [String]
        var station: String?
        var description: String?
    }

    /// `POST /v1/webhooks`: 201 with the subscription and its secret, shown only here.
    @Sendable func subscribe(request: Request, context: WalkaroundRequestContext) async throws -> EditedResponse<WebhookResource> {
        let key = try context.requireKey()
        let body = try await request.decodeJSON(as: SubscribeRequest.self, context: context)
        let subscription = try await useCases.subscribe(url: body.url, events: body.events, station: body.station, description: body.description, by: key)
        var resource = WebhookResource(subscription)
        resource.secret = subscription.secret
        return EditedResponse(status: .created, headers: [.location: "/v1/webhooks/\(subscription.id.apiString)"], response: resource)
    }

    @Sendable func list(request: Request, context: WalkaroundRequestContext) async throws -> WebhookPage {
        WebhookPage(items: try await useCases.list(by: context.requireKey()).map(WebhookResource.init))
    }

    @Sendable func delete(request: Request, context: WalkaroundRequestContext) async throws -> Response {
        try await useCases.delete(InspectionsController.id(context), by: context.requireKey())
        return Response(status: .noContent)
    }

    /// `GET /v1/webhooks/{id}/deliveries?limit=`: newest first.
    @Sendable func deliveries(request: Request, context: WalkaroundRequestContext) async throws -> DeliveryPage {
        var limit = 50
        if let text = request.uri.queryParameters["limit"] {
            guard let value = Int(text), (1...200).contains(value) else { throw APIError.badRequest("invalid_parameter", "limit must be 1–200") }
            limit = value
        }
        let items = try await useCases.deliveries(of: InspectionsController.id(context), limit: limit, by: context.requireKey())
        return DeliveryPage(items: items.map(DeliveryResource.init))
    }

    /// `POST /v1/webhooks/{id}/deliveries/{delivery}/redeliver`: 202 with the new delivery.
    @Sendable func redeliver(request: Request, context: WalkaroundRequestContext) async throws -> EditedResponse<DeliveryResource> {
        let delivery = try InspectionsController.parseID(context.parameters.require("delivery"))
        let again = try await useCases.redeliver(delivery, of: InspectionsController.id(context), by: context.requireKey())
        return EditedResponse(status: .accepted, response: DeliveryResource(again))
    }
}

/// A subscription as the API shows it; the secret only in the answer that created it.
struct WebhookResource: ResponseCodable {
    var id: String
    var url: String
    var events: [String]
    var station: String?
    var description: String?
    var createdAt: Date
    var secret: String?

    init(_ subscription: WebhookSubscription) {
        id = subscription.id.apiString
        url = subscription.url
        events = subscription.events.map(\.rawValue)
        station = subscription.station
        description = subscription.description
        createdAt = subscription.createdAt
    }
}

struct WebhookPage: ResponseCodable {
    var items: [WebhookResource]
}

/// One delivery: the message, how its attempts went, and the body sent.
struct DeliveryResource: ResponseCodable {
    var id: String
    var subscriptionId: String
    var messageId: String
    var event: String
    var status: String
    var attempts: Int
    var lastStatusCode: Int?
    var lastError: String?
    var createdAt: Date
    var lastAttemptAt: Date?
    var deliveredAt: Date?
    var body: String

    init(_ delivery: WebhookDelivery) {
        id = delivery.id.apiString
        subscriptionId = delivery.subscriptionID.apiString
        messageId = delivery.messageID
        event = delivery.event.rawValue
        status = delivery.status.rawValue
        attempts = delivery.attempts
        lastStatusCode = delivery.lastStatusCode
        lastError = delivery.lastError
        createdAt = delivery.createdAt
        lastAttemptAt = delivery.lastAttemptAt
        deliveredAt = delivery.deliveredAt
        body = delivery.body
    }
}

struct DeliveryPage: ResponseCodable {
    var items: [DeliveryResource]
}
