import Foundation
import Hummingbird
import HummingbirdCore
import Pipeline
import Storage
import WalkaroundCore

/// `/v1/inspections`: create, list, read, complete, hold and erase inspections.
struct InspectionsController {
    let inspections: InspectionRepository
    let photos: PhotoRepository
    let erasure: InspectionErasure
    let queue: JobQueue
    let signal: WakeSignal

    func addRoutes(to group: RouterGroup<WalkaroundRequestContext>) {
        group.post("inspections", use: create)
        group.get("inspections", use: list)
        group.get("inspections/:id", use: get)
        group.delete("inspections/:id", use: erase)
        group.post("inspections/:id/complete", use: complete)
        group.put("inspections/:id/hold", use: placeHold)
        group.delete("inspections/:id/hold", use: releaseHold)
        group.get("vehicles/:plate/inspections", use: vehicleHistory)
    }

    /// `GET /v1/vehicles/{plate}/inspections`: the vehicle the plate belongs to and its
    /// inspections, newest first (a station key sees its own station's only). The plate may be
    /// written any way ("m-ab 1234"); 404 when no inspection ever declared it.
    @Sendable func vehicleHistory(request: Request, context: WalkaroundRequestContext) async throws -> VehicleHistoryResource {
        let key = try context.requireKey()
        let raw = try context.parameters.require("plate")
        let plate = VehicleRef.normalisedPlate(raw.removingPercentEncoding ?? raw)
        guard (2...12).contains(plate.count) else {
            throw APIError.badRequest("invalid_parameter", "plate must have 2 to 12 letters and digits")
        }
        guard let vehicle = try await VehicleRepository(database: inspections.database).byPlate(plate) else {
            throw APIError.notFound("vehicle")
        }
        let (limit, cursor) = try Self.pageParameters(request.uri.queryParameters)
        var filter = InspectionFilter(vehicleID: vehicle.id)
        var shown = vehicle
        switch Access.rule(key.role, .read, .vehicle) {
        case .allow: break
        case .deny: try Access.require(key, .read, .vehicle)
        case .ownStation:
            // A station learns of a vehicle only through its own inspections of it, and its VIN only
            // when one of them declared it: never another station's history or records.
            guard let station = key.station, try await inspections.stationInspected(vehicle.id, station: station) else {
                throw APIError.notFound("vehicle")
            }
            filter.station = station
            if let vin = vehicle.vin, try await !inspections.stationDeclared(vin: vin, vehicle: vehicle.id, station: station) { shown.vin = nil }
        }
        let page = try await page(filter, limit: limit, after: cursor)
        return VehicleHistoryResource(vehicle: VehicleResource(shown), items: page.items, nextCursor: page.nextCursor)
    }

    @Sendable func create(request: Request, context: WalkaroundRequestContext) async throws -> EditedResponse<InspectionResource> {
        let key = try context.requireKey()
        let body = try await request.decodeJSON(as: CreateInspectionRequest.self, context: context)
        let inspection = try Self.validate(body, now: Date())
        try Access.require(key, .create, .inspection, station: inspection.station)
        let stored: Inspection
        do {
            stored = try await inspections.insert(inspection, mayChangeSharedVehicles: Access.allows(key, .change, .vehicle))
        } catch VehicleConflict.vinMismatch(let plate) {
            throw APIError.conflict("vin_conflict", "plate \(plate) belongs to a vehicle with another VIN")
        } catch VehicleConflict.usedByOtherStations {
            throw APIError.conflict(
                "vehicle_in_use", "the declared plate and VIN would change a vehicle record other stations use; an admin key may change it"
            )
        }
        context.logger.info("inspection created", metadata: ["inspection": "\(inspection.id)", "station": "\(inspection.station)"])
        return EditedResponse(
            status: .created,
            headers: [.location: "/v1/inspections/\(inspection.id.apiString)"],
            response: InspectionResource(stored, photos: [])
        )
    }

    @Sendable func list(request: Request, context: WalkaroundRequestContext) async throws -> InspectionPage {
        let key = try context.requireKey()
        let query = request.uri.queryParameters
        var filter = InspectionFilter(
            plate: query["plate"].map { VehicleRef.normalisedPlate(String($0)) },
            station: query["station"].map(String.init)
        )
        if let kind = query["kind"] {
            guard let value = Inspection.Kind(rawValue: String(kind)) else {
                throw APIError.badRequest("invalid_parameter", "kind must be checkout or return")
            }
            filter.kind = value
        }
        if let status = query["status"] {
            guard let value = Inspection.Status(rawValue: String(status)) else {
                throw APIError.badRequest("invalid_parameter", "status must be open or completed")
            }
            filter.status = value
        }
        if Access.rule(key.role, .read, .inspection) == .ownStation {
            if let asked = filter.station, asked != key.station {
                throw APIError.forbidden("this key may only list inspections of station \(key.station ?? "")")
            }
            filter.station = key.station
        } else {
            try Access.require(key, .read, .inspection)
        }
        let (limit, cursor) = try Self.pageParameters(query)
        return try await page(filter, limit: limit, after: cursor)
    }

