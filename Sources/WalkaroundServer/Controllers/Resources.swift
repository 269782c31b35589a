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
    var orientation: Int?
    var capturedAt: String?
    var quality: QualityResource?
    var detections: [DetectionResource]?
    var plateReadings: [PlateReadingResource]?
    var error: String?
    var createdAt: Date
    var processedAt: Date?
    var links: Links

    struct Links: Codable, Equatable {
        var image: String
        var thumbnail: String
        var annotated: String
    }

    init(_ photo: Photo, detections: [Detection]? = nil, plateReadings: [PlateReading]? = nil) {
        self.plateReadings = plateReadings?.map(PlateReadingResource.init)
        id = photo.id.apiString
        inspectionId = photo.inspectionID.apiString
        view = photo.view
        sha256 = photo.sha256
        format = photo.format
        byteCount = photo.byteCount
        status = photo.status
        width = photo.width
        capturedAt = photo.capturedAt
        height = photo.height
        orientation = photo.orientation
        quality = photo.quality.map(QualityResource.init)
        self.detections = detections?.map(DetectionResource.init)
        error = photo.error
        createdAt = photo.createdAt
        processedAt = photo.processedAt
        let base = "/v1/photos/\(photo.id.apiString)"
        links = Links(image: base + "/image", thumbnail: base + "/thumbnail.jpg", annotated: base + "/annotated.jpg")
    }
}

/// The quality gate's verdict on a photo: `accepted`, the measured values, and when rejected the
/// machine-readable issues and one sentence of advice for the station.
struct QualityResource: Codable, Equatable {
    var accepted: Bool
    var advice: String?
    var issues: [QualityIssue]
    var measures: QualityMeasures?

    init(_ report: QualityReport) {
        accepted = report.accepted
        advice = report.advice
        issues = report.issues
        measures = report.measures
    }
}

/// A detection as the API shows it; the box is in upright original-photo pixels.
struct DetectionResource: Codable, Equatable {
    var id: String
    var model: String
    var className: String
    var confidence: Double
    var box: Box
    var status: DamageStatus?
    var role: Detection.Role

    init(_ detection: Detection) {
        role = detection.role
        id = detection.id.apiString
        model = detection.model
        className = detection.className
        confidence = detection.confidence
        box = detection.box
        status = detection.status
    }
}

/// One plate read on one photo: the OCR text, the grammar's reading, country and confidence.
struct PlateReadingResource: Codable, Equatable {
    var text: String
    var plate: String
    var formatted: String
    var country: String?
    var confidence: Double
    var box: Box

    init(_ reading: PlateReading) {
        text = reading.text
        plate = reading.plate
        formatted = reading.formatted
        country = reading.country
        confidence = reading.confidence
        box = reading.box
    }
}

/// The plate check of an inspection: what the station declared, what the photos agree on, and
/// the verdict. `mismatch` is true when the photos show, with confidence, another plate.
struct PlateCheckResource: Codable, Equatable {
    var declared: String?
    var read: String?
    var formatted: String?
    var country: String?
    var confidence: Double
    var readings: Int
    var agreeing: Int
    var check: PlateCheck
    var mismatch: Bool

    init(_ inspection: Inspection) {
        let verdict = inspection.plateVerdict
        declared = inspection.vehicle.plate
        read = verdict.plate
        formatted = verdict.formatted
        country = verdict.country
        confidence = (verdict.confidence * 1000).rounded() / 1000
        readings = verdict.readings
        agreeing = verdict.agreeing
        check = verdict.check
        mismatch = verdict.mismatch
    }
}

/// An inspection as the API shows it, with its photos when they were loaded.
struct InspectionResource: ResponseCodable, Equatable {
    var id: String
    var kind: Inspection.Kind
    var station: String
    var vehicle: VehicleRef
    var vehicleId: String?
    var plate: PlateCheckResource
    var reference: String?
    var status: Inspection.Status
    var createdAt: Date
    var completedAt: Date?
    var hold: Inspection.Hold?
    var photos: [PhotoResource]?
    var photoCounts: [String: Int]?

    init(
        _ inspection: Inspection, photos: [Photo]? = nil, detections: [UUID: [Detection]] = [:], plateReadings: [UUID: [PlateReading]] = [:]
    ) {
        id = inspection.id.apiString
        vehicleId = inspection.vehicleID?.apiString
        plate = PlateCheckResource(inspection)
        kind = inspection.kind
        station = inspection.station
        vehicle = inspection.vehicle
        reference = inspection.reference
        status = inspection.status
        createdAt = inspection.createdAt
        completedAt = inspection.completedAt
        hold = inspection.hold
        self.photos = photos?.map { PhotoResource($0, detections: detections[$0.id] ?? [], plateReadings: plateReadings[$0.id] ?? []) }
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

/// A vehicle and one page of its inspections, newest first.
struct VehicleHistoryResource: ResponseCodable {
    var vehicle: VehicleResource
    var items: [InspectionResource]
    var nextCursor: String?
}

struct VehicleResource: Codable, Equatable {
    var id: String
    var plate: String?
    var vin: String?
    var createdAt: Date

    init(_ vehicle: Vehicle) {
        id = vehicle.id.apiString
        plate = vehicle.plate
        vin = vehicle.vin
        createdAt = vehicle.createdAt
    }
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
