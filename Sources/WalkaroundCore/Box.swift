/// An axis-aligned box in pixels of the upright original photo: `x1`, `y1` the top-left corner,
/// `x2`, `y2` the bottom-right (exclusive).
public struct Box: Sendable, Equatable, Codable, Hashable {
    public var x1: Double
    public var y1: Double
    public var x2: Double
    public var y2: Double

    public init(x1: Double, y1: Double, x2: Double, y2: Double) {
        self.x1 = x1
        self.y1 = y1
        self.x2 = x2
        self.y2 = y2
    }

    public var width: Double { max(0, x2 - x1) }
    public var height: Double { max(0, y2 - y1) }
    public var area: Double { width * height }

    /// The area this box shares with `other`.
    public func overlap(_ other: Box) -> Double {
        Box(x1: max(x1, other.x1), y1: max(y1, other.y1), x2: min(x2, other.x2), y2: min(y2, other.y2)).area
    }

    /// Intersection over union with `other` (0 when neither has an area).
    public func iou(_ other: Box) -> Double {
        let overlap = overlap(other)
        let union = area + other.area - overlap
        return union > 0 ? overlap / union : 0
    }

    /// Whether every coordinate is a finite number (a model's output can hold NaN or infinity).
    public var isFinite: Bool { x1.isFinite && y1.isFinite && x2.isFinite && y2.isFinite }

    /// The part inside a `width` × `height` frame; a NaN coordinate becomes 0, so the result is
    /// always finite and safe to turn into integer pixels.
    public func clamped(width: Double, height: Double) -> Box {
        func clamp(_ value: Double, _ limit: Double) -> Double { value.isNaN ? 0 : min(max(value, 0), limit) }
        return Box(x1: clamp(x1, width), y1: clamp(y1, height), x2: clamp(x2, width), y2: clamp(y2, height))
    }
}
