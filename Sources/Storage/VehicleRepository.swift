import Foundation
import WalkaroundCore

/// Vehicles in the database, keyed by normalised plate and by VIN.
public struct VehicleRepository: Sendable {
    public let database: any SQLDatabase

    public init(database: any SQLDatabase) {
        self.database = database
    }

    public func get(_ id: UUID, in db: (any SQLExecutor)? = nil) async throws -> Vehicle? {
        try await (db ?? database).first("SELECT * FROM vehicles WHERE id = \(id)").map(Vehicle.init(row:))
    }

    public func byPlate(_ plate: String, in db: (any SQLExecutor)? = nil) async throws -> Vehicle? {
        try await (db ?? database).first("SELECT * FROM vehicles WHERE plate = \(plate)").map(Vehicle.init(row:))
    }

    public func byVIN(_ vin: String, in db: (any SQLExecutor)? = nil) async throws -> Vehicle? {
        try await (db ?? database).first("SELECT * FROM vehicles WHERE vin = \(vin)").map(Vehicle.init(row:))
    }

    /// The vehicle a declared plate and VIN lead to, created when new. The VIN wins: a car keeps
    /// its VIN when it is re-plated, so a known VIN with a new plate moves the plate to it (when no
    /// other vehicle holds that plate). A plate seen before without a VIN gains the VIN.
    /// Concurrent first sightings of one car meet at the unique indexes; the loser reads the winner.
    ///
    /// `station` is the station declaring it: a record that other stations' inspections use is not
    /// re-plated or given a VIN on its word (`VehicleConflict.usedByOtherStations`); nil (an admin)
    /// may. A plate whose vehicle has another VIN is always a conflict (`.vinMismatch`): linking the
    /// inspection to it would mix two cars' histories.
    public func resolve(_ ref: VehicleRef, at date: Date, station: String?, in db: any SQLExecutor) async throws -> Vehicle {
        let plate = ref.plate.map(VehicleRef.normalisedPlate).flatMap { $0.isEmpty ? nil : $0 }
        let vin = ref.vin
        func guardShared(_ vehicle: Vehicle) async throws {
            guard let station else { return }
            if try await db.first("SELECT id FROM inspections WHERE vehicle_id = \(vehicle.id) AND station <> \(station) LIMIT 1") != nil {
                throw VehicleConflict.usedByOtherStations
            }
        }
        if let vin, var vehicle = try await byVIN(vin, in: db) {
            if let plate, vehicle.plate != plate, try await byPlate(plate, in: db) == nil {
                try await guardShared(vehicle)
                try await db.execute("UPDATE vehicles SET plate = \(plate), updated_at = \(date) WHERE id = \(vehicle.id)")
                vehicle.plate = plate
                vehicle.updatedAt = date
            }
            return vehicle
        }
        if let plate, var vehicle = try await byPlate(plate, in: db) {
            if let vin, let known = vehicle.vin, known != vin { throw VehicleConflict.vinMismatch(plate: plate) }
            if let vin, vehicle.vin == nil {
                try await guardShared(vehicle)
                try await db.execute("UPDATE vehicles SET vin = \(vin), updated_at = \(date) WHERE id = \(vehicle.id)")
                vehicle.vin = vin
                vehicle.updatedAt = date
            }
            return vehicle
        }
        let vehicle = Vehicle(plate: plate, vin: vin, createdAt: date, updatedAt: date)
        let inserted = try await db.execute(
            """
            INSERT INTO vehicles (id, plate, vin, created_at, updated_at)
            VALUES (\(vehicle.id), \(vehicle.plate), \(vehicle.vin), \(date), \(date))
            ON CONFLICT DO NOTHING RETURNING id
            """
        )
        if !inserted.isEmpty { return vehicle }
        if let vin, let other = try await byVIN(vin, in: db) { return other }
        if let plate, let other = try await byPlate(plate, in: db) { return other }
        throw StorageError.uniqueViolation("vehicle \(plate ?? vin ?? "") was created and removed concurrently")
    }

