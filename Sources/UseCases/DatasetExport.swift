import Foundation
import Storage
import WalkaroundCore

/// Writes what people reviewed as a YOLO dataset, so the detector can be retrained on their
/// corrections: `images/` (each used photo of a `reviewed` or `final` report, as stored),
/// `labels/` (one `class cx cy w h` line per box, 0–1 of the upright photo), `data.yaml`.
///
/// A photo's labels are the damages seen on it at their reviewed class, without the rejected
/// ones, plus the damages reviewers drew on it, plus the plates the model found (so a retrained
/// model does not learn that plates are background). Boxes are in upright coordinates: the
/// images keep their EXIF orientation, which YOLO's loaders apply.
public struct DatasetExport: Sendable {
    let reports: ReportRepository
    let photos: PhotoRepository
    let detections: DetectionRepository
    let blobs: any PhotoStore

    /// The classes in the demo model's order (tools/demo-model/render_dataset.py), the index each label line uses.
    public static let classes = ["dent", "scratch", "crack", "glass_shatter", "lamp_broken", "tire_flat", "license_plate"]

    public init(database: any SQLDatabase, blobs: any PhotoStore) {
        reports = ReportRepository(database: database)
        photos = PhotoRepository(database: database)
        detections = DetectionRepository(database: database)
        self.blobs = blobs
    }

    public struct Summary: Sendable, Equatable {
        public var reports = 0
        public var images = 0
        public var boxes = 0
        /// Photos whose file is gone (erased meanwhile), left out.
        public var missing = 0
    }

    public func export(to folder: URL) async throws -> Summary {
        let files = FileManager.default
        let images = folder.appendingPathComponent("images"), labels = folder.appendingPathComponent("labels")
        try files.createDirectory(at: images, withIntermediateDirectories: true)
        try files.createDirectory(at: labels, withIntermediateDirectories: true)
        var summary = Summary()
        for stored in try await reports.reviewedReports() {
            guard let report = stored.report else { continue }
            summary.reports += 1
            let lines = Self.labels(of: report, review: stored.review)
            for use in report.photos where use.used {
                guard let photo = try await photos.get(use.id), photo.inspectionID == report.inspection.id,
                    let width = photo.width, let height = photo.height, width > 0, height > 0,
                    let bytes = try await blobs.read(sha256: photo.sha256)
                else {
                    summary.missing += 1
                    continue
                }
                var boxes = lines[photo.id] ?? []
                for plate in try await detections.detections(of: photo.id) where plate.role == .plate {
                    let b = plate.box
                    boxes.append(Self.line("license_plate", Box(x1: b.x1 / Double(width), y1: b.y1 / Double(height), x2: b.x2 / Double(width), y2: b.y2 / Double(height))))
                }
                let name = photo.id.uuidString.lowercased()
                try Data(bytes).write(to: images.appendingPathComponent("\(name).\(photo.format == .png ? "png" : "jpg")"))
                try Data(boxes.compactMap { $0 }.map { $0 + "\n" }.joined().utf8).write(to: labels.appendingPathComponent("\(name).txt"))
                summary.images += 1
                summary.boxes += boxes.compactMap { $0 }.count
            }
        }
        let names = Self.classes.enumerated().map { "  \($0.offset): \($0.element)\n" }.joined()
        try Data("path: .\ntrain: images\nval: images\nnames:\n\(names)".utf8).write(to: folder.appendingPathComponent("data.yaml"))
        return summary
    }

    /// The label lines of each photo of `report` from its reviewed damages (nil entries: boxes
    /// that cannot be written, e.g. a class outside the list).
    static func labels(of report: InspectionReport, review: ReportReview) -> [UUID: [String?]] {
        var lines: [UUID: [String?]] = [:]
        let reviewed = Dictionary(review.damages(of: report).map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        for damage in report.damages {
            guard let current = reviewed[damage.id], current.decision != .rejected else { continue }
            for sighting in damage.sightings {
                lines[sighting.photoID, default: []].append(line(current.className, sighting.region))
            }
        }
        for added in review.added where reviewed[added.id]?.decision != .rejected {
            lines[added.photoID, default: []].append(line(reviewed[added.id]?.className ?? added.className, added.region))
        }
        return lines
    }

    /// `class cx cy w h` for a box in 0–1 coordinates, clamped to the frame; nil for an unknown
    /// class or a box with no area left.
    static func line(_ className: String, _ region: Box) -> String? {
        guard let index = classes.firstIndex(of: className) else { return nil }
        let box = region.clamped(width: 1, height: 1)
        guard box.width > 0, box.height > 0 else { return nil }
        func f(_ value: Double) -> String { String(format: "%.6f", value) }
        return "\(index) \(f((box.x1 + box.x2) / 2)) \(f((box.y1 + box.y2) / 2)) \(f(box.width)) \(f(box.height))"
    }
}
