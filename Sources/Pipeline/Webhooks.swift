import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import NIOCore
import NIOPosix
import Storage
import WalkaroundCore

/// How webhooks are sent.
public struct WebhookSettings: Sendable {
    public var policy: WebhookTargetPolicy
    /// One delivery attempt's limit (connect, send, answer).
    public var timeout: Duration
    /// Attempts per delivery (408, 429, 5xx and no answer are retried with the queue's backoff).
    public var maxAttempts: Int

    public init(policy: WebhookTargetPolicy = WebhookTargetPolicy(), timeout: Duration = .seconds(10), maxAttempts: Int = 8) {
        self.policy = policy
        self.timeout = timeout
        self.maxAttempts = max(1, min(maxAttempts, 50))
    }
}

/// Turns an event into deliveries: one per subscription that wants it, each with its job, in the
/// transaction of the change that caused the event (so an event is sent if and only if its
/// change committed, and survives any crash after).
public struct WebhookOutbox: Sendable {
    let queue: JobQueue
    let repository: WebhookRepository
    let maxAttempts: Int

    public init(database: any SQLDatabase, queue: JobQueue, maxAttempts: Int = WebhookSettings().maxAttempts) {
        self.queue = queue
        repository = WebhookRepository(database: database)
        self.maxAttempts = maxAttempts
    }

    /// The body every delivery of an event carries: `type`, `timestamp` and the event's `data`.
    struct Envelope<Payload: Encodable>: Encodable {
        var type: String
        var timestamp: Date
        var data: Payload
    }

    /// Records `event` at `station` for every subscription that wants it; returns how many.
    @discardableResult
    public func emit(
        _ event: WebhookEvent, inspection: UUID, station: String, data: some Encodable, at date: Date, in db: any SQLExecutor
    ) async throws -> Int {
        let wanting = try await repository.subscriptions(in: db).filter { $0.wants(event, station: station) }
        guard !wanting.isEmpty else { return 0 }
        let body = String(decoding: try APIJSON.lowercasingIDs(APIJSON.encoder.encode(Envelope(type: event.rawValue, timestamp: date, data: data))), as: UTF8.self)
        let messageID = "msg_" + UUID().uuidString.lowercased()
        for subscription in wanting {
            let delivery = WebhookDelivery(subscriptionID: subscription.id, inspectionID: inspection, messageID: messageID, event: event, body: body, createdAt: date)
            try await repository.insert(delivery, in: db)
            try await queue.enqueueDelivery(delivery.id, maxAttempts: maxAttempts, at: date, in: db)
        }
        return wanting.count
    }

    /// Sends a logged delivery again (a new delivery of the same message, with its own attempts).
    public func redeliver(_ delivery: WebhookDelivery, at date: Date, in db: any SQLExecutor) async throws -> WebhookDelivery {
        let again = WebhookDelivery(
            subscriptionID: delivery.subscriptionID, inspectionID: delivery.inspectionID, messageID: delivery.messageID, event: delivery.event, body: delivery.body, createdAt: date)
        try await repository.insert(again, in: db)
        try await queue.enqueueDelivery(again.id, maxAttempts: maxAttempts, at: date, in: db)
        return again
    }
}

/// Standard Webhooks signing: `v1,` and the base64 HMAC-SHA256 of `id.timestamp.body` with the
/// secret's key (the base64 after `whsec_`).
public enum WebhookSignature {
    public static func makeSecret() -> String {
        var random = SystemRandomNumberGenerator()
        return "whsec_" + Data((0..<32).map { _ in UInt8.random(in: .min ... .max, using: &random) }).base64EncodedString()
    }

    public static func sign(secret: String, messageID: String, timestamp: Int, body: String) -> String? {
        guard secret.hasPrefix("whsec_"), let key = Data(base64Encoded: String(secret.dropFirst(6))), !key.isEmpty else { return nil }
        let code = HMAC<SHA256>.authenticationCode(for: Data("\(messageID).\(timestamp).\(body)".utf8), using: SymmetricKey(data: key))
        return "v1," + Data(code).base64EncodedString()
    }
}

/// The `deliver_webhook` job: one signed POST of a logged delivery to its subscription's URL,
/// after checking the URL and every address its host resolves to against the target policy.
/// Redirects are never followed; 2xx is delivered; 408, 429, 5xx, a timeout or no connection is
/// retried with backoff; any other answer fails the delivery at once.
public struct WebhookDeliverer: Sendable {
    let database: any SQLDatabase
    let queue: JobQueue
    let repository: WebhookRepository
    let settings: WebhookSettings
    let logger: Logger

