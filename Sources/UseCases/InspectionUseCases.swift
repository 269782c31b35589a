import Foundation
import Logging
import Pipeline
import Storage
import WalkaroundCore

/// One page of a newest-first listing and the cursor of the next, nil on the last page.
public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    public var nextCursor: String?
}

/// What a client declares when it opens an inspection, before the rules have checked it.
public struct InspectionDraft: Sendable {
    public var kind: String
    public var station: String
    public var plate: String?
    public var vin: String?
    public var reference: String?

    public init(kind: String, station: String, plate: String?, vin: String?, reference: String?) {
        self.kind = kind
        self.station = station
        self.plate = plate
        self.vin = vin
        self.reference = reference
    }
}

/// An inspection with everything found on its photos.
public struct InspectionDetails: Sendable {
    public var inspection: Inspection
    public var photos: [Photo]
    public var detections: [UUID: [Detection]]
    public var plateReadings: [UUID: [PlateReading]]
}

/// A vehicle as the key may see it, and a page of its inspections.
public struct VehicleHistory: Sendable {
    public var vehicle: Vehicle
    public var inspections: Page<Inspection>
}

/// Inspections: open, list, read, complete, hold and erase, and a vehicle's history. Every rule
/// about who may do which of these, and in which state, is here; the HTTP controllers parse and
/// render, the repositories store.
public struct InspectionUseCases: Sendable {
    let database: any SQLDatabase
    let inspections: InspectionRepository
    let erasure: InspectionErasure
    let queue: JobQueue
    let signal: WakeSignal
    /// Signals streams of changed inspections (`events(_:by:)`).
    public var events: InspectionEvents?

    public init(database: any SQLDatabase, erasure: InspectionErasure, queue: JobQueue, signal: WakeSignal) {
        self.database = database
        self.inspections = InspectionRepository(database: database)
        self.erasure = erasure
        self.queue = queue
        self.signal = signal
    }

    /// The inspection if the key may do `action` on its `resource`.
    public func inspection(_ id: UUID, for key: APIKey, _ action: Access.Action = .read, _ resource: Access.Resource = .inspection) async throws -> Inspection {
        try await inspections.authorized(id, for: key, action, resource)
    }

    /// Opens an inspection. A station opens only its own station's; a declared plate and VIN
    /// that would change a vehicle record other stations use needs a key that may change vehicles.
    public func create(_ draft: InspectionDraft, by key: APIKey, logger: Logger) async throws -> Inspection {
        let inspection = try Self.validate(draft, now: Date())
        try Access.require(key, .create, .inspection, station: inspection.station)
        let stored: Inspection
        do {
            stored = try await inspections.insert(inspection, mayChangeSharedVehicles: Access.allows(key, .change, .vehicle))
        } catch VehicleConflict.vinMismatch(let plate) {
            throw UseCaseError.conflict("vin_conflict", "plate \(plate) belongs to a vehicle with another VIN")
        } catch VehicleConflict.usedByOtherStations {
            throw UseCaseError.conflict(
                "vehicle_in_use", "the declared plate and VIN would change a vehicle record other stations use; an admin key may change it"
            )
        }
        logger.info("inspection created", metadata: ["inspection_id": "\(inspection.id)", "station": "\(inspection.station)"])
        return stored
    }

    /// A page of the inspections the key may read: a station key lists its own station's only
    /// (asking for another station is refused, not silently narrowed).
    public func list(_ filter: InspectionFilter, limit: Int, after cursor: InspectionCursor?, by key: APIKey) async throws -> Page<Inspection> {
        var filter = filter
        if Access.rule(key.role, .read, .inspection) == .ownStation {
            guard let own = key.station else { throw UseCaseError.forbidden("this station key names no station") }
            if let asked = filter.station, asked != key.station {
                throw UseCaseError.forbidden("this key may only list inspections of station \(own)")
            }
            filter.station = own
        } else {
            try Access.require(key, .read, .inspection)
        }
        return try await page(filter, limit: limit, after: cursor)
    }

    public func details(_ id: UUID, by key: APIKey) async throws -> InspectionDetails {
        try await details(of: try await inspection(id, for: key))
    }

