import Foundation
import WalkaroundCore

/// Inspections in the database.
public struct InspectionRepository: Sendable {
    public let database: any SQLDatabase

    public init(database: any SQLDatabase) {
        self.database = database
    }

    /// Stores a new inspection linked to its vehicle (found or created from the declared plate and
    /// VIN in the same transaction); returns it with `vehicleID` set. Unless `mayChangeSharedVehicles`,
    /// a vehicle record other stations use is not changed (`VehicleConflict`).
    @discardableResult
    public func insert(_ inspection: Inspection, mayChangeSharedVehicles: Bool = true) async throws -> Inspection {
        try await database.transaction { db in
            var inspection = inspection
            inspection.vehicleID = try await VehicleRepository(database: database).resolve(
                inspection.vehicle, at: inspection.createdAt, station: mayChangeSharedVehicles ? nil : inspection.station, in: db
            ).id
            try await db.execute(
                """
                INSERT INTO inspections (id, kind, station, plate, vin, reference, status, created_at, completed_at, vehicle_id)
                VALUES (\(inspection.id), \(inspection.kind.sqlValue), \(inspection.station), \(inspection.vehicle.plate),
                        \(inspection.vehicle.vin), \(inspection.reference), \(inspection.status.sqlValue),
                        \(inspection.createdAt), \(inspection.completedAt), \(inspection.vehicleID))
                """
            )
            return inspection
        }
    }

    /// Records the plate the photos agree on (the declared plate stays as it is).
    public func setPlateVerdict(_ id: UUID, _ verdict: PlateVerdict, in db: any SQLExecutor) async throws {
        try await db.execute(
            """
            UPDATE inspections SET plate_read = \(verdict.plate), plate_formatted = \(verdict.formatted),
                plate_country = \(verdict.country), plate_confidence = \(verdict.confidence), plate_readings = \(verdict.readings),
                plate_agreeing = \(verdict.agreeing), plate_check = \(verdict.check.rawValue)
            WHERE id = \(id)
            """
        )
    }

    public func get(_ id: UUID, in db: (any SQLExecutor)? = nil) async throws -> Inspection? {
        try await (db ?? database).first("SELECT * FROM inspections WHERE id = \(id)").map(Inspection.init(row:))
    }

    /// Reads the inspection and, on PostgreSQL, locks its row until the transaction ends, so
    /// concurrent uploads to one inspection count its photos one after the other.
    public func getForUpdate(_ id: UUID, in db: any SQLExecutor) async throws -> Inspection? {
        let lock = db.dialectSQL(postgres: " FOR UPDATE", sqlite: "")
        return try await db.first("SELECT * FROM inspections WHERE id = \(id)\(unsafeSQL: lock)").map(Inspection.init(row:))
    }

    /// Whether `station` has an inspection of the vehicle.
    public func stationInspected(_ vehicleID: UUID, station: String) async throws -> Bool {
        try await database.first("SELECT id FROM inspections WHERE vehicle_id = \(vehicleID) AND station = \(station) LIMIT 1") != nil
    }

    /// Whether one of `station`'s inspections of the vehicle declared this VIN.
    public func stationDeclared(vin: String, vehicle vehicleID: UUID, station: String) async throws -> Bool {
        try await database.first(
            "SELECT id FROM inspections WHERE vehicle_id = \(vehicleID) AND station = \(station) AND vin = \(vin) LIMIT 1"
        ) != nil
    }

    /// One page of inspections, newest first; `after` is the last item of the previous page.
    public func list(_ filter: InspectionFilter, limit: Int, after cursor: InspectionCursor?) async throws -> [Inspection] {
        var statement: SQLStatement = "SELECT * FROM inspections WHERE 1 = 1"
        if let plate = filter.plate { statement = statement + " AND plate = \(plate)" }
        if let vehicleID = filter.vehicleID { statement = statement + " AND vehicle_id = \(vehicleID)" }
        if let station = filter.station { statement = statement + " AND station = \(station)" }
        if let kind = filter.kind { statement = statement + " AND kind = \(kind.sqlValue)" }
        if let status = filter.status { statement = statement + " AND status = \(status.sqlValue)" }
        if let from = filter.createdFrom { statement = statement + " AND created_at >= \(from)" }
        if let before = filter.createdBefore { statement = statement + " AND created_at < \(before)" }
        if let newDamage = filter.newDamage {
            let found: SQLStatement = "EXISTS (SELECT 1 FROM reports r WHERE r.inspection_id = inspections.id AND r.new_damages > 0)"
            statement = statement + (newDamage ? " AND " : " AND NOT ") + found
        }
        if let awaiting = filter.awaitingReview {
            let open: SQLStatement = """
                (kind = \(Inspection.Kind.return.sqlValue) AND EXISTS (SELECT 1 FROM reports r WHERE r.inspection_id = inspections.id
                AND r.status = \(StoredReport.Status.written.rawValue) AND r.review_state <> \(ReportReview.State.final.rawValue)))
                """
            statement = statement + (awaiting ? " AND " : " AND NOT ") + open
        }
        if let cursor {
            statement = statement + " AND (created_at < \(cursor.createdAt) OR (created_at = \(cursor.createdAt) AND id < \(cursor.id)))"
        }
        statement = statement + " ORDER BY created_at DESC, id DESC LIMIT \(limit)"
        return try await database.execute(statement).map(Inspection.init(row:))
    }

