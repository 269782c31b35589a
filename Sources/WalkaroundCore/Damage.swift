import Foundation

/// One detection of damage as the comparison sees it: its photo's view and its box in 0–1
/// coordinates of the upright photo, so photos of different sizes compare.
public struct DamageSighting: Sendable, Equatable, Codable {
    public var detectionID: UUID
    public var photoID: UUID
    public var view: Photo.View
    public var className: String
    public var confidence: Double
    /// The box in 0–1 coordinates of the upright photo (x to the right, y down).
    public var region: Box
    /// Whether the photo passed the quality gate; only such photos are evidence of new damage.
    public var onEvidence: Bool

    public init(detectionID: UUID, photoID: UUID, view: Photo.View, className: String, confidence: Double, region: Box, onEvidence: Bool) {
        self.detectionID = detectionID
        self.photoID = photoID
        self.view = view
        self.className = className
        self.confidence = confidence
        self.region = region
        self.onEvidence = onEvidence
    }

    /// The sighting of `detection` on `photo` (nil when the photo's size is unknown).
    public init?(_ detection: Detection, on photo: Photo) {
        guard let width = photo.width, let height = photo.height, width > 0, height > 0 else { return nil }
        let w = Double(width), h = Double(height)
        self.init(
            detectionID: detection.id, photoID: photo.id, view: photo.view, className: detection.className,
            confidence: detection.confidence,
            region: Box(x1: detection.box.x1 / w, y1: detection.box.y1 / h, x2: detection.box.x2 / w, y2: detection.box.y2 / h),
            onEvidence: photo.isEvidence
        )
    }

    public var centreX: Double { (region.x1 + region.x2) / 2 }
    public var centreY: Double { (region.y1 + region.y2) / 2 }
}

/// One damage of an inspection: the sightings of it on one or more photos of the same view,
/// graded, and (on a return) what the comparison with the check-out decided.
public struct Damage: Sendable, Equatable, Codable {
    /// `D1`, `D2`, … on the inspection being reported; `C1`, … for the check-out's damages.
    public var id: String
    public var className: String
    /// The view of its best sighting.
    public var view: Photo.View
    /// The part of the car it is on (`CarPart.locate`, from its best sighting); nil in reports
    /// written before parts were named.
    public var part: CarPart?
    /// Whether a part model or the position rule named the part; nil in reports written before.
    public var partSource: PartSource?
    public var severity: Severity
    /// The best sighting's confidence.
    public var confidence: Double
    /// Nil on a check-out's own report; set by the comparison on a return.
    public var status: DamageStatus?
    /// Why the status is `needs_review`, `unverified` or `not_seen`.
    public var reason: String?
    /// The damage on the other side of the comparison it was matched with.
    public var matchedDamage: String?
    /// Best first.
    public var sightings: [DamageSighting]
    /// The other classes the detector gave this spot, most likely first, each with its best
    /// confidence; nil when it gave only one.
    public var alternatives: [DamageAlternative]?

    public init(
        id: String, className: String, view: Photo.View, severity: Severity, confidence: Double, status: DamageStatus? = nil,
        reason: String? = nil, matchedDamage: String? = nil, sightings: [DamageSighting], alternatives: [DamageAlternative]? = nil
    ) {
        self.alternatives = alternatives
        self.id = id
        self.className = className
        self.view = view
        self.severity = severity
        self.confidence = confidence
        self.status = status
        self.reason = reason
        self.matchedDamage = matchedDamage
        self.sightings = sightings
    }

    /// The damage seen in `sightings` (one or more, best first after sorting), graded by `Severity`.
    public init(id: String, sightings: [DamageSighting]) {
        let ordered = sightings.sorted { ($0.onEvidence ? 1 : 0, $0.confidence) > ($1.onEvidence ? 1 : 0, $1.confidence) }
        let best = ordered[0]
        self.init(
            id: id, className: best.className, view: best.view,
            severity: Severity.grade(className: best.className, areaShare: best.region.area, confidence: best.confidence),
            confidence: best.confidence, sightings: ordered,
            alternatives: DamageAlternative.others(than: best.className, in: ordered)
        )
        part = CarPart.locate(view: best.view, x: best.centreX, y: best.centreY, className: best.className)
        partSource = .position
    }

    /// Names the part from a part model's boxes on the best sighting's photo (`CarPart.covering`),
    /// when one covers it; otherwise the position rule's part stays.
    public mutating func namePart(from parts: [UUID: [PartSighting]]) {
        guard let best = sightings.first, let found = parts[best.photoID], let part = CarPart.covering(best.region, in: found) else { return }
        self.part = part
        partSource = .model
    }

    /// Whether any sighting is on a photo that passed the quality gate.
    public var hasEvidence: Bool { sightings.contains(where: \.onEvidence) }
}

/// Another class the detector gave a damage's spot.
public struct DamageAlternative: Sendable, Equatable, Codable {
    public var className: String
    public var confidence: Double

    public init(className: String, confidence: Double) {
        self.className = className
        self.confidence = confidence
    }

    /// Each class of `sightings` but `chosen`, with its best confidence, most likely first (nil when none).
    static func others(than chosen: String, in sightings: [DamageSighting]) -> [DamageAlternative]? {
        var best: [String: Double] = [:]
        for sighting in sightings where sighting.className != chosen {
            best[sighting.className] = max(best[sighting.className] ?? 0, sighting.confidence)
        }
        let sorted = best.map { DamageAlternative(className: $0.key, confidence: $0.value) }
            .sorted { ($0.confidence, $1.className) > ($1.confidence, $0.className) }
        return sorted.isEmpty ? nil : sorted
    }
}

extension Photo.View {
    /// The eight views around the car, clockwise seen from above starting at the front.
    static let ring: [Photo.View] = [.front, .frontRight, .right, .rearRight, .rear, .rearLeft, .left, .frontLeft]

    /// The views beside this one around the car (none for interior, odometer and other).
    public var neighbours: [Photo.View] {
        guard let index = Self.ring.firstIndex(of: self) else { return [] }
        return [Self.ring[(index + 7) % 8], Self.ring[(index + 1) % 8]]
    }

    /// Which edge of this view's photo faces `neighbour`: the part of the car both photos can show.
    ///
    /// Facing the car from the front, its right side is on the photo's left; from the left side,
    /// its front is on the photo's left; from a corner, the side the camera is on extends to the
    /// photo's left or right. Going clockwise around the ring, the next view is always on the
    /// photo's left edge and the previous one on its right edge.
    public func edge(facing neighbour: Photo.View) -> PhotoEdge? {
        guard let index = Self.ring.firstIndex(of: self), let other = Self.ring.firstIndex(of: neighbour) else { return nil }
        if other == (index + 1) % 8 { return .left }
        if other == (index + 7) % 8 { return .right }
        return nil
    }
}

/// The left or right half of a photo.
public enum PhotoEdge: Sendable {
    case left
    case right

    public func contains(centreX x: Double) -> Bool { self == .left ? x < 0.5 : x >= 0.5 }
}
