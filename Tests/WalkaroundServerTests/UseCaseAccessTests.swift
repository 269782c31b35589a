import Foundation
import Logging
import Storage
import Testing
import UseCases
import WalkaroundCore

@testable import WalkaroundServer

/// Every cell of the access table that a use case acts on, walked through the use-case layer
/// itself (the one place every way in goes through): a station key of the owning station, a
/// station key of another station, a reviewer and an admin each try each operation on Munich's
/// evidence; the operation must be refused exactly when `Access.allows` refuses.
///
/// Cells no use case acts on (for example `photo × erase`, `keys × read`) are deny for every role
/// but admin and are checked as data by `AccessTableTests`; `vehicle × change` needs a second
/// station's vehicle and is walked over HTTP by `AccessTests.aStationCannotRePlateOrReVINAVehicleOthersUse`.
@Suite("Access through the use-case layer")
struct UseCaseAccessTests {
    /// Munich's evidence: an inspection with one processed photo, its vehicle's plate, and a maker
    /// of fresh inspections for operations that change or remove what they act on.
    struct Fixture: Sendable {
        let useCases: UseCases
        let inspection: UUID
        let photo: UUID
        let plate: String
        let fresh: @Sendable () async throws -> UUID
    }

    struct Operation: Sendable, CustomStringConvertible {
        let resource: Access.Resource
        let action: Access.Action
        let run: @Sendable (Fixture, APIKey) async throws -> Void
        var description: String { "\(action.rawValue) \(resource.rawValue)" }
    }

    static let logger = Logger(label: "use-case-access")

    static let operations: [Operation] = [
        Operation(resource: .inspection, action: .read) { f, key in _ = try await f.useCases.inspections.details(f.inspection, by: key) },
        Operation(resource: .inspection, action: .create) { f, key in
            _ = try await f.useCases.inspections.create(
                InspectionDraft(kind: "checkout", station: "MUC-01", plate: "M-UC 2", vin: nil, reference: nil), by: key, logger: logger
            )
        },
        // A fresh inspection without photos: past access, completion is refused as a conflict.
        Operation(resource: .inspection, action: .change) { f, key in _ = try await f.useCases.inspections.complete(try await f.fresh(), by: key, logger: logger) },
        Operation(resource: .inspection, action: .erase) { f, key in try await f.useCases.inspections.erase(try await f.fresh(), by: key, logger: logger) },
        Operation(resource: .photo, action: .read) { f, key in _ = try await f.useCases.photos.photo(f.photo, by: key) },
        Operation(resource: .photo, action: .create) { f, key in _ = try await f.useCases.photos.mayUpload(to: f.inspection, by: key) },
        // The inspection is open: past access, the report is refused as a conflict.
        Operation(resource: .report, action: .read) { f, key in _ = try await f.useCases.reports.report(of: f.inspection, by: key) },
        // Reviewing a damage: past access, the open inspection's report is refused as a conflict.
        Operation(resource: .report, action: .change) { f, key in
            _ = try await f.useCases.reports.reviewDamage(f.inspection, damage: "D1", change: DamageReviewChange(decision: .confirmed), ifVersion: 1, by: key)
        },
        Operation(resource: .vehicle, action: .read) { f, key in
            _ = try await f.useCases.inspections.vehicleHistory(plate: f.plate, limit: 10, after: nil, by: key)
        },
        Operation(resource: .hold, action: .change) { f, key in
            _ = try await f.useCases.inspections.setHold(try await f.fresh(), reason: "renter disputes the dent", by: key, logger: logger)
        },
        Operation(resource: .keys, action: .manage) { f, key in _ = try await f.useCases.keys.list(by: key) },
        Operation(resource: .webhooks, action: .manage) { f, key in _ = try await f.useCases.webhooks.list(by: key) },
        // No matrix is configured: past access, reading it is refused as not found.
        Operation(resource: .costs, action: .read) { f, key in _ = try await f.useCases.costs.current(by: key) },
        // Past access, an invalid matrix is refused as invalid.
        Operation(resource: .costs, action: .change) { f, key in _ = try await f.useCases.costs.replace(with: Data("{}".utf8), by: key) },
        // Past access, an invalid URL is refused as invalid.
        Operation(resource: .webhooks, action: .manage) { f, key in
            _ = try await f.useCases.webhooks.subscribe(url: "ftp://example.com", events: ["report.final"], station: nil, description: nil, by: key)
        },
    ]

    /// Whether the use case refused on access grounds: `forbidden`, or for a vehicle a station
    /// never inspected, `notFound` (it learns nothing, not even that the vehicle exists).
    static func refused(_ operation: Operation, _ fixture: Fixture, _ key: APIKey) async -> Bool {
        do {
            try await operation.run(fixture, key)
            return false
        } catch let error as UseCaseError {
            if operation.resource == .vehicle, error.kind == .notFound { return true }
            return error.kind == .forbidden
        } catch {
            Issue.record("\(operation) failed with \(error)")
            return false
        }
    }

    @Test(arguments: Backend.available)
    func everyOperationIsRefusedExactlyWhenTheTableRefuses(_ backend: Backend) async throws {
        try await TestApp.run(backend) { app in
            let id = try await app.createInspection(plate: "M-UC 1")
            let photo = try #require(try await app.upload(TestImages.jpeg(), to: id).object["id"] as? String)
            _ = try await app.waitUntilSettled(id)
            let fixture = Fixture(
                useCases: app.components.useCases, inspection: try #require(UUID(uuidString: id)), photo: try #require(UUID(uuidString: photo)),
                plate: "MUC1", fresh: { try #require(UUID(uuidString: try await app.createInspection(plate: "M-UC 1"))) }
            )
            let repository = APIKeyRepository(database: app.database)
            let keys = [
                try await repository.create(role: .station, station: "MUC-01", name: "own").key,
                try await repository.create(role: .station, station: "BER-02", name: "other").key,
                try await repository.create(role: .reviewer, station: nil, name: "reviewer").key,
                try await repository.create(role: .admin, station: nil, name: "admin").key,
            ]
            // A station key that names no station (the table allows none: the CLI refuses to make
            // one) reaches nothing, and in particular does not list every station's inspections.
            let stationless = try await repository.create(role: .station, station: nil, name: "no station").key
            for operation in Self.operations {
                #expect(await Self.refused(operation, fixture, stationless), "stationless \(operation)")
            }
            await #expect(throws: UseCaseError.forbidden("this station key names no station")) {
                try await fixture.useCases.inspections.list(InspectionFilter(), limit: 10, after: nil, by: stationless)
            }
            var walked = 0
            for operation in Self.operations {
                for key in keys {
                    let expected = !Access.allows(key, operation.action, operation.resource, station: "MUC-01")
                    let actual = await Self.refused(operation, fixture, key)
                    #expect(actual == expected, "\(key.role.rawValue) \(key.station ?? "") \(operation): refused \(actual), the table says \(expected)")
                    walked += 1
                }
            }
            #expect(walked == Self.operations.count * 4)
            // Every action the table allows someone other than an admin is walked here.
            let allowedToOthers = Set(
                Role.allCases.filter { $0 != .admin }.flatMap { role in
                    Access.Resource.allCases.flatMap { resource in
                        Access.Action.allCases.filter { Access.rule(role, $0, resource) != .deny }.map { "\($0.rawValue) \(resource.rawValue)" }
                    }
                }
            )
            #expect(allowedToOthers.isSubset(of: Set(Self.operations.map(\.description))), "\(allowedToOthers)")
        }
    }
}
