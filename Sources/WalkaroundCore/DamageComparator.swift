import Foundation

/// Decides which damages of a return are new since the vehicle's last check-out.
///
/// 1. Sightings of each inspection are grouped into damages: detections of compatible classes on
///    different photos of the same view that lie in the same place are one damage, and so are
///    detections of any classes on one spot of the same view (boxes overlapping by `mergeIoU`, or
///    `mergeContainment` of the smaller box inside the larger): the detector named one damage
///    twice. The damage takes the most likely class; the others are its `alternatives`.
/// 2. For each view photographed at both inspections, the framing shift between them is the
///    translation (at most `maxShift` of the frame) that lines up the most compatible sightings.
/// 3. A return damage matches a check-out damage when a pair of their sightings has compatible
///    classes and either the same view and the same place after the shift (IoU ≥ `minimumIoU` or
///    centres within `maxCentreDistance`), or neighbouring views with both sightings in the halves
///    of their photos that face each other and centres at the same height (within `maxHeightGap`).
/// 4. A matched return damage is `pre_existing`, unless it was also read, with confidence, as a
///    class that nothing the check-out saw there explains (one box may hold a second, new damage:
///    a broken lamp inside a flat tyre's box): then `needs_review`. An unmatched one that lies where a check-out
///    damage of an unrelated class was (same view, same place after the shift) is `needs_review`:
///    the detector may name one damage differently at each inspection, so a person decides; it is
///    never `new`. Any other unmatched one is `needs_review` when it is seen
///    only on photos that failed the quality gate, when it is one detection under
///    `lowConfidence`, or when the check-out has no usable photo of its view or the views beside
///    it; otherwise it is `new`. Check-out damages that nothing matched are `not_seen` (the
///    return photos may not show them, so never "repaired"). Without a check-out every damage is
///    `unverified`.
///
/// Every doubt resolves towards the customer: the comparison must never invent new damage.
public struct DamageComparator: Sendable {
    public var minimumIoU = 0.2
    public var maxCentreDistance = 0.08
    public var maxShift = 0.25
    public var maxHeightGap = 0.15
    public var lowConfidence = 0.5
    /// Detections of any classes whose boxes overlap at least this much (IoU) are one damage.
    public var mergeIoU = 0.5
    /// …or when at least this share of the smaller box lies inside the larger one.
    public var mergeContainment = 0.8
    /// False gives the rule before detections of different classes were merged and matched by
    /// place (each class its own damage, an unrelated class on a check-out damage's spot `new`):
    /// kept only so that tools/eval-pairs can measure the two side by side.
    public var mergesAcrossClasses = true

    public init() {}

    /// The comparator with the merge thresholds given (each clamped to 0.05–1; nil keeps the default).
    public init(mergeIoU: Double?, mergeContainment: Double?, mergesAcrossClasses: Bool = true) {
        self.mergesAcrossClasses = mergesAcrossClasses
        func clamp(_ value: Double?, _ fallback: Double) -> Double {
            guard let value, value.isFinite else { return fallback }
            return min(max(value, 0.05), 1)
        }
        let defaults = DamageComparator()
        self.mergeIoU = clamp(mergeIoU, defaults.mergeIoU)
        self.mergeContainment = clamp(mergeContainment, defaults.mergeContainment)
    }

    /// Whether two boxes of one view cover the same spot, whatever the classes: high overlap, or
    /// one box (nearly) inside the other.
    public func sameSpot(_ a: Box, _ b: Box) -> Bool {
        if a.iou(b) >= mergeIoU { return true }
        let overlap = a.overlap(b)
        let smaller = min(a.area, b.area)
        return smaller > 0 && overlap / smaller >= mergeContainment
    }

    /// Class pairs a detector confuses with each other: a scratch on a cracked bumper, a dent with
    /// scratched paint, a broken lamp's glass.
    public static let confusable: Set<Set<String>> = [["scratch", "crack"], ["scratch", "dent"], ["glass_shatter", "lamp_broken"]]

    public static func compatible(_ a: String, _ b: String) -> Bool {
        a == b || confusable.contains([a, b])
    }

    /// The damages of one inspection, numbered `prefix`1, `prefix`2, … in view order, then left to right.
    public func damages(of sightings: [DamageSighting], prefix: String) -> [Damage] {
        var groups = DisjointSets(count: sightings.count)
        for i in sightings.indices {
            for j in sightings.indices where j > i {
                let a = sightings[i], b = sightings[j]
                guard a.view == b.view else { continue }
                let sameDamage =
                    (mergesAcrossClasses && sameSpot(a.region, b.region))
                    || (a.photoID != b.photoID && Self.compatible(a.className, b.className) && samePlace(a, b, shift: .zero))
                if sameDamage { groups.union(i, j) }
            }
        }
        let clusters = Dictionary(grouping: sightings.indices, by: { groups.find($0) }).values.map { $0.map { sightings[$0] } }
        let ordered = clusters.map { Damage(id: "", sightings: $0) }.sorted { a, b in
            let (va, vb) = (Photo.View.allCases.firstIndex(of: a.view)!, Photo.View.allCases.firstIndex(of: b.view)!)
            return va != vb ? va < vb : (a.sightings[0].centreX, a.sightings[0].centreY) < (b.sightings[0].centreX, b.sightings[0].centreY)
        }
        return ordered.enumerated().map { index, damage in
            var numbered = damage
            numbered.id = "\(prefix)\(index + 1)"
            return numbered
        }
    }

