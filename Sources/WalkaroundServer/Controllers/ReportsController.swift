import Foundation
import Hummingbird
import Imaging
import Reporting
import Storage
import UseCases
import WalkaroundCore

/// `GET /v1/inspections/{id}/report`: the report of a completed inspection, as JSON or (with
/// `?format=html`) a printable page with the annotated photo of each new damage.
struct ReportsController {
    let useCases: ReportUseCases
    let decoder: PhotoDecoder
    let imageWork: ImageWork

    /// The longer side of the annotated photos embedded in the page.
    static let imageSize = 1024

    func addRoutes(to group: RouterGroup<WalkaroundRequestContext>) {
        group.get("inspections/:id/report", use: get)
    }

    @Sendable func get(request: Request, context: WalkaroundRequestContext) async throws -> Response {
        let id = try InspectionsController.id(context)
        let key = try context.requireKey()
        let format = request.uri.queryParameters["format"].map(String.init) ?? "json"
        guard format == "json" || format == "html" else {
            throw APIError.badRequest("invalid_parameter", "format must be json or html")
        }
        let stored = try await useCases.report(of: id, by: key)
        guard let report = stored.report, let prose = stored.prose else {
            let body = try APIJSON.encoder.encode(ReportPendingResource(inspectionId: stored.inspectionID, status: stored.status.rawValue, requestedAt: stored.requestedAt))
            return Response(
                status: .accepted, headers: [.contentType: "application/json", .retryAfter: "1"],
                body: .init(byteBuffer: ByteBuffer(bytes: body))
            )
        }
        if format == "html" {
            let page = ReportPage().html(report: report, prose: prose, images: try await images(of: report))
            return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: page)))
        }
        let body = try Self.lowercasingIDs(APIJSON.encoder.encode(ReportResource(report: report, prose: prose, writtenAt: stored.writtenAt)))
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// The report's domain types encode UUIDs in Foundation's upper case; the API writes ids in lower case everywhere.
    static func lowercasingIDs(_ json: Data) throws -> Data {
        func walk(_ value: Any) -> Any {
            switch value {
            case let text as String: UUID(uuidString: text) != nil ? text.lowercased() : text
            case let array as [Any]: array.map(walk)
            case let object as [String: Any]: object.mapValues(walk)
            default: value
            }
        }
        return try JSONSerialization.data(withJSONObject: walk(try JSONSerialization.jsonObject(with: json)), options: [.sortedKeys])
    }

    /// The annotated photo of each new damage (its best sighting), by damage id; a photo that
    /// cannot be read is left out rather than failing the page. Several new damages may be on one
    /// photo: each photo is decoded once, as image work.
    private func images(of report: InspectionReport) async throws -> [String: [UInt8]] {
        var images: [String: [UInt8]] = [:]
        let decoder = self.decoder
        for evidence in try await useCases.evidence(of: report) {
            let rendered = try await imageWork.run { () -> [(String, [UInt8])] in
                guard let decoded = try? decoder.decode(evidence.bytes, cover: Self.imageSize) else { return [] }
                return evidence.shown.compactMap { item in
                    (try? PhotosController.annotatedJPEG(decoded, detections: evidence.detections.filter { $0.id == item.detection }, quality: 80))
                        .map { (item.damage, $0) }
                }
            }
            for (damage, jpeg) in rendered { images[damage] = jpeg }
        }
        return images
    }
}

/// A report not written yet.
struct ReportPendingResource: Encodable {
    var inspectionId: UUID
    var status: String
    var requestedAt: Date
}

/// The written report: the structured data, the prose and who wrote it.
struct ReportResource: Encodable {
    var report: InspectionReport
    var prose: ReportProse
    var writtenAt: Date?

    enum CodingKeys: String, CodingKey {
        case status, provider, report, prose, writtenAt, counts
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode("written", forKey: .status)
        try container.encode(prose.provider, forKey: .provider)
        try container.encode(report, forKey: .report)
        try container.encode(prose, forKey: .prose)
        try container.encodeIfPresent(writtenAt, forKey: .writtenAt)
        let counts = Dictionary(uniqueKeysWithValues: DamageStatus.allCases.map { ($0.rawValue, report.damages($0).count) })
        try container.encode(counts, forKey: .counts)
    }
}
