import Foundation
import WalkaroundCore

/// A link a reviewer gives the renter to a final report, and what renters said through it.
public struct RenterLink: Sendable, Equatable {
    public var id: UUID
    public var inspectionID: UUID
    public var createdBy: UUID?
    public var createdAt: Date
    public var expiresAt: Date
    public var revokedAt: Date?

    public init(id: UUID = UUID(), inspectionID: UUID, createdBy: UUID?, createdAt: Date, expiresAt: Date, revokedAt: Date? = nil) {
        self.id = id
        self.inspectionID = inspectionID
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
    }

    /// Usable at `date`: not revoked and not expired.
    public func isLive(at date: Date) -> Bool { revokedAt == nil && expiresAt > date }
}

/// A renter's objection to one charged damage.
public struct Dispute: Sendable, Equatable {
    public var id: UUID
    public var inspectionID: UUID
    public var linkID: UUID?
    public var damage: String
    public var text: String
    public var createdAt: Date

    public init(id: UUID = UUID(), inspectionID: UUID, linkID: UUID?, damage: String, text: String, createdAt: Date) {
        self.id = id
        self.inspectionID = inspectionID
        self.linkID = linkID
        self.damage = damage
        self.text = text
        self.createdAt = createdAt
    }
}

public struct RenterLinkRepository: Sendable {
    public let database: any SQLDatabase

    public init(database: any SQLDatabase) {
        self.database = database
    }

    public func insert(_ link: RenterLink) async throws {
        try await database.execute(
            """
            INSERT INTO renter_links (id, inspection_id, created_by, created_at, expires_at)
            VALUES (\(link.id), \(link.inspectionID), \(link.createdBy), \(link.createdAt), \(link.expiresAt))
            """
        )
    }

    public func get(_ id: UUID) async throws -> RenterLink? {
        try await database.first("SELECT * FROM renter_links WHERE id = \(id)").map(Self.link)
    }

    public func links(of inspectionID: UUID) async throws -> [RenterLink] {
        try await database.execute("SELECT * FROM renter_links WHERE inspection_id = \(inspectionID) ORDER BY created_at, id").map(Self.link)
    }

    /// Revokes a live link of the inspection; nil when there is none.
    public func revoke(_ id: UUID, of inspectionID: UUID, at date: Date) async throws -> RenterLink? {
        try await database.first(
            """
            UPDATE renter_links SET revoked_at = \(date.truncatedToMicroseconds)
            WHERE id = \(id) AND inspection_id = \(inspectionID) AND revoked_at IS NULL RETURNING *
            """
        ).map(Self.link)
    }

    public func insert(_ dispute: Dispute, in db: any SQLExecutor) async throws {
        try await db.execute(
            """
            INSERT INTO disputes (id, inspection_id, link_id, damage, text, created_at)
            VALUES (\(dispute.id), \(dispute.inspectionID), \(dispute.linkID), \(dispute.damage), \(dispute.text), \(dispute.createdAt))
            """
        )
    }

    public func disputes(of inspectionID: UUID) async throws -> [Dispute] {
        try await database.execute("SELECT * FROM disputes WHERE inspection_id = \(inspectionID) ORDER BY created_at, id").map { row in
            Dispute(
                id: try row.uuid("id"), inspectionID: try row.uuid("inspection_id"), linkID: try row.optionalUUID("link_id"), damage: try row.string("damage"),
                text: try row.string("text"), createdAt: try row.date("created_at")
            )
        }
    }

    static func link(_ row: SQLRow) throws -> RenterLink {
        RenterLink(
            id: try row.uuid("id"), inspectionID: try row.uuid("inspection_id"), createdBy: try row.optionalUUID("created_by"),
            createdAt: try row.date("created_at"), expiresAt: try row.date("expires_at"), revokedAt: try row.optionalDate("revoked_at")
        )
    }
}
