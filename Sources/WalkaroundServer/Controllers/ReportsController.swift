import Foundation
import HTTPTypes
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
        group.post("inspections/:id/report/damages", use: addDamage)
        group.patch("inspections/:id/report/damages/:damage", use: reviewDamage)
        group.post("inspections/:id/report/state", use: changeState)
        group.get("inspections/:id/report/audit", use: audit)
        group.get("inspections/:id/report/signed", use: signed)
        group.get("inspections/:id/report/damages/:damage/evidence/:side", use: evidence)
    }

    /// `GET /.well-known/walkaround/report-keys` (no key needed): the public keys that verify signed reports.
    static func addPublicRoutes(to router: Router<WalkaroundRequestContext>, signingKey: ReportSigningKey) {
        let body = (try? APIJSON.encoder.encode(PublicKeySet(keys: [signingKey.jwk]))) ?? Data()
        router.get(".well-known/walkaround/report-keys") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/jwk-set+json", .cacheControl: "public, max-age=300"],
                body: .init(byteBuffer: ByteBuffer(bytes: body))
            )
        }
    }

    /// `GET /v1/inspections/{id}/report/signed`: the final report as it was signed (`walkaround
    /// report verify` checks it offline against the public keys).
    @Sendable func signed(request: Request, context: WalkaroundRequestContext) async throws -> Response {
        let document = try await useCases.signedReport(of: InspectionsController.id(context), by: context.requireKey())
        return Response(
            status: .ok,
            headers: [.contentType: "application/json", .contentDisposition: "attachment; filename=\"walkaround-report-\(try InspectionsController.id(context).apiString).json\""],
            body: .init(byteBuffer: ByteBuffer(bytes: document))
        )
    }

    /// The longer side of an evidence crop.
    static let cropSize = 640

    /// `GET /v1/inspections/{id}/report/damages/{damage}/evidence/{return|checkout}`: the crop of
    /// one side of a damage's evidence as JPEG, the damage's box drawn (on the check-out crop:
    /// where the return's box lies after the framing shift, and the check-out's own detections).
    @Sendable func evidence(request: Request, context: WalkaroundRequestContext) async throws -> Response {
        let id = try InspectionsController.id(context)
        let damage = try Self.damageID(context)
        guard let side = DamageEvidence.Side(rawValue: try context.parameters.require("side")) else {
            throw APIError.notFound("evidence side (return or checkout)")
        }
        let evidence = try await useCases.evidence(of: id, damage: damage, side: side, by: context.requireKey())
        guard let jpeg = try await evidenceJPEG(evidence, side: side) else {
            throw APIError.unprocessable("unreadable_photo", "the photo of this evidence cannot be decoded")
        }
        return Response(
            status: .ok, headers: [.contentType: "image/jpeg", .cacheControl: "private, max-age=300"], body: .init(byteBuffer: ByteBuffer(bytes: jpeg))
        )
    }

    /// One side of a damage's evidence as a JPEG crop; nil when its photo cannot be decoded.
    private func evidenceJPEG(
        _ evidence: (crop: EvidenceCrop, bytes: [UInt8], detections: [Detection]), side: DamageEvidence.Side
    ) async throws -> [UInt8]? {
        try await Self.evidenceJPEG(evidence, side: side, decoder: decoder, imageWork: imageWork)
    }

    static func evidenceJPEG(
        _ evidence: (crop: EvidenceCrop, bytes: [UInt8], detections: [Detection]), side: DamageEvidence.Side, decoder: PhotoDecoder, imageWork: ImageWork
    ) async throws -> [UInt8]? {
        let (crop, bytes, detections) = evidence
        return try await imageWork.run { () -> [UInt8]? in
            guard let decoded = try? decoder.decode(bytes, cover: Self.cropSize * 3) else { return nil }
            return try? Self.cropJPEG(decoded, crop: crop, side: side, detections: detections)
        }
    }

    /// The evidence crop of `decoded`: boxes drawn on the whole photo, then the region cut out and
    /// scaled to `cropSize`.
    static func cropJPEG(_ decoded: DecodedPhoto, crop: EvidenceCrop, side: DamageEvidence.Side, detections: [Detection]) throws -> [UInt8]? {
        let (w, h) = (Double(decoded.uprightWidth), Double(decoded.uprightHeight))
        func pixels(_ box: Box) -> Box { Box(x1: box.x1 * w, y1: box.y1 * h, x2: box.x2 * w, y2: box.y2 * h) }
        var annotations: [Annotation] = []
        if side == .checkout {
            annotations += detections.filter { $0.className != InspectionReport.plateClass }.map { detection in
                Annotation(box: detection.box, label: "\(detection.className.replacingOccurrences(of: "_", with: " ")) \(detection.confidence.wholePercent)%", colour: RGB(255, 165, 0))
            }
            annotations.append(Annotation(box: pixels(crop.box), label: "same place", colour: RGB(0, 150, 255)))
        } else {
            annotations.append(Annotation(box: pixels(crop.box), label: "new", colour: RGB(225, 30, 30)))
        }
        let drawn = DecodedPhoto(header: decoded.header, image: Annotator.draw(annotations, on: decoded))
        guard let region = drawn.crop(pixels(crop.region)) else { return nil }
        return try JPEGCodec.encode(region.fitted(longSide: cropSize), quality: 82)
    }

    static func damageID(_ context: WalkaroundRequestContext) throws -> String {
        let damage = try context.parameters.require("damage")
        guard damage.count <= 16, damage.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
            throw APIError.badRequest("invalid_id", "damage ids look like D1")
        }
        return damage
    }

    @Sendable func get(request: Request, context: WalkaroundRequestContext) async throws -> Response {
        let id = try InspectionsController.id(context)
        let key = try context.requireKey()
        let format = request.uri.queryParameters["format"].map(String.init) ?? "json"
        guard format == "json" || format == "html" else {
            throw APIError.badRequest("invalid_parameter", "format must be json or html")
        }
        let asked = try Self.askedLanguage(request)
        let stored = try await useCases.report(of: id, by: key)
        guard let report = stored.report, stored.prose != nil else {
            let body = try APIJSON.encoder.encode(ReportPendingResource(inspectionId: stored.inspectionID, status: stored.status.rawValue, requestedAt: stored.requestedAt))
            return Response(
                status: .accepted, headers: [.contentType: "application/json", .retryAfter: "1"],
                body: .init(byteBuffer: ByteBuffer(bytes: body))
            )
        }
        let language = useCases.language(of: stored, asked: asked)
        if format == "html" {
            guard let prose = useCases.prose(of: stored, in: language) else { throw APIError.conflict("report_pending", "the report is not written yet") }
            let page = ReportPage(language: language).html(
                report: report, prose: prose, images: try await images(of: stored, by: key), review: stored.review, charged: try await useCases.chargeableEstimate(of: stored)
            )
            var headers: HTTPFields = [.contentType: "text/html; charset=utf-8", .contentLanguage: language.rawValue, .vary: "Accept-Language"]
            // Opened from the web app, in its origin: nothing runs, nothing loads but its own inline style and images.
            WebHeaders.apply(to: &headers)
            headers[HTTPField.Name("Content-Security-Policy")!] = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: page)))
        }
        var response = try await rendered(stored, language: asked)
        if let asked { response.headers[.contentLanguage] = asked.rawValue }
        response.headers[.vary] = "Accept-Language"
        return response
    }

    /// The language asked for: `?lang=` (one of the report languages, else 400), else the most
    /// preferred supported one of `Accept-Language`; nil when neither names one.
    static func askedLanguage(_ request: Request) throws -> ReportLanguage? {
        if let text = request.uri.queryParameters["lang"] {
            guard let language = ReportLanguage(rawValue: String(text).lowercased()) else {
                throw APIError.badRequest("invalid_parameter", "lang must be one of \(ReportLanguage.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return language
        }
        guard let header = request.headers[.acceptLanguage] else { return nil }
        // As documented (maxLength 1024): a longer header is refused, not cut (schemathesis found it accepted).
        guard header.count <= 1024 else { throw APIError.badRequest("invalid_parameter", "Accept-Language is longer than 1024 characters") }
        return ReportLanguage.preferred(acceptLanguage: header)
    }

    /// The written report as JSON, with its version as the ETag that review changes send in `If-Match`.
    private func rendered(_ stored: StoredReport, language: ReportLanguage? = nil) async throws -> Response {
        let body = try await useCases.resource(of: stored, language: language).json()
        return Response(
            status: .ok, headers: [.contentType: "application/json", .eTag: Self.eTag(stored.version), .cacheControl: "no-cache"],
            body: .init(byteBuffer: ByteBuffer(bytes: body))
        )
    }

    /// `PATCH /v1/inspections/{id}/report/damages/{damage}` (reviewers, admins; `If-Match`
    /// required): confirm or reject a damage, or correct its class, part or severity.
    @Sendable func reviewDamage(request: Request, context: WalkaroundRequestContext) async throws -> Response {
        let id = try InspectionsController.id(context)
        let key = try context.requireKey()
        let damage = try Self.damageID(context)
        let version = try Self.requiredVersion(request)
        let body = try await request.decodeJSON(as: DamageReviewRequest.self, context: context)
        let change = try body.change()
        return try await rendered(try await useCases.reviewDamage(id, damage: damage, change: change, ifVersion: version, by: key))
    }

    /// `POST /v1/inspections/{id}/report/damages` (reviewers, admins; `If-Match` required): a
    /// damage the model missed, drawn as a box in pixels of one of the inspection's upright photos.
    @Sendable func addDamage(request: Request, context: WalkaroundRequestContext) async throws -> Response {
        let id = try InspectionsController.id(context)
        let key = try context.requireKey()
        let version = try Self.requiredVersion(request)
        let body = try await request.decodeJSON(as: AddDamageRequest.self, context: context)
        let draft = AddedDamageDraft(
            photoID: try InspectionsController.parseID(body.photoId), box: Box(x1: body.box.x1, y1: body.box.y1, x2: body.box.x2, y2: body.box.y2),
            className: body.className, part: try DamageReviewRequest.parse(body.part, "part", as: CarPart.self),
            severity: try DamageReviewRequest.parse(body.severity, "severity", as: Severity.self), note: body.note
        )
        let (stored, _) = try await useCases.addDamage(id, draft, ifVersion: version, by: key)
        var response = try await rendered(stored)
        response.status = .created
        return response
    }

    /// `POST /v1/inspections/{id}/report/state` (reviewers, admins; `If-Match` required):
    /// `{"state": "reviewed" | "final" | "draft", "note": "…"}`.
    @Sendable func changeState(request: Request, context: WalkaroundRequestContext) async throws -> Response {
        let id = try InspectionsController.id(context)
        let key = try context.requireKey()
        let version = try Self.requiredVersion(request)
        let body = try await request.decodeJSON(as: ReportStateRequest.self, context: context)
        guard let state = ReportReview.State(rawValue: body.state) else {
            throw APIError.unprocessable("invalid_field", "state must be one of \(ReportReview.State.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return try await rendered(try await useCases.changeState(id, to: state, note: body.note, ifVersion: version, by: key))
    }

    /// `GET /v1/inspections/{id}/report/audit`: every review change, oldest first.
    @Sendable func audit(request: Request, context: WalkaroundRequestContext) async throws -> Response {
        let records = try await useCases.audit(of: InspectionsController.id(context), by: context.requireKey())
        let body = try APIJSON.encoder.encode(AuditResource(items: records.map(AuditRecordResource.init)))
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    static func eTag(_ version: Int) -> String { "\"\(version)\"" }

    /// The version `If-Match` names: 428 without one, 400 for anything but one strong ETag this server issues.
    static func requiredVersion(_ request: Request) throws -> Int {
        guard let header = request.headers[.ifMatch] else {
            throw APIError(
                .preconditionRequired, code: "precondition_required",
                message: "send If-Match with the report's ETag (from GET …/report), so that a concurrent review is not overwritten"
            )
        }
        let tag = header.trimmingCharacters(in: .whitespaces)
        let digits = tag.dropFirst().dropLast()
        // Entity tags compare exactly: "02" or "+2" is not "2".
        guard tag.count >= 3, tag.count <= 22, tag.hasPrefix("\""), tag.hasSuffix("\""), digits.allSatisfy({ ("0"..."9").contains($0) }),
            let version = Int(digits), String(version) == digits
        else {
            throw APIError.badRequest("invalid_if_match", "If-Match must be the report's ETag, one strong entity tag such as \"3\"")
        }
        return version
    }

    /// The evidence crops of each chargeable damage, by damage id, from the report already read
    /// (and its access checked); a photo that cannot be read is left out rather than failing the
    /// page. Each crop is decoded and drawn as image work.
    private func images(of stored: StoredReport, by key: APIKey) async throws -> [String: ReportPage.EvidenceImages] {
        guard let report = stored.report else { return [:] }
        var crops: [String: ReportPage.EvidenceImages] = [:]
        for item in report.evidence(review: stored.review) {
            var images = ReportPage.EvidenceImages(returned: nil, checkout: nil)
            for side in DamageEvidence.Side.allCases where item.crop(side) != nil {
                // A photo erased since is left out; a busy image pool fails the page (503), as before.
                let jpeg: [UInt8]?
                do {
                    jpeg = try await evidenceJPEG(try await useCases.evidence(in: stored, damage: item.damage, side: side, by: key), side: side)
                } catch is UseCaseError {
                    jpeg = nil
                }
                if side == .return { images.returned = jpeg } else { images.checkout = jpeg }
            }
            crops[item.damage] = images
        }
        return crops
    }
}

/// A report not written yet.
struct ReportPendingResource: Encodable {
    var inspectionId: UUID
    var status: String
    var requestedAt: Date
}

/// `PATCH …/report/damages/{damage}`: the fields to change; absent ones stay.
struct DamageReviewRequest: Decodable {
    var decision: String?
    var className: String?
    var part: String?
    var severity: String?
    var rejectionReason: String?
    var note: String?

    /// `text` as a value of its vocabulary (422 naming the field); nil stays nil.
    static func parse<T: RawRepresentable & CaseIterable>(_ text: String?, _ field: String, as type: T.Type) throws -> T? where T.RawValue == String {
        guard let text else { return nil }
        guard let value = T(rawValue: text) else {
            throw APIError.unprocessable("invalid_field", "\(field) must be one of \(T.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return value
    }

    /// The change, with each value checked against its vocabulary (422 naming the field).
    func change() throws -> DamageReviewChange {
        return DamageReviewChange(
            decision: try Self.parse(decision, "decision", as: DamageReview.Decision.self), className: className,
            part: try Self.parse(part, "part", as: CarPart.self), severity: try Self.parse(severity, "severity", as: Severity.self),
            rejectionReason: try Self.parse(rejectionReason, "rejection_reason", as: DamageReview.RejectionReason.self), note: note
        )
    }
}

/// `POST …/report/damages`: a box in pixels of the upright photo and what it shows.
struct AddDamageRequest: Decodable {
    struct Corners: Decodable {
        var x1: Double
        var y1: Double
        var x2: Double
        var y2: Double
    }

    var photoId: String
    var box: Corners
    var className: String
    var part: String?
    var severity: String?
    var note: String?
}

struct ReportStateRequest: Decodable {
    var state: String
    var note: String?
}

struct AuditResource: Encodable {
    var items: [AuditRecordResource]
}

struct AuditRecordResource: Encodable {
    var id: String
    var at: Date
    var action: String
    var keyId: String?
    var keyName: String?
    var role: String
    var damage: String?
    var before: [String: String]
    var after: [String: String]
    var note: String?

    init(_ record: ReviewAuditRecord) {
        id = record.id.uuidString.lowercased()
        at = record.at
        action = record.action.rawValue
        keyId = record.keyID?.uuidString.lowercased()
        keyName = record.keyName
        role = record.role
        damage = record.damage
        before = record.before
        after = record.after
        note = record.note
    }
}
