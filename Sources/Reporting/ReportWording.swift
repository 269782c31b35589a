import Foundation
import WalkaroundCore

/// The words reports use for classes, views, statuses and parts in each language
/// (`ReportLexicon`), shared by the template, the LLM's facts, the page and the grounding check
/// so that all of them speak of the same things.
enum ReportWording {
    static func damageName(_ className: String, _ language: ReportLanguage = .en) -> String {
        ReportLexicon.of(language).damages[className]?.one ?? className.replacingOccurrences(of: "_", with: " ")
    }

    /// A part's name in the report: "front door (left)", "rear bumper"; "Tür vorne (links)".
    static func partName(_ part: CarPart, _ language: ReportLanguage = .en) -> String {
        ReportLexicon.of(language).parts[part] ?? part.rawValue.replacingOccurrences(of: "_", with: " ")
    }

    /// Minor units as "1 234.50 EUR" (integer arithmetic only).
    static func money(_ minor: Int, _ currency: String) -> String {
        let sign = minor < 0 ? "-" : ""
        let magnitude = minor.magnitude
        let cents = magnitude % 100
        return "\(sign)\(magnitude / 100).\(cents < 10 ? "0" : "")\(cents) \(currency)"
    }

    static func place(_ view: Photo.View, _ language: ReportLanguage = .en) -> String {
        ReportLexicon.of(language).places[view] ?? view.rawValue
    }

    static func status(_ status: DamageStatus?, _ language: ReportLanguage = .en) -> String {
        let lexicon = ReportLexicon.of(language)
        guard let status else { return lexicon.recorded }
        return lexicon.statuses[status] ?? status.rawValue
    }

    static func severity(_ severity: Severity, _ language: ReportLanguage = .en) -> String {
        ReportLexicon.of(language).severities[severity] ?? severity.rawValue
    }

    static func day(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle().year().month().day())
    }

    /// The plate as the report names it: the declared one, as printed when the photos agree.
    static func plate(of report: InspectionReport) -> String {
        if report.plate.check == .match, let formatted = report.plate.formatted { return formatted }
        return report.vehicle.plate ?? report.vehicle.vin ?? "unidentified vehicle"
    }
}
