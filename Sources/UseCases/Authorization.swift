import Foundation
import Storage
import WalkaroundCore

extension Access {
    /// Throws `forbidden` unless the table allows `action` on `resource` of `station` for this key.
    public static func require(_ key: APIKey, _ action: Action, _ resource: Resource, station: String? = nil) throws {
        guard allows(key, action, resource, station: station) else {
            throw UseCaseError.forbidden("this \(key.role.rawValue) key may not \(action.rawValue) this \(resource.rawValue)")
        }
    }
}

extension InspectionRepository {
    /// The inspection with this id if the key may do `action` on its `resource` (the inspection
    /// itself, a photo of it, its report, its hold): `notFound` when there is none, `forbidden`
    /// when the access table refuses (ids are random UUIDs, so admitting existence leaks nothing useful).
    func authorized(_ id: UUID, for key: APIKey, _ action: Access.Action, _ resource: Access.Resource) async throws -> Inspection {
        guard let inspection = try await get(id) else { throw UseCaseError.notFound("inspection") }
        try Access.require(key, action, resource, station: inspection.station)
        return inspection
    }
}
