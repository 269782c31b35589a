import Foundation
import Hummingbird
import Pipeline
import UseCases
import WalkaroundCore

/// `/v1/costs`: the fleet's repair cost matrix; read (reviewer, admin), replaced (admin).
struct CostsController {
    let useCases: CostUseCases

    func addRoutes(to group: RouterGroup<WalkaroundRequestContext>) {
        group.get("costs", use: current)
        group.put("costs", use: replace)
    }

    @Sendable func current(request: Request, context: WalkaroundRequestContext) async throws -> CostMatrixResource {
        CostMatrixResource(try await useCases.current(by: context.requireKey()))
    }

    /// `PUT /v1/costs` with the matrix file's JSON (up to 10 000 entries): 200 with the new version.
    @Sendable func replace(request: Request, context: WalkaroundRequestContext) async throws -> CostMatrixResource {
        let key = try context.requireKey()
        let document = try await request.jsonBody(limit: 2 * 1024 * 1024)
        return CostMatrixResource(try await useCases.replace(with: document, by: key))
    }
}

/// The matrix in force: where it came from (`api` with its version and who set it, or `file`)
/// and its cells as the file writes them.
struct CostMatrixResource: ResponseCodable {
    var source: String
    var version: Int?
    var setAt: Date?
    var setBy: SetBy?
    var currency: String
    var entries: [CostMatrix.Entry]

    /// The key's name only: reviewers read this too, and key ids are for admins.
    struct SetBy: Codable {
        var name: String?
    }

    init(_ current: CostBook.Current) {
        source = current.stored == nil ? "file" : "api"
        version = current.stored?.version
        setAt = current.stored?.setAt
        setBy = current.stored.map { SetBy(name: $0.keyName) }
        currency = current.matrix.currency
        entries = current.matrix.entries
    }
}
