import Foundation
import HTTPTypes
import Hummingbird
import Imaging
import NIOCore
import Storage
import UseCases
import WalkaroundCore

/// Photo upload (`POST /v1/inspections/{id}/photos`), the stored original (`GET /v1/photos/{id}/image`),
/// a thumbnail and the annotated image with the detections drawn.
struct PhotosController {
    let useCases: PhotoUseCases
    let decoder: PhotoDecoder
    let maxUploadBytes: Int
    let imageWork: ImageWork
    /// Thumbnails already made, in Redis; nil without Redis.
    var thumbnails: RedisByteCache? = nil

    /// The annotated image is decoded at the smallest scale whose longer side covers this.
    static let annotatedSize = 2048
    static let thumbnailSizes = 32...1024

    func addRoutes(to group: RouterGroup<WalkaroundRequestContext>) {
        group.post("inspections/:id/photos", use: upload)
        group.get("photos/:id/image", use: image)
        group.get("photos/:id/thumbnail.jpg", use: thumbnail)
        group.get("photos/:id/annotated.jpg", use: annotated)
    }

    @Sendable func upload(request: Request, context: WalkaroundRequestContext) async throws -> Response {
        let key = try context.requireKey()
        let inspectionID = try InspectionsController.id(context)
        _ = try await useCases.mayUpload(to: inspectionID, by: key)
        let idempotencyKey = try Self.idempotencyKey(request)
        let (bytes, sha256, formView) = try await readPhoto(request)
        let queryView = request.uri.queryParameters["view"].map(String.init)
        // Both given: they must agree, or the photo would be filed under one the client did not mean.
        if let queryView, let formView, queryView != formView {
            throw APIError.badRequest("invalid_parameter", "the view query parameter and the multipart view part differ")
        }
        guard let viewText = queryView ?? formView else {
            throw APIError.badRequest("missing_parameter", "view is required: one of \(Self.views)")
        }
        guard let view = Photo.View(rawValue: viewText) else {
            throw APIError.badRequest("invalid_parameter", "view must be one of \(Self.views)")
        }
        guard let format = ImageFormat(sniffing: bytes) else {
            throw APIError(.unsupportedMediaType, code: "unsupported_media_type", message: "the photo is not a JPEG or PNG file")
        }
        let outcome = try await useCases.upload(
            to: inspectionID, view: view, bytes: bytes, sha256: sha256, format: format, idempotencyKey: idempotencyKey, by: key, logger: context.logger
        ) { photo in
            String(decoding: try APIJSON.encoder.encode(PhotoResource(photo)), as: UTF8.self)
        }
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
        let stored: IdempotentResponse
        switch outcome {
        case .accepted(let photo, let response):
            stored = response
            headers[.location] = "/v1/photos/\(photo.id.apiString)/image"
        case .replayed(let response):
            stored = response
            headers[.idempotentReplayed] = "true"
        }
        return Response(
            status: HTTPResponse.Status(code: stored.status),
            headers: headers,
            body: .init(byteBuffer: ByteBuffer(string: stored.body))
        )
    }

