import Foundation

/// What a webhook subscription can be told about.
public enum WebhookEvent: String, Sendable, Codable, CaseIterable {
    /// A photo failed the quality gate; the payload carries the issues and the advice, so a
    /// station app can ask for a retake.
    case photoRejected = "photo.rejected"
    /// An inspection's report is written (the structured report with template prose; the LLM's
    /// prose may replace it later).
    case reportReady = "inspection.report_ready"
    /// A reviewer made a report final: what it charges is fixed and signed.
    case reportFinal = "report.final"
    /// A reviewer decided or corrected a damage, or drew one the model missed.
    case damageReviewed = "damage.reviewed"
}

/// A URL told about events of a fleet (every station) or of one station, with the secret its
/// deliveries are signed with (Standard Webhooks: `whsec_` and the key in base64).
public struct WebhookSubscription: Sendable, Equatable {
    public var id: UUID
    public var url: String
    public var events: [WebhookEvent]
    /// Nil: every station's events (the fleet).
    public var station: String?
    public var secret: String
    public var description: String?
    public var createdAt: Date

    public init(id: UUID = UUID(), url: String, events: [WebhookEvent], station: String?, secret: String, description: String?, createdAt: Date) {
        self.id = id
        self.url = url
        self.events = events
        self.station = station
        self.secret = secret
        self.description = description
        self.createdAt = createdAt
    }

    /// Whether an event of `event` at `station` goes to this subscription.
    public func wants(_ event: WebhookEvent, station eventStation: String) -> Bool {
        events.contains(event) && (station == nil || station == eventStation)
    }
}

/// One message to one subscription and how its delivery went.
public struct WebhookDelivery: Sendable, Equatable {
    public var id: UUID
    public var subscriptionID: UUID
    /// The inspection the event is about: erasing it erases its deliveries (their bodies name it).
    public var inspectionID: UUID?
    /// The `webhook-id`: the same on every retry and redelivery of one message, so receivers can
    /// drop repeats.
    public var messageID: String
    public var event: WebhookEvent
    /// The exact body sent (JSON), fixed when the event happened.
    public var body: String
    public var status: Status
    public var attempts: Int
    public var lastStatusCode: Int?
    public var lastError: String?
    public var createdAt: Date
    public var lastAttemptAt: Date?
    public var deliveredAt: Date?

    public enum Status: String, Sendable, Codable, CaseIterable {
        case pending
        case delivered
        case failed
    }

    public init(
        id: UUID = UUID(), subscriptionID: UUID, inspectionID: UUID?, messageID: String, event: WebhookEvent, body: String, status: Status = .pending, attempts: Int = 0,
        lastStatusCode: Int? = nil, lastError: String? = nil, createdAt: Date, lastAttemptAt: Date? = nil, deliveredAt: Date? = nil
    ) {
        self.id = id
        self.subscriptionID = subscriptionID
        self.inspectionID = inspectionID
        self.messageID = messageID
        self.event = event
        self.body = body
        self.status = status
        self.attempts = attempts
        self.lastStatusCode = lastStatusCode
        self.lastError = lastError
        self.createdAt = createdAt
        self.lastAttemptAt = lastAttemptAt
        self.deliveredAt = deliveredAt
    }
}

/// Where a webhook may be sent: `http` or `https`, a host, no credentials in the URL; and never
/// to a loopback, private, link-local or otherwise internal address unless the allow-list names
/// the host (a subscription must not become a way into the cluster).
public struct WebhookTargetPolicy: Sendable, Equatable {
    /// Host names or addresses allowed even when they are internal (tests name 127.0.0.1).
    public var allowedHosts: Set<String>

    public init(allowedHosts: Set<String> = []) {
        self.allowedHosts = Set(allowedHosts.map { $0.lowercased() })
    }

    public static let maxURLLength = 2048

    /// The URL's host, or why the URL cannot be a webhook target (before any address is looked up).
    public func check(_ text: String) -> Result<String, Refusal> {
        guard text.utf8.count <= Self.maxURLLength else { return .failure(Refusal("the URL is longer than \(Self.maxURLLength) bytes")) }
        guard let url = URLComponents(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https" else {
            return .failure(Refusal("the URL must be http or https"))
        }
        guard let host = url.host?.lowercased(), !host.isEmpty else { return .failure(Refusal("the URL has no host")) }
        guard url.user == nil, url.password == nil else { return .failure(Refusal("credentials do not belong in the URL; the deliveries are signed")) }
        guard url.fragment == nil else { return .failure(Refusal("the URL must not have a fragment")) }
        if let port = url.port, !(1...65_535).contains(port) { return .failure(Refusal("the port is out of range")) }
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        // The resolver reads "012.1.2.3" as octal (10.1.2.3), "0x7f.1" and "2130706433" as
        // 127.0.0.1: a host that looks numeric must be a plain dotted quad, read the same everywhere.
        if IPAddress(bare) == nil, Self.looksNumeric(bare) {
            return .failure(Refusal("\(bare) is not a plain IPv4 address (a.b.c.d, no leading zeros)"))
        }
        if !allowedHosts.contains(bare), let address = IPAddress(bare), address.isInternal {
            return .failure(Refusal("\(bare) is an internal address; name it in WALKAROUND_WEBHOOK_ALLOWED_HOSTS to allow it"))
        }
        if !allowedHosts.contains(bare), bare == "localhost" || bare.hasSuffix(".localhost") || bare.hasSuffix(".local") || bare.hasSuffix(".internal")
            || bare.hasSuffix(".svc") || bare.hasSuffix(".cluster.local")
        {
            return .failure(Refusal("\(bare) is an internal name; name it in WALKAROUND_WEBHOOK_ALLOWED_HOSTS to allow it"))
        }
        return .success(bare)
    }