    /// Removes the vehicle when no inspection refers to it any more (after an erasure).
    public func removeIfUnused(_ id: UUID, in db: any SQLExecutor) async throws {
        // The vehicle row first, so a concurrent inspection being linked to it waits for the decision.
        let lock = db.dialectSQL(postgres: " FOR UPDATE", sqlite: "")
        guard try await db.first("SELECT id FROM vehicles WHERE id = \(id)\(unsafeSQL: lock)") != nil else { return }
        try await db.execute(
            "DELETE FROM vehicles WHERE id = \(id) AND NOT EXISTS (SELECT 1 FROM inspections WHERE vehicle_id = \(id))"
        )
    }
}

/// Why a declared plate and VIN cannot be linked to a vehicle record.
public enum VehicleConflict: Error, Equatable {
    /// The plate belongs to a vehicle with another VIN.
    case vinMismatch(plate: String)
    /// The change (a new plate for a known VIN, a VIN for a known plate) would alter a record other
    /// stations' inspections use; an admin key may make it.
    case usedByOtherStations
}

extension Vehicle {
    init(row: SQLRow) throws {
        self.init(
            id: try row.uuid("id"),
            plate: try row.optionalString("plate"),
            vin: try row.optionalString("vin"),
            createdAt: try row.date("created_at"),
            updatedAt: try row.date("updated_at")
        )
    }
}

/// Plate readings in the database, one per plate seen on a photo.
public struct PlateReadingRepository: Sendable {
    public let database: any SQLDatabase

    public init(database: any SQLDatabase) {
        self.database = database
    }

    /// Replaces a photo's readings (a re-run of its job must not add a second set).
    public func replace(_ readings: [PlateReading], of photoID: UUID, in db: any SQLExecutor) async throws {
        try await db.execute("DELETE FROM plate_readings WHERE photo_id = \(photoID)")
        for r in readings {
            try await db.execute(
                """
                INSERT INTO plate_readings (id, photo_id, text, plate, formatted, country, confidence, x1, y1, x2, y2, created_at)
                VALUES (\(r.id), \(r.photoID), \(r.text), \(r.plate), \(r.formatted), \(r.country), \(r.confidence),
                        \(r.box.x1), \(r.box.y1), \(r.box.x2), \(r.box.y2), \(r.createdAt))
                """
            )
        }
    }

    /// The readings on the photos of an inspection that count as evidence (processed photos).
    public func evidence(ofInspection inspectionID: UUID, in db: (any SQLExecutor)? = nil) async throws -> [PlateReading] {
        try await (db ?? database).execute(
            """
            SELECT r.* FROM plate_readings r JOIN photos p ON p.id = r.photo_id
            WHERE p.inspection_id = \(inspectionID) AND p.status = \(Photo.Status.processed.sqlValue)
            ORDER BY r.confidence DESC, r.id
            """
        ).map(PlateReading.init(row:))
    }

    /// All readings on the photos of an inspection, by photo.
    public func readings(ofInspection inspectionID: UUID) async throws -> [UUID: [PlateReading]] {
        let rows = try await database.execute(
            """
            SELECT r.* FROM plate_readings r JOIN photos p ON p.id = r.photo_id
            WHERE p.inspection_id = \(inspectionID) ORDER BY r.confidence DESC, r.id
            """
        )
        return Dictionary(grouping: try rows.map(PlateReading.init(row:)), by: \.photoID)
    }
}

extension PlateReading {
    init(row: SQLRow) throws {
        self.init(
            id: try row.uuid("id"),
            photoID: try row.uuid("photo_id"),
            box: Box(x1: try row.double("x1"), y1: try row.double("y1"), x2: try row.double("x2"), y2: try row.double("y2")),
            text: try row.string("text"),
            plate: try row.string("plate"),
            formatted: try row.string("formatted"),
            country: try row.optionalString("country"),
            confidence: try row.double("confidence"),
            createdAt: try row.date("created_at")
        )
    }
}
