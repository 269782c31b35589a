/// The part of the car a damage is on: the vocabulary a cost matrix and a reviewer use.
/// "Left" and "right" are the car's own (as seen from the driver's seat), not the photo's.
public enum CarPart: String, Sendable, Codable, CaseIterable {
    case frontBumper = "front_bumper"
    case rearBumper = "rear_bumper"
    case bonnet
    case bootLid = "boot_lid"
    case roof
    case windscreen
    case rearWindow = "rear_window"
    case frontDoorLeft = "front_door_left"
    case frontDoorRight = "front_door_right"
    case rearDoorLeft = "rear_door_left"
    case rearDoorRight = "rear_door_right"
    case frontWingLeft = "front_wing_left"
    case frontWingRight = "front_wing_right"
    case rearWingLeft = "rear_wing_left"
    case rearWingRight = "rear_wing_right"
    case sideWindowFrontLeft = "side_window_front_left"
    case sideWindowFrontRight = "side_window_front_right"
    case sideWindowRearLeft = "side_window_rear_left"
    case sideWindowRearRight = "side_window_rear_right"
    case mirrorLeft = "mirror_left"
    case mirrorRight = "mirror_right"
    case wheelFrontLeft = "wheel_front_left"
    case wheelFrontRight = "wheel_front_right"
    case wheelRearLeft = "wheel_rear_left"
    case wheelRearRight = "wheel_rear_right"
    case headlampLeft = "headlamp_left"
    case headlampRight = "headlamp_right"
    case tailLampLeft = "tail_lamp_left"
    case tailLampRight = "tail_lamp_right"
    case interior
    /// The photo's view does not say (odometer, other) or the position is outside the car's outline.
    case unknown

    /// The car's sides.
    public enum Side: Sendable { case left, right }

    /// The part from the photo's view and where the damage lies in it (`x`, `y`: the box's centre
    /// in 0–1 of the upright photo), steered by the damage class. The rule, for a car filling the
    /// frame as the photo guide asks:
    ///
    /// - Class first: `tire_flat` is a wheel, `lamp_broken` a head or tail lamp, `glass_shatter` a
    ///   window (windscreen, rear window or the side window of the door at that place).
    /// - Front and rear photos: top 30 % roof, 30–65 % bonnet (front) or boot lid (rear), lower
    ///   35 % bumper. Seen from the front the car's right side is on the photo's left; from the
    ///   rear its left side is.
    /// - Side photos, in quarters along the car from its front: front wing, front door, rear door,
    ///   rear wing; the top 20 % is the roof. From the left the car's front is on the photo's left;
    ///   from the right it is on the photo's right.
    /// - Corner photos show an end on one half and a side on the other: going clockwise around the
    ///   car (front, front-right, right, …) the next view's half is the photo's left. The end half
    ///   follows the front/rear rule on that corner's side; the side half is the end's half of the
    ///   side (a front corner shows the front wing and front door, a rear corner the rear door and wing).
    /// - Interior photos are `interior`; odometer and other views `unknown`.
    public static func locate(view: Photo.View, x: Double, y: Double, className: String) -> CarPart {
        guard x.isFinite, y.isFinite else { return .unknown }
        let x = min(max(x, 0), 1), y = min(max(y, 0), 1)
        switch view {
        case .front: return end(front: true, side: x < 0.5 ? .right : .left, y: y, className: className)
        case .rear: return end(front: false, side: x < 0.5 ? .left : .right, y: y, className: className)
        // Along the car from its front, 0–1.
        case .left: return side(.left, along: x, y: y, className: className)
        case .right: return side(.right, along: 1 - x, y: y, className: className)
        case .frontLeft:
            return x < 0.5 ? end(front: true, side: .left, y: y, className: className) : side(.left, along: (x - 0.5), y: y, className: className)
        case .frontRight:
            return x >= 0.5 ? end(front: true, side: .right, y: y, className: className) : side(.right, along: (0.5 - x), y: y, className: className)
        case .rearLeft:
            return x >= 0.5 ? end(front: false, side: .left, y: y, className: className) : side(.left, along: 0.5 + x, y: y, className: className)
        case .rearRight:
            return x < 0.5 ? end(front: false, side: .right, y: y, className: className) : side(.right, along: 1.5 - x, y: y, className: className)
        case .interior: return .interior
        case .odometer, .other: return .unknown
        }
    }