    @Sendable func get(request: Request, context: WalkaroundRequestContext) async throws -> InspectionResource {
        let inspection = try await inspections.authorized(context.parameters.require("id"), for: context.requireKey(), .read, .inspection)
        return InspectionResource(
            inspection, photos: try await photos.photos(of: inspection.id),
            detections: try await DetectionRepository(database: photos.database).detections(ofInspection: inspection.id),
            plateReadings: try await PlateReadingRepository(database: photos.database).readings(ofInspection: inspection.id)
        )
    }

    @Sendable func complete(request: Request, context: WalkaroundRequestContext) async throws -> InspectionResource {
        let inspection = try await inspections.authorized(context.parameters.require("id"), for: context.requireKey(), .change, .inspection)
        guard inspection.status == .open else {
            throw APIError.conflict("inspection_completed", "inspection is already completed")
        }
        let photos = try await photos.photos(of: inspection.id)
        guard !photos.isEmpty else {
            throw APIError.conflict("no_photos", "an inspection without photos cannot be completed")
        }
        let now = Date().truncatedToMicroseconds
        // Completion, the report's request and its job commit together: a completed inspection always gets its report.
        let completed = try await inspections.database.transaction { db in
            guard try await inspections.complete(inspection.id, at: now, in: db) else { return false }
            try await ReportRepository(database: inspections.database).request(inspection.id, at: now, in: db)
            try await queue.enqueueReport(inspectionID: inspection.id, at: now, in: db)
            return true
        }
        guard completed else {
            throw APIError.conflict("inspection_completed", "inspection is already completed")
        }
        signal.signal()
        context.logger.info("inspection completed", metadata: ["inspection": "\(inspection.id)"])
        return InspectionResource(try await inspections.get(inspection.id) ?? inspection, photos: photos)
    }

    @Sendable func erase(request: Request, context: WalkaroundRequestContext) async throws -> HTTPResponse.Status {
        let key = try context.requireKey()
        let id = try await inspections.authorized(context.parameters.require("id"), for: key, .erase, .inspection).id
        do {
            guard try await erasure.erase(id, reason: .request, logger: context.logger) != nil else { throw APIError.notFound("inspection") }
        } catch let held as InspectionOnHold {
            if held.inspectionID == id {
                throw APIError.conflict("inspection_on_hold", "the inspection is on hold (\(held.hold.reason)); release the hold first")
            }
            throw APIError.conflict(
                "inspection_on_hold",
                "return \(held.inspectionID.uuidString.lowercased()), which was compared with this check-out, is on hold (\(held.hold.reason)); release that hold first"
            )
        }
        return .noContent
    }

    struct HoldRequest: Decodable {
        var reason: String
    }

