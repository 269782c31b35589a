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

    /// Intersection over union with `other` (0 when neither has an area).
    public func iou(_ other: Box) -> Double {
        let overlap = Box(x1: max(x1, other.x1), y1: max(y1, other.y1), x2: min(x2, other.x2), y2: min(y2, other.y2)).area
        let union = area + other.area - overlap
        return union > 0 ? overlap / union : 0
    }

    /// The part inside a `width` × `height` frame.
    public func clamped(width: Double, height: Double) -> Box {
        Box(x1: min(max(x1, 0), width), y1: min(max(y1, 0), height), x2: min(max(x2, 0), width), y2: min(max(y2, 0), height))
    }
}