    /// Compares a return's sightings with those of the vehicle's last check-out (nil when there is none).
    public func compare(returned: [DamageSighting], checkout: CheckoutEvidence?) -> DamageComparison {
        var found = damages(of: returned, prefix: "D")
        guard let checkout else {
            for index in found.indices {
                found[index].status = .unverified
                found[index].reason = "no completed check-out of this vehicle before this return"
            }
            return DamageComparison(damages: found, notSeen: [])
        }
        var before = damages(of: checkout.sightings, prefix: "C")
        let shifts = frameShifts(returned: returned, checkout: checkout.sightings)
        for index in found.indices {
            if let match = before.firstIndex(where: { matches(found[index], $0, shifts: shifts) }) {
                found[index].matchedDamage = before[match].id
                if let other = unexplained(found[index], by: before[match]) {
                    // One box may hold a second damage (a broken lamp inside a flat tyre's box).
                    found[index].status = .needsReview
                    found[index].reason =
                        "matches check-out damage \(before[match].id), but was also read as \(other.className) (\(String(format: "%.2f", other.confidence))), which the check-out did not show here: another damage may lie on it"
                } else {
                    found[index].status = .preExisting
                }
                before[match].status = .preExisting
                before[match].matchedDamage = before[match].matchedDamage ?? found[index].id
            } else if mergesAcrossClasses, let spot = before.firstIndex(where: { atThePlace(of: $0, found[index], shifts: shifts) }) {
                found[index].status = .needsReview
                found[index].matchedDamage = before[spot].id
                found[index].reason =
                    "at the place of check-out damage \(before[spot].id), under another name: the detector may name one damage differently at each inspection"
                if before[spot].status == nil {
                    before[spot].status = .needsReview
                    before[spot].matchedDamage = found[index].id
                }
            } else if let doubt = doubt(about: found[index], checkout: checkout) {
                found[index].status = .needsReview
                found[index].reason = doubt
            } else {
                found[index].status = .new
            }
        }
        let notSeen = before.filter { $0.status == nil }.map { damage in
            var missing = damage
            missing.status = .notSeen
            missing.reason = "recorded at check-out, not on the return photos (which may not show it)"
            return missing
        }
        let framing = Photo.View.allCases.compactMap { view in shifts[view].map { FramingShift(view: view, dx: $0.dx, dy: $0.dy) } }
        return DamageComparison(damages: found, notSeen: notSeen, framing: framing)
    }

    /// A confident other class of a matched return damage that nothing the check-out saw at that
    /// spot explains (neither its class nor its alternatives, nor a class confusable with them):
    /// the merge may have joined a new damage to an old one. Nil when every class is explained.
    func unexplained(_ returned: Damage, by before: Damage) -> DamageAlternative? {
        let seen = [before.className] + (before.alternatives ?? []).map(\.className)
        return (returned.alternatives ?? []).first { other in
            other.confidence >= lowConfidence && !seen.contains { Self.compatible($0, other.className) }
        }
    }

    /// Why an unmatched return damage cannot be called new, or nil when it can.
    func doubt(about damage: Damage, checkout: CheckoutEvidence) -> String? {
        let evidence = damage.sightings.filter(\.onEvidence)
        if evidence.isEmpty { return "seen only on photos that failed the quality gate" }
        if evidence.count == 1, evidence[0].confidence < lowConfidence {
            return "one detection with low confidence (\(String(format: "%.2f", evidence[0].confidence)))"
        }
        let covered = [damage.view] + damage.view.neighbours
        if !covered.contains(where: checkout.evidenceViews.contains) {
            return "the check-out has no usable photo of the \(damage.view.rawValue) view or beside it"
        }
        return nil
    }

    /// Whether the two damages are the same one seen at both inspections.
    func matches(_ returned: Damage, _ before: Damage, shifts: [Photo.View: Shift]) -> Bool {
        for r in returned.sightings {
            for c in before.sightings where Self.compatible(r.className, c.className) {
                if r.view == c.view {
                    if samePlace(r, c, shift: shifts[r.view] ?? .zero) { return true }
                } else if let edge = r.view.edge(facing: c.view), let otherEdge = c.view.edge(facing: r.view),
                    edge.contains(centreX: r.centreX), otherEdge.contains(centreX: c.centreX),
                    abs(r.centreY - c.centreY) <= maxHeightGap
                {
                    return true
                }
            }
        }
        return false
    }

