import Crypto
import Foundation
import Logging
import Storage
import WalkaroundCore

/// The renter's side of a final report: a reviewer makes a link (signed with the report signing
/// key, expiring, revocable); whoever holds it sees the final report's charged damages with their
/// evidence, the total and the signature's fingerprint, and may contest a charged damage, which
/// sends the report back to draft and the damage back to review. The link reaches nothing else.
public struct RenterUseCases: Sendable {
    let reportUseCases: ReportUseCases
    let links: RenterLinkRepository
    let database: any SQLDatabase

    public init(database: any SQLDatabase, reports: ReportUseCases) {
        self.database = database
        reportUseCases = reports
        links = RenterLinkRepository(database: database)
    }

    /// What a renter's link opens.
    public struct View: Sendable {
        public var link: RenterLink
        public var stored: StoredReport
        public var report: InspectionReport
        /// The charged damages at their reviewed values (none while the report is back in review).
        public var charged: [ReviewedDamage]
        public var estimate: CostEstimate?
        public var disputes: [Dispute]
        /// SHA-256 of the signed document and the signing key's id; nil while not final or unsigned.
        public var fingerprint: (digest: String, keyID: String)?
    }

    /// The longest a link may live, and its default.
    public static let maxDays = 90
    public static let defaultDays = 30

    // MARK: Reviewers

    /// A link to the final report of `inspectionID` (keys that may change reports): the link and
    /// the token its URL carries (shown once, never stored).
    public func createLink(_ inspectionID: UUID, days: Int?, by key: APIKey, logger: Logger) async throws -> (link: RenterLink, token: String) {
        // Who may first (a station key learns nothing of the report's state), then the report.
        _ = try await reportUseCases.inspections.authorized(inspectionID, for: key, .change, .report)
        let stored = try await reportUseCases.report(of: inspectionID, by: key)
        guard stored.review.state == .final else {
            throw UseCaseError.conflict("report_not_final", "a renter link is made for a final report; this one is \(stored.review.state.rawValue)")
        }
        guard let signingKey = reportUseCases.signingKey else {
            throw UseCaseError.conflict("no_signing_key", "renter links are signed with the report signing key, and none is configured")
        }
        let days = days ?? Self.defaultDays
        guard (1...Self.maxDays).contains(days) else { throw UseCaseError.invalid("invalid_field", "days must be from 1 to \(Self.maxDays)") }
        let now = Date().truncatedToMicroseconds
        // Whole seconds: the token carries the expiry.
        let expires = Date(timeIntervalSince1970: (now.timeIntervalSince1970 + Double(days) * 86_400).rounded(.down))
        let link = RenterLink(inspectionID: inspectionID, createdBy: key.id, createdAt: now, expiresAt: expires)
        try await links.insert(link)
        logger.notice("renter link made", metadata: ["inspection_id": "\(inspectionID)", "link": "\(link.id)", "by": "\(key.id)"])
        return (link, try Self.token(for: link, with: signingKey))
    }

    public func links(of inspectionID: UUID, by key: APIKey) async throws -> [RenterLink] {
        // Who may first (a station key learns nothing of the report's state), then the report.
        _ = try await reportUseCases.inspections.authorized(inspectionID, for: key, .change, .report)
        _ = try await reportUseCases.report(of: inspectionID, by: key)
        return try await links.links(of: inspectionID)
    }

    public func revokeLink(_ id: UUID, of inspectionID: UUID, by key: APIKey, logger: Logger) async throws -> RenterLink {
        // Who may first (a station key learns nothing of the report's state), then the report.
        _ = try await reportUseCases.inspections.authorized(inspectionID, for: key, .change, .report)
        _ = try await reportUseCases.report(of: inspectionID, by: key)
        guard let revoked = try await links.revoke(id, of: inspectionID, at: Date()) else { throw UseCaseError.notFound("live renter link") }
        logger.notice("renter link revoked", metadata: ["inspection_id": "\(inspectionID)", "link": "\(id)", "by": "\(key.id)"])
        return revoked
    }

    /// The disputes of an inspection whose report the key may change (reviewers), oldest first.
    public func disputes(of inspectionID: UUID, by key: APIKey) async throws -> [Dispute] {
        // Who may first (a station key learns nothing of the report's state), then the report.
        _ = try await reportUseCases.inspections.authorized(inspectionID, for: key, .change, .report)
        _ = try await reportUseCases.report(of: inspectionID, by: key)
        return try await links.disputes(of: inspectionID)
    }

    // MARK: The renter

    /// The one answer for a link that is not ours, altered, expired or revoked.
    public static let invalidLink = UseCaseError(.notFound, code: "renter_link_invalid", message: "this renter link is not valid")

