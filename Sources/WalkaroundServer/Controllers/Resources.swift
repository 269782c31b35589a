import Foundation
import Hummingbird
import WalkaroundCore

/// A photo as the API shows it.
struct PhotoResource: ResponseCodable, Equatable {
    var id: String
    var inspectionId: String
    var view: Photo.View
    var sha256: String
    var format: ImageFormat
    var byteCount: Int
    var status: Photo.Status
    var width: Int?
    var height: Int?
    var error: String?
    var createdAt: Date
    var processedAt: Date?
    var links: Links

    struct Links: Codable, Equatable {
        var image: String
    }

    init(_ photo: Photo) {
        id = photo.id.apiString
        inspectionId = photo.inspectionID.apiString
        view = photo.view
        sha256 = photo.sha256
        format = photo.format
        byteCount = photo.byteCount
        status = photo.status
        width = photo.width
        height = photo.height
        error = photo.error
        createdAt = photo.createdAt
        processedAt = photo.processedAt
        links = Links(image: "/v1/photos/\(photo.id.apiString)/image")
    }
}

/// An inspection as the API shows it, with its photos when they were loaded.
struct InspectionResource: ResponseCodable, Equatable {
    var id: String
    var kind: Inspection.Kind
    var station: String
    var vehicle: VehicleRef
    var reference: String?
    var status: Inspection.Status
    var createdAt: Date
    var completedAt: Date?
    var photos: [PhotoResource]?
    var photoCounts: [String: Int]?

    init(_ inspection: Inspection, photos: [Photo]? = nil) {
        id = inspection.id.apiString
        kind = inspection.kind
        station = inspection.station
        vehicle = inspection.vehicle
        reference = inspection.reference
        status = inspection.status
        createdAt = inspection.createdAt
        completedAt = inspection.completedAt
        self.photos = photos?.map(PhotoResource.init)
        photoCounts = photos.map { photos in
            Dictionary(grouping: photos, by: \.status.rawValue).mapValues(\.count)
        }
    }
}

/// One page of inspections; `next_cursor` is absent on the last page.
struct InspectionPage: ResponseCodable {
    var items: [InspectionResource]
    var nextCursor: String?
}

/// The body of `POST /v1/inspections`.
struct CreateInspectionRequest: Decodable {
    var kind: String
    var station: String
    var vehicle: Vehicle?
    var reference: String?

    struct Vehicle: Decodable {
        var plate: String?
        var vin: String?
    }
}

extension UUID {
    /// Ids appear in the API in lower case.
    var apiString: String { uuidString.lowercased() }
}