    /// Marks an open inspection completed; returns false when it was not open.
    public func complete(_ id: UUID, at date: Date, in db: (any SQLExecutor)? = nil) async throws -> Bool {
        let rows = try await (db ?? database).execute(
            """
            UPDATE inspections SET status = \(Inspection.Status.completed.sqlValue), completed_at = \(date)
            WHERE id = \(id) AND status = \(Inspection.Status.open.sqlValue) RETURNING id
            """
        )
        return !rows.isEmpty
    }

    /// Erases the inspection and everything derived from it inside the caller's transaction; nil
    /// when there is no such inspection. Throws `InspectionOnHold` while a hold keeps it. The photo
    /// files are not touched here: the caller marks the returned addresses for collection, which
    /// removes each one only if no photo references it by then.
    public func erase(_ id: UUID, in db: any SQLExecutor) async throws -> ErasedInspection? {
        // The inspection row first, as uploads and the photo stage lock it first: one lock order, no deadlock.
        guard let inspection = try await getForUpdate(id, in: db) else { return nil }
        if let hold = inspection.hold { throw InspectionOnHold(inspectionID: id, hold: hold) }
        // Reports of other inspections (returns) compared with this one carry its findings: they are
        // written again without it. Those inspections are locked next, in id order: the report stage
        // also locks a check-out before its return, so erasure and report writing cannot deadlock.
        // Returns whose report is not written yet and will be compared with this check-out are
        // locked (and their holds honoured) too; their reports compare again when written.
        let lockReturns = db.dialectSQL(postgres: " FOR UPDATE OF i", sqlite: "")
        var dependsOnThis: SQLStatement = "r.compared_with = \(id)"
        if inspection.kind == .checkout, inspection.status == .completed, let vehicle = inspection.vehicleID {
            dependsOnThis = dependsOnThis + " OR (" + Self.awaitsComparison(with: inspection, vehicle: vehicle) + ")"
        }
        let rows = try await db.execute(
            "SELECT i.*, r.compared_with AS dependent_of FROM inspections i LEFT JOIN reports r ON r.inspection_id = i.id WHERE i.id <> \(id) AND ("
                + dependsOnThis + ") ORDER BY i.id\(unsafeSQL: lockReturns)"
        )
        let dependents = try rows.map(Inspection.init(row:))
        // A held return's charge rests on this check-out: it stays while that hold does.
        if let held = dependents.first(where: { $0.hold != nil }), let hold = held.hold { throw InspectionOnHold(inspectionID: held.id, hold: hold) }
        let rewritten = try rows.filter { row in try !row.isNull("dependent_of") && row.uuid("dependent_of") == id }.map { try $0.uuid("id") }
        // In address order, so two erasures sharing files mark them in one order.
        let addresses = try await db.execute("SELECT DISTINCT sha256 FROM photos WHERE inspection_id = \(id) ORDER BY sha256")
            .map { try $0.string("sha256") }
        try await db.execute("DELETE FROM idempotency_keys WHERE inspection_id = \(id)")
        try await db.execute("DELETE FROM jobs WHERE photo_id IN (SELECT id FROM photos WHERE inspection_id = \(id))")
        try await db.execute("DELETE FROM jobs WHERE inspection_id = \(id)")
        try await db.execute("DELETE FROM photos WHERE inspection_id = \(id)")
        try await db.execute("DELETE FROM inspections WHERE id = \(id)")
        if let vehicle = inspection.vehicleID { try await VehicleRepository(database: database).removeIfUnused(vehicle, in: db) }
        return ErasedInspection(inspection: inspection, addresses: addresses, dependentReports: rewritten)
    }