    func details(of inspection: Inspection) async throws -> InspectionDetails {
        InspectionDetails(
            inspection: inspection,
            photos: try await PhotoRepository(database: database).photos(of: inspection.id),
            detections: try await DetectionRepository(database: database).detections(ofInspection: inspection.id),
            plateReadings: try await PlateReadingRepository(database: database).readings(ofInspection: inspection.id)
        )
    }

    /// Completes an open inspection with photos; its report is requested in the same transaction,
    /// so a completed inspection always gets its report.
    public func complete(_ id: UUID, by key: APIKey, logger: Logger) async throws -> (Inspection, [Photo]) {
        let inspection = try await inspection(id, for: key, .change)
        guard inspection.status == .open else {
            throw UseCaseError.conflict("inspection_completed", "inspection is already completed")
        }
        let photos = try await PhotoRepository(database: database).photos(of: inspection.id)
        guard !photos.isEmpty else {
            throw UseCaseError.conflict("no_photos", "an inspection without photos cannot be completed")
        }
        let now = Date().truncatedToMicroseconds
        let completed = try await database.transaction { db in
            guard try await inspections.complete(inspection.id, at: now, in: db) else { return false }
            try await ReportRepository(database: database).request(inspection.id, at: now, in: db)
            try await queue.enqueueReport(inspectionID: inspection.id, at: now, in: db)
            return true
        }
        guard completed else {
            throw UseCaseError.conflict("inspection_completed", "inspection is already completed")
        }
        signal.jobsEnqueued()
        await events?.changed(inspection.id)
        logger.info("inspection completed", metadata: ["inspection_id": "\(inspection.id)"])
        return (try await inspections.get(inspection.id) ?? inspection, photos)
    }

    /// Erases the inspection and everything of it; refused while it, or a return compared with
    /// it, is on hold.
    public func erase(_ id: UUID, by key: APIKey, logger: Logger) async throws {
        _ = try await inspection(id, for: key, .erase)
        do {
            guard try await erasure.erase(id, reason: .request, logger: logger) != nil else { throw UseCaseError.notFound("inspection") }
        } catch let held as InspectionOnHold {
            if held.inspectionID == id {
                throw UseCaseError.conflict("inspection_on_hold", "the inspection is on hold (\(held.hold.reason)); release the hold first")
            }
            throw UseCaseError.conflict(
                "inspection_on_hold",
                "return \(held.inspectionID.uuidString.lowercased()), which was compared with this check-out, is on hold (\(held.hold.reason)); release that hold first"
            )
        }
    }

    /// Places a hold (`reason`, 1–500 characters once trimmed) or releases it (nil; a no-op when
    /// there is none). An existing hold is changed only by the role that placed it or an admin;
    /// the check and the change happen under the inspection's row lock.
    public func setHold(_ id: UUID, reason: String?, by key: APIKey, logger: Logger) async throws -> Inspection {
        _ = try await inspection(id, for: key, .change, .hold)
        // At most 500 characters as sent (as the API document says), at least one once trimmed.
        if let raw = reason, raw.count > 500 { throw UseCaseError.invalid("invalid_field", "reason must have 1 to 500 characters") }
        let reason = reason?.trimmingCharacters(in: .whitespacesAndNewlines)
        if let reason, !(1...500).contains(reason.count) {
            throw UseCaseError.invalid("invalid_field", "reason must have 1 to 500 characters")
        }
        let held = try await database.transaction { db -> Inspection in
            guard let current = try await inspections.getForUpdate(id, in: db) else { throw UseCaseError.notFound("inspection") }
            if let hold = current.hold, !Access.mayChange(hold, by: key) {
                throw UseCaseError.forbidden(
                    "this hold was placed by \(hold.placedBy == .admin || hold.placedBy == nil ? "an admin" : "a \(hold.placedBy?.rawValue ?? "")") key; only that role or an admin may change or release it",
                    code: "hold_placed_by_other_role"
                )
            }
            guard try await inspections.setHold(id, reason: reason, by: key.role, at: Date().truncatedToMicroseconds, in: db),
                let held = try await inspections.get(id, in: db)
            else {
                throw UseCaseError.notFound("inspection")
            }
            return held
        }
        logger.notice(reason == nil ? "hold released" : "hold placed", metadata: ["inspection_id": "\(id)", "reason": "\(reason ?? "")"])
        return held
    }

