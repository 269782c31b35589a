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

    public init(id: UUID = UUID(), name: String? = nil, role: Role, station: String?, createdAt: Date) {
        self.id = id
        self.name = name
        self.role = role
        self.station = station
        self.createdAt = createdAt
    }

    /// Whether this key may read an inspection of `station`.
    public func canRead(station other: String) -> Bool {
        switch role {
        case .admin, .reviewer: true
        case .station: station == other
        }
    }

    /// Whether this key may create or change an inspection of `station`.
    public func canWrite(station other: String) -> Bool {
        switch role {
        case .admin: true
        case .reviewer: false
        case .station: station == other
        }
    }

    /// Erasure is reserved for admins: a station must not be able to destroy evidence.
    public var canErase: Bool { role == .admin }
}