    @Sendable func image(request: Request, context: WalkaroundRequestContext) async throws -> Response {
        let photo = try await readablePhotoRecord(context)
        let tag = "\"\(photo.sha256)\""
        if let unchanged = Self.notModified(request, eTag: tag) { return unchanged }
        let bytes = try await useCases.bytes(of: photo)
        return Response(
            status: .ok,
            headers: [.contentType: photo.format.mediaType, .eTag: tag, .cacheControl: Self.immutable],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes))
        )
    }

    static let immutable = "private, max-age=31536000, immutable"

    /// 304 when the client already holds this immutable representation (`If-None-Match`, RFC 9110).
    static func notModified(_ request: Request, eTag: String) -> Response? {
        guard let header = request.headers[.ifNoneMatch] else { return nil }
        let tags = header.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard tags.contains("*") || tags.contains(eTag) || tags.contains("W/" + eTag) else { return nil }
        return Response(status: .notModified, headers: [.eTag: eTag, .cacheControl: immutable])
    }

    /// `?size=` (32–1024, default 320) pixels on the longer side, upright.
    @Sendable func thumbnail(request: Request, context: WalkaroundRequestContext) async throws -> Response {
        let size: Int
        if let text = request.uri.queryParameters["size"] {
            guard let value = Int(text), Self.thumbnailSizes.contains(value) else {
                throw APIError.badRequest("invalid_parameter", "size must be a whole number from \(Self.thumbnailSizes.lowerBound) to \(Self.thumbnailSizes.upperBound)")
            }
            size = value
        } else {
            size = 320
        }
        let photo = try await readablePhotoRecord(context)
        let tag = "\"\(photo.sha256)-\(size)\""
        if let unchanged = Self.notModified(request, eTag: tag) { return unchanged }
        // Made once per photo and size across pods (Redis), else decoded again.
        let cacheKey = "\(photo.sha256):\(size)"
        if let cached = await thumbnails?.get(cacheKey) { return Self.jpegResponse(cached, headers: [.eTag: tag, .cacheControl: Self.immutable]) }
        let bytes = try await useCases.bytes(of: photo)
        let decoder = self.decoder
        let jpeg = try await imageWork.run {
            try JPEGCodec.encode(Self.decode(bytes, with: decoder, cover: size).image.fitted(longSide: size), quality: 80)
        }
        await thumbnails?.set(cacheKey, jpeg)
        return Self.jpegResponse(jpeg, headers: [.eTag: tag, .cacheControl: Self.immutable])
    }

    /// The photo upright with its detections drawn: red for new damage, amber for pre-existing,
    /// yellow for needs-review, blue before any comparison.
    @Sendable func annotated(request: Request, context: WalkaroundRequestContext) async throws -> Response {
        let photo = try await readablePhotoRecord(context)
        let bytes = try await useCases.bytes(of: photo)
        // Car parts are context for the report, not findings: not drawn.
        let found = try await useCases.detections(of: photo).filter { $0.role != .part }
        let decoder = self.decoder
        let jpeg = try await imageWork.run {
            try Self.annotatedJPEG(Self.decode(bytes, with: decoder, cover: Self.annotatedSize), detections: found)
        }
        return Self.jpegResponse(jpeg, headers: [.cacheControl: "private, no-cache"])
    }

    /// The photo with each detection's box and label drawn, coloured by its comparison status.
    static func annotatedJPEG(_ decoded: DecodedPhoto, detections: [Detection], quality: Int = 85) throws -> [UInt8] {
        let annotations = detections.map { detection in
            let status = detection.status.map { " " + $0.rawValue.replacingOccurrences(of: "_", with: " ") } ?? ""
            return Annotation(
                box: detection.box,
                label: "\(detection.className.replacingOccurrences(of: "_", with: " ")) \(detection.confidence.wholePercent)%\(status)",
                colour: Self.colour(for: detection.status)
            )
        }
        return try JPEGCodec.encode(Annotator.draw(annotations, on: decoded), quality: quality)
    }

    static func colour(for status: DamageStatus?) -> RGB {
        switch status {
        case .new: RGB(225, 30, 30)
        case .preExisting: RGB(255, 165, 0)
        case .needsReview: RGB(255, 225, 0)
        case .notSeen: RGB(160, 160, 160)
        case .unverified, nil: RGB(0, 150, 255)
        }
    }

    /// The photo named in the path, when the key may read its inspection.
    private func readablePhotoRecord(_ context: WalkaroundRequestContext) async throws -> Photo {
        try await useCases.photo(InspectionsController.id(context), by: context.requireKey())
    }

    private static func decode(_ bytes: [UInt8], with decoder: PhotoDecoder, cover: Int) throws -> DecodedPhoto {
        do {
            return try decoder.decode(bytes, cover: cover)
        } catch {
            throw APIError.unprocessable("unreadable_photo", "the stored photo cannot be decoded: \(error)")
        }
    }

    private static func jpegResponse(_ jpeg: [UInt8], headers extra: HTTPFields) -> Response {
        var headers: HTTPFields = [.contentType: "image/jpeg"]
        headers.append(contentsOf: extra)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: jpeg)))
    }

    /// The photo's bytes from a raw image body or a multipart `photo` part, plus a multipart `view` field.
    /// The photo's bytes, their SHA-256 when it was computed as they arrived (a raw body), and the
    /// view a multipart form names.
    private func readPhoto(_ request: Request) async throws -> ([UInt8], String?, String?) {
        let contentType = request.headers[.contentType] ?? ""
        let mediaType = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        let isMultipart = mediaType == "multipart/form-data"
        guard isMultipart || mediaType == "image/jpeg" || mediaType == "image/png" else {
            throw APIError(.unsupportedMediaType, code: "unsupported_media_type", message: "send image/jpeg, image/png or multipart/form-data with a photo part")
        }
        // Multipart framing adds a little to the photo itself.
        let limit = isMultipart ? maxUploadBytes + 64 * 1024 : maxUploadBytes
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit {
            throw Self.tooLarge(maxUploadBytes)
        }
        // The body is read chunk by chunk into one array: held in memory once, not as a buffer and
        // a copy. A raw photo is hashed as it arrives, so its address is ready with the last chunk.
        var body: [UInt8] = []
        var address = isMultipart ? nil : PhotoBlobStore.IncrementalAddress()
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > 0 { body.reserveCapacity(length) }
        for try await chunk in request.body {
            guard chunk.readableBytes <= limit - body.count else { throw Self.tooLarge(maxUploadBytes) }
            chunk.withUnsafeReadableBytes { address?.update($0) }
            body.append(contentsOf: chunk.readableBytesView)
        }
        guard isMultipart else {
            guard !body.isEmpty else { throw APIError.badRequest("empty_body", "the request has no photo") }
            return (body, address?.finalize(), nil)
        }
        let (range, view) = try photoPart(of: body, contentType: contentType)
        // The photo part is cut out of the body in place (the parsed form is gone, so no copy is made).
        body.removeSubrange(range.upperBound...)
        body.removeSubrange(..<range.lowerBound)
        return (body, nil, view)
    }

    /// Where the `photo` part lies in a multipart body, and the `view` field.
    private func photoPart(of body: [UInt8], contentType: String) throws -> (Range<Int>, String?) {
        guard let boundary = MultipartFormData.boundary(fromContentType: contentType),
            let form = MultipartFormData(body: body, boundary: boundary)
        else {
            throw APIError.badRequest("invalid_multipart", "the multipart/form-data body could not be parsed")
        }
        guard let part = form.part(named: "photo"), !part.body.isEmpty else {
            throw APIError.badRequest("missing_photo_part", "the form has no non-empty part named photo")
        }
        guard part.body.count <= maxUploadBytes else { throw Self.tooLarge(maxUploadBytes) }
        let view = form.part(named: "view").flatMap { String(validating: $0.body, as: UTF8.self) }
        return (part.body.indices, view?.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    private static func idempotencyKey(_ request: Request) throws -> String? {
        guard let value = request.headers[.idempotencyKey] else { return nil }
        guard (1...255).contains(value.count), value.unicodeScalars.allSatisfy({ $0.value >= 0x21 && $0.value <= 0x7E }) else {
            throw APIError.badRequest("invalid_idempotency_key", "Idempotency-Key must be 1 to 255 visible ASCII characters")
        }
        return value
    }

    private static func tooLarge(_ limit: Int) -> APIError {
        APIError(.contentTooLarge, code: "payload_too_large", message: "the photo is larger than \(limit) bytes")
    }

    private static let views = Photo.View.allCases.map(\.rawValue).joined(separator: ", ")
}

extension HTTPField.Name {
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
    static let idempotentReplayed = HTTPField.Name("Idempotent-Replayed")!
}
