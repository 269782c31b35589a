import Foundation
import WalkaroundCore

/// The words reports use for classes, views and statuses, shared by the template, the LLM's
/// facts and the grounding check so that all three speak of the same things.
enum ReportWording {
    static func damageName(_ className: String) -> String {
        switch className {
        case "glass_shatter": "shattered glass"
        case "lamp_broken": "broken lamp"
        case "tire_flat": "flat tyre"
        default: className.replacingOccurrences(of: "_", with: " ")
        }
    }

    /// A part's name in the report: "front door (left)", "rear bumper".
    static func partName(_ part: CarPart) -> String {
        let words = part.rawValue.split(separator: "_").map(String.init)
        guard let last = words.last, last == "left" || last == "right", words.count > 1 else { return words.joined(separator: " ") }
        return words.dropLast().joined(separator: " ") + " (\(last))"
    }

    /// Minor units as "1 234.50 EUR" (integer arithmetic only).
    static func money(_ minor: Int, _ currency: String) -> String {
        let sign = minor < 0 ? "-" : ""
        let magnitude = minor.magnitude
        let cents = magnitude % 100
        return "\(sign)\(magnitude / 100).\(cents < 10 ? "0" : "")\(cents) \(currency)"
    }

    static func place(_ view: Photo.View) -> String {
        switch view {
        case .front: "front"
        case .frontLeft: "front-left corner"
        case .left: "left side"
        case .rearLeft: "rear-left corner"
        case .rear: "rear"
        case .rearRight: "rear-right corner"
        case .right: "right side"
        case .frontRight: "front-right corner"
        case .interior: "interior"
        case .odometer: "odometer"
        case .other: "other view"
        }
    }

    static func status(_ status: DamageStatus?) -> String {
        switch status {
        case nil: "recorded"
        case .new?: "new"
        case .preExisting?: "pre-existing"
        case .notSeen?: "not seen again"
        case .needsReview?: "needs review"
        case .unverified?: "unverified"
        }
    }

    static func day(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle().year().month().day())
    }

    /// "1 new damage", "3 new damages".
    static func count(_ n: Int, _ singular: String, _ plural: String? = nil) -> String {
        "\(n) \(n == 1 ? singular : plural ?? singular + "s")"
    }

    /// The plate as the report names it: the declared one, as printed when the photos agree.
    static func plate(of report: InspectionReport) -> String {
        if report.plate.check == .match, let formatted = report.plate.formatted { return formatted }
        return report.vehicle.plate ?? report.vehicle.vin ?? "unidentified vehicle"
    }
}