    /// The vehicle a (normalised) plate belongs to and its inspections, newest first. A station
    /// learns of a vehicle only through its own inspections of it, and its VIN only when one of
    /// them declared it: never another station's history or records.
    public func vehicleHistory(plate: String, limit: Int, after cursor: InspectionCursor?, by key: APIKey) async throws -> VehicleHistory {
        guard let vehicle = try await VehicleRepository(database: database).byPlate(plate) else {
            throw UseCaseError.notFound("vehicle")
        }
        var filter = InspectionFilter(vehicleID: vehicle.id)
        var shown = vehicle
        switch Access.rule(key.role, .read, .vehicle) {
        case .allow: break
        case .deny: try Access.require(key, .read, .vehicle)
        case .ownStation:
            guard let station = key.station, try await inspections.stationInspected(vehicle.id, station: station) else {
                throw UseCaseError.notFound("vehicle")
            }
            filter.station = station
            if let vin = vehicle.vin, try await !inspections.stationDeclared(vin: vin, vehicle: vehicle.id, station: station) { shown.vin = nil }
        }
        return VehicleHistory(vehicle: shown, inspections: try await page(filter, limit: limit, after: cursor))
    }

    /// The most inspections one page holds.
    public static let maxPageSize = 200

    /// One page: one row more than `limit` is read to know whether a next page exists.
    private func page(_ filter: InspectionFilter, limit: Int, after cursor: InspectionCursor?) async throws -> Page<Inspection> {
        let limit = min(max(limit, 1), Self.maxPageSize)
        let rows = try await inspections.list(filter, limit: limit + 1, after: cursor)
        let items = Array(rows.prefix(limit))
        let next = rows.count > limit ? items.last.map { InspectionCursor(createdAt: $0.createdAt, id: $0.id).token } : nil
        return Page(items: items, nextCursor: next)
    }

    /// Checks the draft's values and builds the inspection (`invalid` for values the rules refuse).
    static func validate(_ draft: InspectionDraft, now: Date) throws -> Inspection {
        guard let kind = Inspection.Kind(rawValue: draft.kind) else {
            throw UseCaseError.invalid("invalid_field", "kind must be checkout or return")
        }
        let station = draft.station.trimmingCharacters(in: .whitespaces)
        guard (1...64).contains(station.count),
            station.unicodeScalars.allSatisfy({ CharacterSet.alphanumerics.contains($0) || "-_.".unicodeScalars.contains($0) })
        else {
            throw UseCaseError.invalid("invalid_field", "station must be 1 to 64 letters, digits, '-', '_' or '.'")
        }
        let plate = draft.plate.map(VehicleRef.normalisedPlate).flatMap { $0.isEmpty ? nil : $0 }
        if let plate, plate.count > 12 {
            throw UseCaseError.invalid("invalid_field", "vehicle.plate is longer than any European plate")
        }
        let vin = draft.vin?.trimmingCharacters(in: .whitespaces).uppercased()
        if let vin, !VehicleRef.isValidVIN(vin) {
            throw UseCaseError.invalid("invalid_field", "vehicle.vin must be 17 characters without I, O or Q")
        }
        guard plate != nil || vin != nil else {
            throw UseCaseError.invalid("vehicle_required", "vehicle needs a plate or a vin")
        }
        if let reference = draft.reference, reference.count > 200 {
            throw UseCaseError.invalid("invalid_field", "reference is longer than 200 characters")
        }
        return Inspection(kind: kind, station: station, vehicle: VehicleRef(plate: plate, vin: vin), reference: draft.reference, createdAt: now.truncatedToMicroseconds)
    }
}