    /// Places the hold, by a key of `role` (replacing the reason keeps the time it was first
    /// placed), or releases it (reason nil); false when there is no such inspection.
    public func setHold(_ id: UUID, reason: String?, by role: Role, at date: Date, in db: (any SQLExecutor)? = nil) async throws -> Bool {
        let statement: SQLStatement =
            if let reason {
                "UPDATE inspections SET hold_reason = \(reason), held_at = COALESCE(held_at, \(date)), held_by_role = \(role.rawValue) WHERE id = \(id) RETURNING id"
            } else {
                "UPDATE inspections SET hold_reason = NULL, held_at = NULL, held_by_role = NULL WHERE id = \(id) RETURNING id"
            }
        return try await !(db ?? database).execute(statement).isEmpty
    }

    /// A condition on `i` (an inspection joined with its report `r`, if any): `i` is a return of
    /// `vehicle` after `checkout`, its report not written yet, with no completed check-out of the
    /// vehicle between the two, so the report stage will compare it with `checkout`.
    static func awaitsComparison(with checkout: Inspection, vehicle: UUID) -> SQLStatement {
        """
        i.kind = \(Inspection.Kind.return.sqlValue) AND i.vehicle_id = \(vehicle) AND i.created_at > \(checkout.createdAt)
        AND (r.status IS NULL OR r.status <> \(StoredReport.Status.written.rawValue))
        AND NOT EXISTS (
            SELECT 1 FROM inspections b WHERE b.vehicle_id = \(vehicle) AND b.kind = \(Inspection.Kind.checkout.sqlValue)
            AND b.status = \(Inspection.Status.completed.sqlValue) AND b.created_at > \(checkout.createdAt) AND b.created_at < i.created_at
        )
        """
    }

    /// Up to `limit` inspections of `station` created before `cutoff` that retention may erase,
    /// oldest first. Kept: inspections on hold; check-outs a held return or a final report was
    /// compared with (the disputed or made charge rests on them: erasing one would rewrite a signed
    /// final report as a draft); a vehicle's latest inspection when it is a check-out (the
    /// car is still out); and a completed check-out that a later return will still be compared
    /// with: the car is out (no later completed check-out, no later return with a written report)
    /// or a later return's report is not written yet. Erasing it would make old damage look new.
    public func expired(station: String, before cutoff: Date, limit: Int) async throws -> [UUID] {
        let checkout = Inspection.Kind.checkout.sqlValue
        let completed = Inspection.Status.completed.sqlValue
        let written = StoredReport.Status.written.rawValue
        return try await database.execute(
            """
            SELECT c.id FROM inspections c WHERE c.station = \(station) AND c.created_at < \(cutoff) AND c.hold_reason IS NULL
            AND NOT EXISTS (
                SELECT 1 FROM reports r JOIN inspections d ON d.id = r.inspection_id
                WHERE r.compared_with = c.id AND d.id <> c.id AND (d.hold_reason IS NOT NULL OR r.review_state = 'final')
            )
            AND NOT (
                c.kind = \(checkout) AND c.vehicle_id IS NOT NULL
                AND NOT EXISTS (SELECT 1 FROM inspections l WHERE l.vehicle_id = c.vehicle_id AND l.created_at > c.created_at)
            )
            AND NOT (
                c.kind = \(checkout) AND c.status = \(completed) AND c.vehicle_id IS NOT NULL
                AND (
                    (
                        NOT EXISTS (
                            SELECT 1 FROM inspections n WHERE n.vehicle_id = c.vehicle_id AND n.kind = \(checkout)
                            AND n.status = \(completed) AND n.created_at > c.created_at
                        )
                        AND NOT EXISTS (
                            SELECT 1 FROM inspections w JOIN reports wr ON wr.inspection_id = w.id
                            WHERE w.vehicle_id = c.vehicle_id AND w.kind = \(Inspection.Kind.return.sqlValue)
                            AND w.created_at > c.created_at AND wr.status = \(written)
                        )
                    )
                    OR EXISTS (
                        SELECT 1 FROM inspections p LEFT JOIN reports pr ON pr.inspection_id = p.id
                        WHERE p.vehicle_id = c.vehicle_id AND p.kind = \(Inspection.Kind.return.sqlValue)
                        AND p.created_at > c.created_at AND (pr.status IS NULL OR pr.status <> \(written))
                        AND NOT EXISTS (
                            SELECT 1 FROM inspections b WHERE b.vehicle_id = c.vehicle_id AND b.kind = \(checkout)
                            AND b.status = \(completed) AND b.created_at > c.created_at AND b.created_at < p.created_at
                        )
                    )
                )
            )
            ORDER BY c.created_at LIMIT \(limit)
            """
        ).map { try $0.uuid("id") }
    }