    /// `PUT /v1/inspections/{id}/hold`: keeps the inspection's evidence (a dispute, a review)
    /// from erasure and retention until the hold is released. Placing it again replaces the reason.
    @Sendable func placeHold(request: Request, context: WalkaroundRequestContext) async throws -> InspectionResource {
        let key = try context.requireKey()
        let inspection = try await inspections.authorized(context.parameters.require("id"), for: key, .change, .hold)
        let reason = try await request.decodeJSON(as: HoldRequest.self, context: context).reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...500).contains(reason.count) else { throw APIError.unprocessable("invalid_field", "reason must have 1 to 500 characters") }
        return try await setHold(inspection, reason: reason, key: key, context: context)
    }

    /// `DELETE /v1/inspections/{id}/hold`: releases the hold (a no-op when there is none).
    @Sendable func releaseHold(request: Request, context: WalkaroundRequestContext) async throws -> InspectionResource {
        let key = try context.requireKey()
        let inspection = try await inspections.authorized(context.parameters.require("id"), for: key, .change, .hold)
        return try await setHold(inspection, reason: nil, key: key, context: context)
    }

    private func setHold(_ inspection: Inspection, reason: String?, key: APIKey, context: WalkaroundRequestContext) async throws -> InspectionResource {
        let id = inspection.id
        if let hold = inspection.hold, !Access.mayChange(hold, by: key) {
            throw APIError(.forbidden, code: "hold_placed_by_other_role", message: "this hold was placed by an \(hold.placedBy?.rawValue ?? "admin") key; only that role or an admin may change or release it")
        }
        guard try await inspections.setHold(id, reason: reason, by: key.role, at: Date().truncatedToMicroseconds), let held = try await inspections.get(id) else {
            throw APIError.notFound("inspection")
        }
        context.logger.notice(reason == nil ? "hold released" : "hold placed", metadata: ["inspection": "\(id)", "reason": "\(reason ?? "")"])
        return InspectionResource(held)
    }

    /// One page of the listing: one row more than `limit` is read to know whether a next page exists.
    func page(_ filter: InspectionFilter, limit: Int, after cursor: InspectionCursor?) async throws -> InspectionPage {
        let rows = try await inspections.list(filter, limit: limit + 1, after: cursor)
        let items = Array(rows.prefix(limit))
        let next = rows.count > limit ? items.last.map { InspectionCursor(createdAt: $0.createdAt, id: $0.id).token } : nil
        return InspectionPage(items: items.map { InspectionResource($0) }, nextCursor: next)
    }

    /// `limit` (1–200, default 50) and `cursor` of a listing; 400 for values this server would not issue.
    static func pageParameters(_ query: FlatDictionary<Substring, Substring>) throws -> (Int, InspectionCursor?) {
        var limit = 50
        if let text = query["limit"] {
            guard let value = Int(text), (1...200).contains(value) else {
                throw APIError.badRequest("invalid_parameter", "limit must be an integer from 1 to 200")
            }
            limit = value
        }
        var cursor: InspectionCursor?
        if let token = query["cursor"] {
            guard let value = InspectionCursor(token: String(token)) else {
                throw APIError.badRequest("invalid_cursor", "cursor is not one this server issued")
            }
            cursor = value
        }
        return (limit, cursor)
    }

    /// Checks the body's values and builds the inspection (422 for valid JSON with wrong values).
    static func validate(_ body: CreateInspectionRequest, now: Date) throws -> Inspection {
        guard let kind = Inspection.Kind(rawValue: body.kind) else {
            throw APIError.unprocessable("invalid_field", "kind must be checkout or return")
        }
        let station = body.station.trimmingCharacters(in: .whitespaces)
        guard (1...64).contains(station.count),
            station.unicodeScalars.allSatisfy({ CharacterSet.alphanumerics.contains($0) || "-_.".unicodeScalars.contains($0) })
        else {
            throw APIError.unprocessable("invalid_field", "station must be 1 to 64 letters, digits, '-', '_' or '.'")
        }
        let plate = body.vehicle?.plate.map(VehicleRef.normalisedPlate).flatMap { $0.isEmpty ? nil : $0 }
        if let plate, plate.count > 12 {
            throw APIError.unprocessable("invalid_field", "vehicle.plate is longer than any European plate")
        }
        let vin = body.vehicle?.vin?.trimmingCharacters(in: .whitespaces).uppercased()
        if let vin, !VehicleRef.isValidVIN(vin) {
            throw APIError.unprocessable("invalid_field", "vehicle.vin must be 17 characters without I, O or Q")
        }
        guard plate != nil || vin != nil else {
            throw APIError.unprocessable("vehicle_required", "vehicle needs a plate or a vin")
        }
        if let reference = body.reference, reference.count > 200 {
            throw APIError.unprocessable("invalid_field", "reference is longer than 200 characters")
        }
        return Inspection(kind: kind, station: station, vehicle: VehicleRef(plate: plate, vin: vin), reference: body.reference, createdAt: now.truncatedToMicroseconds)
    }

    static func parseID(_ text: String) throws -> UUID {
        guard let id = UUID(uuidString: text) else { throw APIError.badRequest("invalid_id", "\(text) is not a UUID") }
        return id
    }
}

extension Access {
    /// Throws 403 unless the table allows `action` on `resource` of `station` for this key.
    static func require(_ key: APIKey, _ action: Action, _ resource: Resource, station: String? = nil) throws {
        guard allows(key, action, resource, station: station) else {
            throw APIError.forbidden("this \(key.role.rawValue) key may not \(action.rawValue) this \(resource.rawValue)")
        }
    }
}

extension InspectionRepository {
    /// The inspection with this id if the key may do `action` on its `resource` (the inspection
    /// itself, a photo of it, its report): 400 for a malformed id, 404 when there is none, 403 when
    /// the access table refuses (ids are random UUIDs, so admitting existence leaks nothing useful).
    func authorized(_ idText: String, for key: APIKey, _ action: Access.Action, _ resource: Access.Resource) async throws -> Inspection {
        let id = try InspectionsController.parseID(idText)
        guard let inspection = try await get(id) else { throw APIError.notFound("inspection") }
        try Access.require(key, action, resource, station: inspection.station)
        return inspection
    }
}

extension Request {
    /// Decodes a JSON body: 400 when it is not JSON, 422 when it is JSON of the wrong shape.
    func decodeJSON<T: Decodable>(as type: T.Type, context: WalkaroundRequestContext, limit: Int = 64 * 1024) async throws -> T {
        let buffer: ByteBuffer
        do {
            buffer = try await body.collect(upTo: limit)
        } catch {
            throw APIError(.contentTooLarge, code: "payload_too_large", message: "JSON body is larger than \(limit) bytes")
        }
        let data = Data(buffer.readableBytesView)
        guard (try? JSONSerialization.jsonObject(with: data)) != nil else {
            throw APIError.badRequest("invalid_json", "body is not valid JSON")
        }
        do {
            return try APIJSON.decoder.decode(T.self, from: data)
        } catch let DecodingError.keyNotFound(key, _) {
            throw APIError.unprocessable("invalid_field", "\(key.stringValue) is required")
        } catch let DecodingError.typeMismatch(_, detail) {
            let path = detail.codingPath.map(\.stringValue).joined(separator: ".")
            throw APIError.unprocessable("invalid_field", "\(path) has the wrong type")
        } catch {
            throw APIError.unprocessable("invalid_field", "body does not match the expected shape")
        }
    }
}
