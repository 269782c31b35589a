extension Duration {
    /// The duration in seconds, as a Double.
    public var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}

extension Double {
    /// A share (0–1) as a whole percentage for display, clamped to 0–100; NaN is 0. A model's or a
    /// stored confidence may be anything, and `Int(_:)` of a non-finite value traps.
    public var wholePercent: Int {
        guard isFinite else { return self == .infinity ? 100 : 0 }
        return Int((Swift.min(Swift.max(self, 0), 1) * 100).rounded())
    }
}
