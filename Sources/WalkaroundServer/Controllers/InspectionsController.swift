import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Storage
import UseCases
import WalkaroundCore

/// `/v1/inspections`: create, list, read, complete, hold and erase inspections. Parses requests
/// and renders answers; the rules are `InspectionUseCases`'.
struct InspectionsController {
    let useCases: InspectionUseCases

    func addRoutes(to group: RouterGroup<WalkaroundRequestContext>) {
        group.post("inspections", use: create)
        group.get("inspections", use: list)
        group.get("inspections/:id", use: get)
        group.get("inspections/:id/events", use: events)
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
        let (limit, cursor) = try Self.pageParameters(request.uri.queryParameters)
        let history = try await useCases.vehicleHistory(plate: plate, limit: limit, after: cursor, by: key)
        return VehicleHistoryResource(
            vehicle: VehicleResource(history.vehicle), items: history.inspections.items.map { InspectionResource($0) },
            nextCursor: history.inspections.nextCursor
        )
    }

    /// `GET /v1/inspections/{id}/events`: server-sent events of the inspection's changes —
    /// `inspection`, one `photo` per photo as it is, then each photo's change (queued, processing,
    /// its verdict with detections), `report` (`queued`, `written`, and again when its prose
    /// changes) — whichever pod did the work. Ends when the report is written for good; a client
    /// that reconnects gets everything as it is again.
    @Sendable func events(request: Request, context: WalkaroundRequestContext) async throws -> Response {
        let updates = try await useCases.updates(Self.id(context), by: context.requireKey())
        let encoder = APIJSON.encoder
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-store", HTTPField.Name("X-Accel-Buffering")!: "no"],
            body: ResponseBody { writer in
                // A client that reconnects after 2 s gets the state again.
                try await writer.write(ByteBuffer(string: "retry: 2000\n\n"))
                var sequence = 0
                for try await update in updates {
                    let (name, data): (String, Data)
                    switch update {
                    case .heartbeat:
                        try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                        continue
                    case .inspection(let inspection):
                        (name, data) = ("inspection", try encoder.encode(InspectionResource(inspection)))
                    case .photo(let photo, let detections, let readings):
                        (name, data) = ("photo", try encoder.encode(PhotoResource(photo, detections: detections, plateReadings: readings)))
                    case .done:
                        (name, data) = ("done", Data("{}".utf8))
                    case .report(let status, let version):
                        (name, data) = ("report", try encoder.encode(ReportStateResource(status: status.rawValue, version: version)))
                    }
                    sequence += 1
                    try await writer.write(ByteBuffer(string: "event: \(name)\nid: \(sequence)\ndata: \(String(decoding: data, as: UTF8.self))\n\n"))
                }
                try await writer.finish(nil)
            }
        )
    }

    @Sendable func create(request: Request, context: WalkaroundRequestContext) async throws -> EditedResponse<InspectionResource> {
        let key = try context.requireKey()
        let body = try await request.decodeJSON(as: CreateInspectionRequest.self, context: context)
        let draft = InspectionDraft(kind: body.kind, station: body.station, plate: body.vehicle?.plate, vin: body.vehicle?.vin, reference: body.reference)
        let stored = try await useCases.create(draft, by: key, logger: context.logger)
        return EditedResponse(
            status: .created,
            headers: [.location: "/v1/inspections/\(stored.id.apiString)"],
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
        filter.createdFrom = try query["from"].map { try Self.day(String($0), "from") }
        filter.createdBefore = try query["to"].map { try Self.day(String($0), "to").addingTimeInterval(86_400) }
        filter.newDamage = try query["new_damage"].map { try Self.flag(String($0), "new_damage") }
        filter.awaitingReview = try query["awaiting_review"].map { try Self.flag(String($0), "awaiting_review") }
        let (limit, cursor) = try Self.pageParameters(query)
        let page = try await useCases.list(filter, limit: limit, after: cursor, by: key)
        return InspectionPage(items: page.items.map { InspectionResource($0) }, nextCursor: page.nextCursor)
    }

    @Sendable func get(request: Request, context: WalkaroundRequestContext) async throws -> InspectionResource {
        let details = try await useCases.details(Self.id(context), by: context.requireKey())
        return InspectionResource(details.inspection, photos: details.photos, detections: details.detections, plateReadings: details.plateReadings)
    }

    @Sendable func complete(request: Request, context: WalkaroundRequestContext) async throws -> InspectionResource {
        let (inspection, photos) = try await useCases.complete(Self.id(context), by: context.requireKey(), logger: context.logger)
        return InspectionResource(inspection, photos: photos)
    }

    @Sendable func erase(request: Request, context: WalkaroundRequestContext) async throws -> HTTPResponse.Status {
        try await useCases.erase(Self.id(context), by: context.requireKey(), logger: context.logger)
        return .noContent
    }

    struct HoldRequest: Decodable {
        var reason: String
    }

    /// `PUT /v1/inspections/{id}/hold`: keeps the inspection's evidence (a dispute, a review)
    /// from erasure and retention until the hold is released. Placing it again replaces the reason.
    @Sendable func placeHold(request: Request, context: WalkaroundRequestContext) async throws -> InspectionResource {
        let key = try context.requireKey()
        let id = try Self.id(context)
        // Access first: a key that may not hold learns nothing from the body's validation.
        _ = try await useCases.inspection(id, for: key, .change, .hold)
        let reason = try await request.decodeJSON(as: HoldRequest.self, context: context).reason
        return InspectionResource(try await useCases.setHold(id, reason: reason, by: key, logger: context.logger))
    }

    /// `DELETE /v1/inspections/{id}/hold`: releases the hold (a no-op when there is none).
    @Sendable func releaseHold(request: Request, context: WalkaroundRequestContext) async throws -> InspectionResource {
        InspectionResource(try await useCases.setHold(Self.id(context), reason: nil, by: context.requireKey(), logger: context.logger))
    }

    /// The `:id` path parameter as a UUID (400 when it is not one).
    static func id(_ context: WalkaroundRequestContext) throws -> UUID {
        try parseID(context.parameters.require("id"))
    }

    /// `limit` (1–200, default 50) and `cursor` of a listing; 400 for values this server would not issue.
    static func pageParameters(_ query: FlatDictionary<Substring, Substring>) throws -> (Int, InspectionCursor?) {
        var limit = 50
        if let text = query["limit"] {
            guard let value = Int(text), (1...InspectionUseCases.maxPageSize).contains(value) else {
                throw APIError.badRequest("invalid_parameter", "limit must be an integer from 1 to \(InspectionUseCases.maxPageSize)")
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

    /// A calendar day `YYYY-MM-DD` (UTC) from 2000 to 2999: its start.
    static func day(_ text: String, _ name: String) throws -> Date {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard text.utf8.count == 10, parts.count == 3, let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
            (2000...2999).contains(year), (1...12).contains(month), (1...31).contains(day)
        else { throw APIError.badRequest("invalid_parameter", "\(name) must be a day, YYYY-MM-DD") }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        guard let date = calendar.date(from: DateComponents(year: year, month: month, day: day)),
            calendar.component(.day, from: date) == day
        else { throw APIError.badRequest("invalid_parameter", "\(name) is not a day of the calendar") }
        return date
    }

    static func flag(_ text: String, _ name: String) throws -> Bool {
        switch text {
        case "true": return true
        case "false": return false
        default: throw APIError.badRequest("invalid_parameter", "\(name) must be true or false")
        }
    }

    static func parseID(_ text: String) throws -> UUID {
        guard let id = UUID(uuidString: text) else { throw APIError.badRequest("invalid_id", "\(text) is not a UUID") }
        return id
    }
}

extension Request {
    /// The body, when it is JSON of at most `limit` bytes (413 when larger, 400 when not JSON).
    func jsonBody(limit: Int = 64 * 1024) async throws -> Data {
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
        return data
    }

    /// Decodes a JSON body: 400 when it is not JSON, 422 when it is JSON of the wrong shape.
    func decodeJSON<T: Decodable>(as type: T.Type, context: WalkaroundRequestContext, limit: Int = 64 * 1024) async throws -> T {
        let data = try await jsonBody(limit: limit)
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

/// A report's state in the event stream.
struct ReportStateResource: Encodable {
    var status: String
    var version: Int
}