    /// Disputes one link may make: one per charged damage, at most this many.
    public static let maxDisputesPerLink = 20

    /// `<link id>.<expiry, seconds since 1970>.<Ed25519 signature, base64url>`.
    static func token(for link: RenterLink, with key: ReportSigningKey) throws -> String {
        let payload = "\(link.id.uuidString.lowercased()).\(Int64(link.expiresAt.timeIntervalSince1970))"
        let signature = try key.privateKey.signature(for: Data(Self.signed(payload).utf8))
        return payload + "." + Base64URL.encode(signature)
    }

    static func signed(_ payload: String) -> String { "walkaround-renter-link/v1\n" + payload }


    /// The link a token names, if its signature is ours, it has not expired and is not revoked;
    /// else `notFound` (the same answer whatever is wrong: a token reveals nothing).
    func link(of token: String, at date: Date = Date()) async throws -> RenterLink {
        let refused = Self.invalidLink
        guard token.utf8.count <= 200, let signingKey = reportUseCases.signingKey else { throw refused }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let id = UUID(uuidString: String(parts[0])), let expiry = Int64(parts[1]),
            let signature = Base64URL.decode(String(parts[2])),
            // One spelling only: base64's spare bits in the last character would let altered links pass.
            Base64URL.encode(signature) == parts[2], String(expiry) == parts[1],
            signingKey.publicKey.isValidSignature(signature, for: Data(Self.signed("\(parts[0]).\(parts[1])").utf8)),
            Date(timeIntervalSince1970: TimeInterval(expiry)) > date
        else { throw refused }
        guard let link = try await links.get(id), link.isLive(at: date), Int64(link.expiresAt.timeIntervalSince1970) == expiry else { throw refused }
        return link
    }


    public func view(token: String) async throws -> View {
        let link = try await link(of: token)
        guard let stored = try await reportUseCases.reports.get(link.inspectionID), let report = stored.report else { throw Self.invalidLink }
        let final = stored.review.state == .final
        var fingerprint: (String, String)?
        if final, let signed = stored.signed, let keyID = reportUseCases.signingKey?.id {
            fingerprint = (SHA256.hash(data: signed).map { String(format: "%02x", $0) }.joined(), keyID)
        }
        return View(
            link: link, stored: stored, report: report, charged: final ? stored.review.damages(of: report).filter(\.chargeable) : [],
            estimate: final ? stored.review.chargeable : nil, disputes: try await links.disputes(of: link.inspectionID), fingerprint: fingerprint
        )
    }

    /// One side of a charged damage's evidence, for the renter's page.
    public func evidence(token: String, damage: String, side: DamageEvidence.Side) async throws -> (crop: EvidenceCrop, bytes: [UInt8], detections: [Detection]) {
        let view = try await view(token: token)
        guard view.charged.contains(where: { $0.id == damage }) else { throw UseCaseError.notFound("evidence of damage \(damage)") }
        return try await reportUseCases.evidence(unchecked: view.stored, damage: damage, side: side)
    }

    /// The renter contests a charged damage (1–1,000 characters of their own words): the dispute is
    /// stored, the report goes back to draft and the damage needs a decision again; an audit
    /// record keeps what was charged and the signed document's fingerprint.
    public func dispute(token: String, damage: String, text: String, logger: Logger) async throws -> Dispute {
        let link = try await link(of: token)
        let words = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...1_000).contains(words.count) else {
            throw UseCaseError.invalid("invalid_dispute", "say in 1 to 1,000 characters why the damage is contested")
        }
        guard !words.unicodeScalars.contains(where: { $0.properties.generalCategory == .control && !["\n", "\r", "\t"].contains($0) }) else {
            throw UseCaseError.invalid("invalid_dispute", "the text may not contain control characters")
        }
        // Each charged damage once per link: a reviewer's second look is not reopened again by the same link.
        let earlier = try await links.disputes(of: link.inspectionID).filter { $0.linkID == link.id }
        guard !earlier.contains(where: { $0.damage == damage }) else {
            throw UseCaseError.conflict("already_disputed", "this damage was already contested through this link")
        }
        guard earlier.count < Self.maxDisputesPerLink else {
            throw UseCaseError.conflict("too_many_disputes", "this link has made \(Self.maxDisputesPerLink) disputes")
        }
        let dispute = Dispute(inspectionID: link.inspectionID, linkID: link.id, damage: damage, text: words, createdAt: Date().truncatedToMicroseconds)
        let links = self.links
        try await reportUseCases.reopen(link.inspectionID, damage: damage, note: words) { db in try await links.insert(dispute, in: db) }
        logger.notice("damage disputed", metadata: ["inspection_id": "\(link.inspectionID)", "damage": "\(damage)", "link": "\(link.id)"])
        return dispute
    }
}
