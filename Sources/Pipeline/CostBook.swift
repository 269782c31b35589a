import Foundation
import Storage
import Synchronization
import WalkaroundCore

/// The fleet's repair cost matrix in force: the latest one set through the API (`PUT /v1/costs`,
/// stored as versions in the database, so every pod prices with the same one), else the matrix
/// file (`walkaround.costs.path`, validated at start), else none. A deployment is one fleet.
public final class CostBook: Sendable {
    /// The matrix file's, validated at start; nil when none is configured.
    public let file: CostMatrix?
    let repository: CostMatrixRepository
    /// The last stored version read, parsed once.
    let cache = Mutex<(version: Int, matrix: CostMatrix, stored: CostMatrixRepository.Stored)?>(nil)

    public init(file: CostMatrix?, database: any SQLDatabase) {
        self.file = file
        repository = CostMatrixRepository(database: database)
    }

    /// The matrix in force and, when it was set through the API, who set it when.
    public struct Current: Sendable {
        public var matrix: CostMatrix
        public var stored: CostMatrixRepository.Stored?
    }

    /// The matrix in force (one indexed read of the latest version; parsed once per version).
    public func current() async throws -> Current? {
        guard let version = try await repository.latestVersion() else { return file.map { Current(matrix: $0, stored: nil) } }
        if let cached = cache.withLock({ $0 }), cached.version == version { return Current(matrix: cached.matrix, stored: cached.stored) }
        guard let stored = try await repository.get(version: version) else { return file.map { Current(matrix: $0, stored: nil) } }
        var matrix: CostMatrix
        do {
            matrix = try CostMatrix.load(Data(stored.document.utf8))
        } catch {
            // Validated when it was set: only a hand-edited row gets here.
            throw StorageError.decoding(column: "cost_matrices.document", expected: "a valid cost matrix (\(error))")
        }
        matrix.version = version
        let parsed = matrix
        cache.withLock { $0 = (version, parsed, stored) }
        return Current(matrix: parsed, stored: stored)
    }

    /// Just the matrix in force.
    public func matrix() async throws -> CostMatrix? { try await current()?.matrix }

    /// Sets `matrix` (already validated) as the next version, by `key`.
    public func replace(with matrix: CostMatrix, by key: APIKey) async throws -> Current {
        let stored = try await repository.add(
            document: String(decoding: matrix.document(), as: UTF8.self), at: Date().truncatedToMicroseconds, keyID: key.id, keyName: key.name
        )
        var versioned = matrix
        versioned.version = stored.version
        return Current(matrix: versioned, stored: stored)
    }
}