    /// Whether the inspection exists; on PostgreSQL its row is share-locked until the transaction
    /// ends, so an erasure of it waits (or has already happened).
    public func existsLockedShared(_ id: UUID, in db: any SQLExecutor) async throws -> Bool {
        let lock = db.dialectSQL(postgres: " FOR SHARE", sqlite: "")
        return try await db.first("SELECT id FROM inspections WHERE id = \(id)\(unsafeSQL: lock)") != nil
    }

    /// The stations that have inspections.
    public func stations() async throws -> [String] {
        try await database.execute("SELECT DISTINCT station FROM inspections ORDER BY station").map { try $0.string("station") }
    }
}

/// What an erasure removed and what the caller still has to do.
public struct ErasedInspection: Sendable {
    public var inspection: Inspection
    /// The photo files the inspection used; some may still be used by other photos.
    public var addresses: [String]
    /// Inspections whose stored report was compared with the erased one.
    public var dependentReports: [UUID]
}

/// An inspection under a hold cannot be erased, nor a check-out that a held return was compared with.
public struct InspectionOnHold: Error, Equatable {
    /// The inspection that is held: the one being erased, or a return compared with it.
    public var inspectionID: UUID
    public var hold: Inspection.Hold
}

/// Filters for listing inspections; nil matches everything.
public struct InspectionFilter: Sendable, Equatable {
    public var plate: String?
    public var station: String?
    public var kind: Inspection.Kind?
    public var status: Inspection.Status?
    public var vehicleID: UUID?
    /// Created at or after / before.
    public var createdFrom: Date?
    public var createdBefore: Date?
    /// Its written report found new damage (true) or none (false).
    public var newDamage: Bool?
    /// A return whose report is written and not final yet (true), or not (false).
    public var awaitingReview: Bool?

    public init(
        plate: String? = nil, station: String? = nil, kind: Inspection.Kind? = nil, status: Inspection.Status? = nil, vehicleID: UUID? = nil
    ) {
        self.vehicleID = vehicleID
        self.plate = plate
        self.station = station
        self.kind = kind
        self.status = status
    }
}

/// Position in the newest-first listing: the creation time and id of the last inspection seen.
public struct InspectionCursor: Sendable, Equatable {
    public var createdAt: Date
    public var id: UUID

    public init(createdAt: Date, id: UUID) {
        self.createdAt = createdAt
        self.id = id
    }

    /// An opaque token: base64url of `microseconds.uuid`.
    public var token: String {
        Data("\(createdAt.microsecondsSince1970).\(id.uuidString)".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    public init?(token: String) {
        guard token.count <= 256 else { return nil }
        var base64 = token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard let data = Data(base64Encoded: base64), let text = String(data: data, encoding: .utf8) else { return nil }
        let parts = text.split(separator: ".", maxSplits: 1)
        // The time is outside input: only times this server could have stored are accepted.
        guard parts.count == 2, let micros = Int64(parts[0]), Date.storableMicroseconds.contains(micros),
            let id = UUID(uuidString: String(parts[1]))
        else { return nil }
        self.init(createdAt: Date(microsecondsSince1970: micros), id: id)
    }
}

extension Inspection {
    init(row: SQLRow) throws {
        self.init(
            id: try row.uuid("id"),
            kind: try row.value("kind"),
            station: try row.string("station"),
            vehicle: VehicleRef(plate: try row.optionalString("plate"), vin: try row.optionalString("vin")),
            reference: try row.optionalString("reference"),
            status: try row.value("status"),
            createdAt: try row.date("created_at"),
            completedAt: try row.optionalDate("completed_at"),
            vehicleID: try row.optionalUUID("vehicle_id"),
            plateVerdict: PlateVerdict(
                plate: try row.optionalString("plate_read"), formatted: try row.optionalString("plate_formatted"),
                country: try row.optionalString("plate_country"), confidence: try row.double("plate_confidence"),
                readings: try row.int("plate_readings"), agreeing: try row.int("plate_agreeing"),
                check: PlateCheck(rawValue: try row.string("plate_check")) ?? .unread
            ),
            hold: try row.optionalString("hold_reason").map {
                Hold(
                    reason: $0, since: try row.optionalDate("held_at") ?? Date(timeIntervalSince1970: 0),
                    // A role this build does not know is treated as admin: only an admin may lift it.
                    placedBy: try row.optionalString("held_by_role").map { Role(rawValue: $0) ?? .admin }
                )
            }
        )
    }
}