    /// Whether a host name's last label is a number (decimal, octal or hex, as `inet_aton` reads
    /// it): such a "name" is an address in disguise. Real top-level domains are never numeric.
    static func looksNumeric(_ host: String) -> Bool {
        let trimmed = host.hasSuffix(".") ? String(host.dropLast()) : host
        guard let last = trimmed.split(separator: ".", omittingEmptySubsequences: false).last, !last.isEmpty else { return false }
        let lower = last.lowercased()
        if lower.hasPrefix("0x") { return lower.dropFirst(2).allSatisfy(\.isHexDigit) }
        return lower.allSatisfy { $0.isASCII && $0.isNumber }
    }

    /// Whether the addresses `host` resolved to may be connected to: every one must be public,
    /// unless the host is allowed.
    public func allows(host: String, resolvedTo addresses: [IPAddress]) -> Refusal? {
        if allowedHosts.contains(host.lowercased()) { return nil }
        guard !addresses.isEmpty else { return Refusal("\(host) does not resolve") }
        if let inside = addresses.first(where: \.isInternal) {
            return Refusal("\(host) resolves to the internal address \(inside); name the host in WALKAROUND_WEBHOOK_ALLOWED_HOSTS to allow it")
        }
        return nil
    }

    public struct Refusal: Error, Equatable, CustomStringConvertible {
        public var reason: String
        public init(_ reason: String) { self.reason = reason }
        public var description: String { reason }
    }
}

/// An IPv4 or IPv6 address, parsed from text, classified.
public enum IPAddress: Sendable, Equatable, CustomStringConvertible {
    case v4([UInt8])
    case v6([UInt8])

    public init?(_ text: String) {
        if let v4 = Self.parseV4(text) {
            self = .v4(v4)
        } else if let v6 = Self.parseV6(text) {
            self = .v6(v6)
        } else {
            return nil
        }
    }

    static func parseV4(_ text: String) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            // No leading zeros: "012" is octal to the system resolver, decimal here.
            guard (1...3).contains(part.count), part.allSatisfy({ $0.isASCII && $0.isNumber }), part.count == 1 || part.first != "0",
                let value = Int(part), value <= 255
            else { return nil }
            bytes.append(UInt8(value))
        }
        return bytes
    }

    static func parseV6(_ text: String) -> [UInt8]? {
        let text = text.split(separator: "%", maxSplits: 1).first.map(String.init) ?? text  // a zone index
        guard text.contains(":"), text.utf8.count <= 45 else { return nil }
        var head: [UInt16] = [], tail: [UInt16] = []
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        func groups(_ part: String, allowV4: Bool) -> [UInt16]? {
            if part.isEmpty { return [] }
            var out: [UInt16] = []
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
            for (index, piece) in pieces.enumerated() {
                if allowV4, index == pieces.count - 1, piece.contains("."), let v4 = parseV4(String(piece)) {
                    out += [UInt16(v4[0]) << 8 | UInt16(v4[1]), UInt16(v4[2]) << 8 | UInt16(v4[3])]
                } else {
                    guard (1...4).contains(piece.count), let value = UInt16(piece, radix: 16) else { return nil }
                    out.append(value)
                }
            }
            return out
        }
        guard let first = groups(halves[0], allowV4: halves.count == 1) else { return nil }
        head = first
        if halves.count == 2 {
            guard let second = groups(halves[1], allowV4: true) else { return nil }
            tail = second
            guard head.count + tail.count <= 7 else { return nil }
        } else {
            guard head.count == 8 else { return nil }
        }
        let all = head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        return all.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
    }

    /// Loopback, private (RFC 1918, unique local), link-local, carrier-grade NAT, unspecified,
    /// multicast, reserved, documentation, and IPv4 mapped into IPv6 when the IPv4 address is one of those.
    public var isInternal: Bool {
        switch self {
        case .v4(let b):
            return b[0] == 0 || b[0] == 10 || b[0] == 127 || (b[0] == 100 && (64...127).contains(b[1])) || (b[0] == 169 && b[1] == 254)
                || (b[0] == 172 && (16...31).contains(b[1])) || (b[0] == 192 && b[1] == 168) || (b[0] == 192 && b[1] == 0 && b[2] == 0)
                || (b[0] == 192 && b[1] == 0 && b[2] == 2) || (b[0] == 198 && (18...19).contains(b[1])) || (b[0] == 198 && b[1] == 51 && b[2] == 100)
                || (b[0] == 203 && b[1] == 0 && b[2] == 113) || b[0] >= 224
        case .v6(let b):
            if b[0..<10].allSatisfy({ $0 == 0 }) && b[10] == 0xFF && b[11] == 0xFF { return IPAddress.v4(Array(b[12..<16])).isInternal }
            if b[0..<15].allSatisfy({ $0 == 0 }) && (b[15] == 0 || b[15] == 1) { return true }  // :: and ::1
            if b[0] & 0xFE == 0xFC { return true }  // fc00::/7 unique local
            if b[0] == 0xFE && b[1] & 0xC0 == 0x80 { return true }  // fe80::/10 link-local
            if b[0] == 0xFF { return true }  // multicast
            if b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0D && b[3] == 0xB8 { return true }  // documentation
            if b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xFF && b[3] == 0x9B { return IPAddress.v4(Array(b[12..<16])).isInternal }  // NAT64
            return false
        }
    }

    public var description: String {
        switch self {
        case .v4(let b): b.map(String.init).joined(separator: ".")
        case .v6(let b): stride(from: 0, to: 16, by: 2).map { String(UInt16(b[$0]) << 8 | UInt16(b[$0 + 1]), radix: 16) }.joined(separator: ":")
        }
    }
}
