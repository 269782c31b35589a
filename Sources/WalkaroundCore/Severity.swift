/// How bad a damage is, by fixed rules a station manager can check by hand.
///
/// The rules look at the class, the damage's size relative to the panel and the detector's
/// confidence. A walk-around photo frames one side or corner of the car, so the panel is
/// approximated by the photo's frame: size is the box's share of the photo's area.
///
/// | class           | minor        | moderate        | severe       |
/// |-----------------|--------------|-----------------|--------------|
/// | `scratch`       | < 2 %        | 2 % – 8 %       | ≥ 8 %        |
/// | `dent`          | < 1.5 %      | 1.5 % – 6 %     | ≥ 6 %        |
/// | `crack`         | —            | < 5 %           | ≥ 5 %        |
/// | `lamp_broken`   | —            | < 10 %          | ≥ 10 %       |
/// | `glass_shatter` | —            | —               | always       |
/// | `tire_flat`     | —            | —               | always       |
/// | any other class | —            | always          | —            |
///
/// A damage whose best detection has a confidence under 0.5 is graded one step lower (never
/// below minor): the report does not overstate what the model is unsure of. Glass and tyres are
/// safety items and keep their grade.
public enum Severity: String, Sendable, Codable, CaseIterable, Comparable {
    case minor
    case moderate
    case severe

    /// Confidence under which a grade is lowered one step.
    public static let unsureConfidence = 0.5

    /// The grade for a damage of `className` covering `areaShare` (0–1) of its photo, found with `confidence`.
    public static func grade(className: String, areaShare: Double, confidence: Double) -> Severity {
        let byRule: Severity
        switch className {
        case "scratch": byRule = areaShare < 0.02 ? .minor : areaShare < 0.08 ? .moderate : .severe
        case "dent": byRule = areaShare < 0.015 ? .minor : areaShare < 0.06 ? .moderate : .severe
        case "crack": byRule = areaShare < 0.05 ? .moderate : .severe
        case "lamp_broken": byRule = areaShare < 0.10 ? .moderate : .severe
        case "glass_shatter", "tire_flat": return .severe
        default: byRule = .moderate
        }
        guard confidence < unsureConfidence else { return byRule }
        return byRule == .severe ? .moderate : .minor
    }

    public static func < (lhs: Severity, rhs: Severity) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