    /// The front or rear end of the car, on `side`.
    static func end(front: Bool, side: Side, y: Double, className: String) -> CarPart {
        switch className {
        case "tire_flat": return front ? (side == .left ? .wheelFrontLeft : .wheelFrontRight) : (side == .left ? .wheelRearLeft : .wheelRearRight)
        case "lamp_broken": return front ? (side == .left ? .headlampLeft : .headlampRight) : (side == .left ? .tailLampLeft : .tailLampRight)
        case "glass_shatter": return front ? .windscreen : .rearWindow
        default: break
        }
        if y < 0.3 { return .roof }
        if y < 0.65 { return front ? .bonnet : .bootLid }
        return front ? .frontBumper : .rearBumper
    }

    /// A side of the car, `along` it from its front (0) to its rear (1).
    static func side(_ side: Side, along: Double, y: Double, className: String) -> CarPart {
        let left = side == .left
        let frontHalf = along < 0.5
        switch className {
        case "tire_flat": return frontHalf ? (left ? .wheelFrontLeft : .wheelFrontRight) : (left ? .wheelRearLeft : .wheelRearRight)
        case "lamp_broken": return frontHalf ? (left ? .headlampLeft : .headlampRight) : (left ? .tailLampLeft : .tailLampRight)
        case "glass_shatter":
            if along < 0.5 { return left ? .sideWindowFrontLeft : .sideWindowFrontRight }
            return left ? .sideWindowRearLeft : .sideWindowRearRight
        default: break
        }
        if y < 0.2 { return .roof }
        switch along {
        case ..<0.25: return left ? .frontWingLeft : .frontWingRight
        case ..<0.5: return left ? .frontDoorLeft : .frontDoorRight
        case ..<0.75: return left ? .rearDoorLeft : .rearDoorRight
        default: return left ? .rearWingLeft : .rearWingRight
        }
    }
}

/// A car part a part model (role `part`) found on a photo, in 0–1 coordinates of the upright photo.
public struct PartSighting: Sendable, Equatable {
    public var part: CarPart
    public var region: Box
    public var confidence: Double

    public init(part: CarPart, region: Box, confidence: Double) {
        self.part = part
        self.region = region
        self.confidence = confidence
    }
}

/// Where a damage's part came from.
public enum PartSource: String, Sendable, Codable {
    /// A part model's box on the damage's photo covers the damage.
    case model
    /// The photo's view and the damage's position (`CarPart.locate`).
    case position
}

extension CarPart {
    /// The share of a damage's box a part's box must cover for the part to name it.
    public static let partCoverage = 0.5
    /// A part box that covers at least this share of the damage holds it whole: among those, the
    /// smallest (a headlamp inside the bumper's box) is the more specific part.
    public static let partContains = 0.8

    /// The part a part model saw the damage on: of the part boxes on the damage's photo, those
    /// that hold the damage (cover ≥ 0.8 of its box) win, the smallest first (a headlamp's box
    /// inside the front bumper's); otherwise the one covering the most of it, if ≥ 0.5; nil when
    /// none does (then `locate`'s position rule names the part). Confidence breaks ties.
    public static func covering(_ region: Box, in parts: [PartSighting]) -> CarPart? {
        guard region.isFinite, region.area > 0 else { return nil }
        func coverage(_ part: PartSighting) -> Double {
            guard part.region.isFinite else { return 0 }
            return region.overlap(part.region) / region.area
        }
        let scored = parts.map { (part: $0, coverage: coverage($0)) }.filter { $0.coverage >= partCoverage && $0.part.part != .unknown }
        let holding = scored.filter { $0.coverage >= partContains }
        if let best = holding.min(by: { ($0.part.region.area, -$0.part.confidence) < ($1.part.region.area, -$1.part.confidence) }) {
            return best.part.part
        }
        return scored.max(by: { ($0.coverage, $0.part.confidence) < ($1.coverage, $1.part.confidence) })?.part.part
    }
}
