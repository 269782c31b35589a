import Foundation
import Pipeline
import Storage
import WalkaroundCore

/// The fleet's repair cost matrix: read it (reviewers and admins), replace it (admins). A new
/// matrix is validated whole before it is stored (every problem named) and prices every report
/// written or finalised after it, on every pod; reports already final keep their frozen prices.
public struct CostUseCases: Sendable {
    let book: CostBook?

    public init(book: CostBook?) {
        self.book = book
    }

    /// The matrix in force; `notFound` when none is configured.
    public func current(by key: APIKey) async throws -> CostBook.Current {
        try Access.require(key, .read, .costs)
        guard let current = try await book?.current() else { throw UseCaseError.notFound("cost matrix (none is configured)") }
        return current
    }

    /// Validates `document` (`CostMatrix.load`'s format) and sets it as the next version.
    public func replace(with document: Data, by key: APIKey) async throws -> CostBook.Current {
        try Access.require(key, .change, .costs)
        guard let book else { throw UseCaseError.notFound("cost matrix store") }
        let matrix: CostMatrix
        do {
            matrix = try CostMatrix.load(document)
        } catch let invalid as CostMatrix.Invalid {
            throw UseCaseError.invalid("invalid_cost_matrix", invalid.description)
        }
        return try await book.replace(with: matrix, by: key)
    }
}