    /// Whether a sighting of `returned` lies where one of `before` was, on the same view after the
    /// framing shift, whatever their classes.
    func atThePlace(of before: Damage, _ returned: Damage, shifts: [Photo.View: Shift]) -> Bool {
        returned.sightings.contains { r in
            before.sightings.contains { c in r.view == c.view && samePlace(r, c, shift: shifts[r.view] ?? .zero) }
        }
    }

    /// A translation of the return photos' frame onto the check-out's.
    public struct Shift: Sendable, Equatable {
        public var dx: Double
        public var dy: Double
        public static let zero = Shift(dx: 0, dy: 0)
        var magnitude: Double { (dx * dx + dy * dy).squareRoot() }
    }

    /// Per view, the shift that lines up the most compatible sightings (ties: the smallest shift).
    public func frameShifts(returned: [DamageSighting], checkout: [DamageSighting]) -> [Photo.View: Shift] {
        var shifts: [Photo.View: Shift] = [:]
        for (view, mine) in Dictionary(grouping: returned, by: \.view) {
            let theirs = checkout.filter { $0.view == view }
            guard !theirs.isEmpty else { continue }
            var candidates = [Shift.zero]
            for r in mine {
                for c in theirs where Self.compatible(r.className, c.className) {
                    let shift = Shift(dx: c.centreX - r.centreX, dy: c.centreY - r.centreY)
                    if abs(shift.dx) <= maxShift, abs(shift.dy) <= maxShift { candidates.append(shift) }
                }
            }
            func lined(_ shift: Shift) -> Int {
                mine.filter { r in theirs.contains { Self.compatible(r.className, $0.className) && samePlace(r, $0, shift: shift) } }.count
            }
            shifts[view] = candidates.map { ($0, lined($0)) }.max { a, b in
                a.1 != b.1 ? a.1 < b.1 : a.0.magnitude > b.0.magnitude
            }!.0
        }
        return shifts
    }

    /// Whether `a`, moved by `shift`, lies where `b` is.
    func samePlace(_ a: DamageSighting, _ b: DamageSighting, shift: Shift) -> Bool {
        let moved = Box(x1: a.region.x1 + shift.dx, y1: a.region.y1 + shift.dy, x2: a.region.x2 + shift.dx, y2: a.region.y2 + shift.dy)
        let dx = (moved.x1 + moved.x2) / 2 - b.centreX, dy = (moved.y1 + moved.y2) / 2 - b.centreY
        return (dx * dx + dy * dy).squareRoot() <= maxCentreDistance || moved.iou(b.region) >= minimumIoU
    }
}

/// How far the return photos of one view are framed from the check-out's: a point at (x, y) of a
/// return photo (0–1 coordinates) shows what the check-out photo shows at (x + dx, y + dy).
public struct FramingShift: Sendable, Equatable, Codable {
    public var view: Photo.View
    public var dx: Double
    public var dy: Double

    public init(view: Photo.View, dx: Double, dy: Double) {
        self.view = view
        self.dx = dx
        self.dy = dy
    }
}

/// What the vehicle's last check-out shows: its damage sightings and the views it has usable photos of.
public struct CheckoutEvidence: Sendable, Equatable {
    public var inspectionID: UUID
    public var sightings: [DamageSighting]
    public var evidenceViews: Set<Photo.View>

    public init(inspectionID: UUID, sightings: [DamageSighting], evidenceViews: Set<Photo.View>) {
        self.inspectionID = inspectionID
        self.sightings = sightings
        self.evidenceViews = evidenceViews
    }
}

/// The comparison's result: the return's damages with their status, and the check-out's damages
/// that were not seen again.
public struct DamageComparison: Sendable, Equatable, Codable {
    public var damages: [Damage]
    public var notSeen: [Damage]
    /// Per view photographed at both inspections, the framing shift the comparison applied.
    public var framing: [FramingShift]

    public init(damages: [Damage], notSeen: [Damage], framing: [FramingShift] = []) {
        self.damages = damages
        self.notSeen = notSeen
        self.framing = framing
    }

    public func count(_ status: DamageStatus) -> Int {
        (damages + notSeen).filter { $0.status == status }.count
    }
}

/// Union–find over indices.
struct DisjointSets {
    private var parent: [Int]

    init(count: Int) { parent = Array(0..<count) }

    mutating func find(_ i: Int) -> Int {
        var root = i
        while parent[root] != root { root = parent[root] }
        var node = i
        while parent[node] != root { (node, parent[node]) = (parent[node], root) }
        return root
    }

    mutating func union(_ a: Int, _ b: Int) {
        let (ra, rb) = (find(a), find(b))
        if ra != rb { parent[max(ra, rb)] = min(ra, rb) }
    }
}
