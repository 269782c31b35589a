import Foundation

/// What a key may do. Default deny: anything not granted here is refused.
public enum Role: String, Sendable, Codable, CaseIterable {
    /// Creates and reads its own station's inspections.
    case station
    /// Reads every station's inspections.
    case reviewer
    /// Everything, including erasure.
    case admin
}

/// A stored API key: only its SHA-256 is kept, never the key itself.
public struct APIKey: Sendable, Equatable {
    public var id: UUID
    public var name: String?
    public var role: Role
    /// Set for `station` keys: the only station the key may act for.
    public var station: String?
    public var createdAt: Date
    /// When the key was revoked; a revoked key authenticates nothing.
    public var revokedAt: Date?

    public init(id: UUID = UUID(), name: String? = nil, role: Role, station: String?, createdAt: Date, revokedAt: Date? = nil) {
        self.id = id
        self.name = name
        self.role = role
        self.station = station
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }
}