    /// Never follows a redirect (a 3xx is an answer, not a new target to check). Untraced: a
    /// customer's URL may carry its secret, and our trace context is not theirs (the job's span
    /// covers the delivery).
    static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(5), read: .seconds(30)))
        configuration.tracing.tracer = nil
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    public init(database: any SQLDatabase, queue: JobQueue, settings: WebhookSettings, logger: Logger) {
        self.database = database
        self.queue = queue
        repository = WebhookRepository(database: database)
        self.settings = settings
        self.logger = logger
    }

    /// The most of an answer's body read (and then dropped).
    static let maxAnswerBytes = 64 << 10

    public func process(_ job: Job) async throws {
        guard let id = job.deliveryID, let delivery = try await repository.delivery(id),
            let subscription = try await repository.subscription(delivery.subscriptionID)
        else {
            // The subscription was deleted (its log with it): nothing to send.
            return try await queue.complete(job, at: Date(), in: database)
        }
        let outcome = await send(delivery, to: subscription)
        let now = Date()
        switch outcome {
        case .delivered(let code):
            try await database.transaction { db in
                try await queue.complete(job, at: now, in: db)
                try await repository.recordAttempt(id, status: .delivered, statusCode: code, error: nil, at: now, in: db)
            }
        case .failed(let code, let reason, let retryable):
            let last = !retryable || job.attempts >= job.maxAttempts
            try await repository.recordAttempt(id, status: last ? .failed : .pending, statusCode: code, error: reason, at: now, in: database)
            logger.warning(
                "webhook delivery failed",
                metadata: ["subscription": "\(subscription.id)", "delivery": "\(id)", "status": "\(code.map(String.init) ?? "-")", "error": "\(reason)"]
            )
            throw retryable ? JobFailure.transient(reason) : JobFailure.permanent(reason)
        }
    }

    enum Outcome: Equatable {
        case delivered(Int)
        case failed(Int?, String, retryable: Bool)
    }

    func send(_ delivery: WebhookDelivery, to subscription: WebhookSubscription) async -> Outcome {
        let host: String
        switch settings.policy.check(subscription.url) {
        case .failure(let refusal): return .failed(nil, "refused: \(refusal.reason)", retryable: false)
        case .success(let checked): host = checked
        }
        let addresses: [IPAddress]
        do {
            addresses = try await NIOThreadPool.singleton.runIfActive { Self.resolve(host) }
        } catch {
            return .failed(nil, "\(host) could not be resolved: \(error)", retryable: true)
        }
        if let refusal = settings.policy.allows(host: host, resolvedTo: addresses) {
            // No address (DNS may recover) is retried; an internal one is not.
            return .failed(nil, "refused: \(refusal.reason)", retryable: addresses.isEmpty)
        }
        let timestamp = Int(Date().timeIntervalSince1970)
        guard let signature = WebhookSignature.sign(secret: subscription.secret, messageID: delivery.messageID, timestamp: timestamp, body: delivery.body) else {
            return .failed(nil, "the subscription's secret is not a whsec_ secret", retryable: false)
        }
        var request = HTTPClientRequest(url: subscription.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "Walkaround-Webhooks/1")
        request.headers.add(name: "webhook-id", value: delivery.messageID)
        request.headers.add(name: "webhook-timestamp", value: String(timestamp))
        request.headers.add(name: "webhook-signature", value: signature)
        request.body = .bytes(ByteBuffer(string: delivery.body))
        let deadline = NIODeadline.now() + .nanoseconds(Int64(settings.timeout.seconds * 1e9))
        do {
            let response = try await Self.client.execute(request, deadline: deadline)
            // Read (a bounded part of) the answer so the connection can be reused; its content is not kept.
            _ = try? await response.body.collect(upTo: Self.maxAnswerBytes)
            let code = Int(response.status.code)
            switch code {
            case 200..<300: return .delivered(code)
            case 300..<400: return .failed(code, "answered \(code) (redirects are not followed)", retryable: false)
            case 408, 429, 500..<600: return .failed(code, "answered \(code)", retryable: true)
            default: return .failed(code, "answered \(code)", retryable: false)
            }
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
            return .failed(nil, "no answer within \(settings.timeout.seconds) s", retryable: true)
        } catch {
            return .failed(nil, "could not deliver: \(error)", retryable: true)
        }
    }

    /// Every address `host` resolves to (the host itself when it is an address).
    static func resolve(_ host: String) -> [IPAddress] {
        if let literal = IPAddress(host) { return [literal] }
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &result) == 0, let first = result else { return [] }
        defer { freeaddrinfo(first) }
        var addresses: [IPAddress] = []
        var node: UnsafeMutablePointer<addrinfo>? = first
        while let current = node {
            var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            if let address = current.pointee.ai_addr {
                switch current.pointee.ai_family {
                case AF_INET:
                    address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { pointer in
                        var raw = pointer.pointee.sin_addr
                        _ = inet_ntop(AF_INET, &raw, &buffer, socklen_t(buffer.count))
                    }
                case AF_INET6:
                    address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                        var raw = pointer.pointee.sin6_addr
                        _ = inet_ntop(AF_INET6, &raw, &buffer, socklen_t(buffer.count))
                    }
                default: break
                }
            }
            let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if let parsed = IPAddress(text), !addresses.contains(parsed) { addresses.append(parsed) }
            node = current.pointee.ai_next
        }
        return addresses
    }
}