/// What an inspection's event stream sends (`InspectionUseCases.updates`).
public enum InspectionUpdate: Sendable {
    /// The inspection as it is (first, and when its status changes).
    case inspection(Inspection)
    /// A photo as it is now, with what was found on it (first for every photo, then on each change).
    case photo(Photo, detections: [Detection], plateReadings: [PlateReading])
    /// The report's state: `queued` once requested, `written` when it can be read (and again when its prose changes).
    case report(StoredReport.Status, version: Int)
    /// Nothing changed for a while: a comment keeps proxies from closing the stream.
    case heartbeat
    /// The report is written for good: nothing more will change; the stream ends.
    case done
}

extension InspectionUseCases {
    /// The inspection's changes as they happen: everything as it is first, then each photo's and
    /// the report's changes, read from the database whenever the inspection is signalled
    /// (`InspectionEvents`: this pod at once, other pods through Redis) and at least every
    /// `recheck` (every second while signals from other pods are not arriving). Ends when the
    /// inspection is completed and its report written, when it is erased, or after `maxDuration`.
    /// Access is checked before the first update.
    public func updates(
        _ id: UUID, by key: APIKey, recheck: Duration = .seconds(5), heartbeat: Duration = .seconds(15), maxDuration: Duration = .seconds(900)
    ) async throws -> AsyncThrowingStream<InspectionUpdate, any Error> {
        let first = try await details(id, by: key)
        let reports = ReportRepository(database: database)
        let events = self.events
        // Unbounded, never dropping an update: what one inspection can produce is bounded by its
        // photos (at most the per-inspection limit) and their few changes.
        let (stream, continuation) = AsyncThrowingStream<InspectionUpdate, any Error>.makeStream(bufferingPolicy: .unbounded)
        let task = Task {
            let ends = ContinuousClock.now + maxDuration
            var sentInspection: Inspection.Status?
            var sentPhotos: [UUID: String] = [:]
            var sentReport: (StoredReport.Status, Int)?
            var lastSent = ContinuousClock.now
            var current: InspectionDetails? = first
            /// Sends each photo whose state changed since it was last sent; whether any was.
            func sendPhotos(_ details: InspectionDetails) -> Bool {
                var sent = false
                for photo in details.photos {
                    let detections = details.detections[photo.id] ?? []
                    let signature = "\(photo.status.rawValue)|\(photo.processedAt?.timeIntervalSince1970 ?? 0)|\(detections.count)"
                    guard sentPhotos[photo.id] != signature else { continue }
                    continuation.yield(.photo(photo, detections: detections, plateReadings: details.plateReadings[photo.id] ?? []))
                    sentPhotos[photo.id] = signature
                    sent = true
                }
                return sent
            }
            do {
                while !Task.isCancelled, ContinuousClock.now < ends {
                    guard let now = current else { break }  // erased
                    if sentInspection != now.inspection.status {
                        continuation.yield(.inspection(now.inspection))
                        sentInspection = now.inspection.status
                        lastSent = .now
                    }
                    if sendPhotos(now) { lastSent = .now }
                    if let report = try await reports.get(id), sentReport.map({ $0.0 != report.status || $0.1 != report.version }) ?? true {
                        continuation.yield(.report(report.status, version: report.version))
                        sentReport = (report.status, report.version)
                        lastSent = .now
                    }
                    // Done: the report is written and no report job is left to change its prose. The
                    // photos were read before the report: one more pass sends their last states.
                    if sentReport?.0 == .written, now.inspection.status == .completed, try await !queue.reportPending(inspectionID: id) {
                        if let last = try await inspections.get(id).asyncMap({ try await self.details(of: $0) }) { _ = sendPhotos(last) }
                        continuation.yield(.done)
                        break
                    }
                    if ContinuousClock.now - lastSent >= heartbeat {
                        continuation.yield(.heartbeat)
                        lastSent = .now
                    }
                    let wait = min(events?.crossesPods == true ? recheck : min(recheck, .seconds(1)), heartbeat)
                    if let events { _ = await events.wait(for: id, timeout: wait) } else { try await Task.sleep(for: wait) }
                    current = try await inspections.get(id).asyncMap { try await self.details(of: $0) }
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let self else { return nil }
        return try await transform(self)
    }
}
