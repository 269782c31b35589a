import Foundation
import WalkaroundCore

/// The deterministic prose: what is written when no LLM answers or every answer failed the
/// grounding check. It states only counts and facts taken from the report.
public struct ReportTemplate: Sendable {
    public static let provider = "template"

    public init() {}

    public func prose(for report: InspectionReport, discarded: [String] = []) -> ReportProse {
        ReportProse(summary: summary(of: report), damageNotes: report.allDamages.map(note), provider: Self.provider, discarded: discarded)
    }

    func summary(of report: InspectionReport) -> String {
        let w = ReportWording.self
        var lines: [String] = []
        let kind = report.inspection.kind == .checkout ? "Check-out" : "Return"
        lines.append("\(kind) inspection of \(w.plate(of: report)) at station \(report.inspection.station) on \(w.day(report.inspection.createdAt)).")
        switch report.plate.check {
        case .mismatch:
            lines.append("The photos show plate \(report.plate.formatted ?? report.plate.plate ?? "?"), not the declared plate: check the vehicle.")
        case .unread:
            lines.append("The plate could not be read on the photos.")
        case .uncertain:
            lines.append("The plate on the photos could not be read with certainty.")
        case .match, .undeclared:
            break
        }
        let used = report.photos.filter(\.used).count
        let rejected = report.photos.count - used
        lines.append("\(w.count(used, "photo")) passed the quality check\(rejected > 0 ? " and \(w.count(rejected, "photo")) did not" : "").")
        if report.inspection.kind == .checkout {
            lines.append(report.damages.isEmpty ? "No damage was recorded." : "\(w.count(report.damages.count, "damage")) recorded at check-out.")
            return lines.joined(separator: " ")
        }
        if let before = report.comparedWith {
            lines.append("Compared with the check-out at station \(before.station) on \(w.day(before.createdAt)).")
        } else {
            lines.append("No earlier check-out was found, so no damage can be called new.")
        }
        let new = report.damages(.new).count
        lines.append(new == 0 ? "No new damage was found." : "\(w.count(new, "new damage")) found.")
        for (status, words) in [(DamageStatus.preExisting, "pre-existing"), (.needsReview, "to review"), (.unverified, "unverified"), (.notSeen, "not seen again")] {
            let n = report.damages(status).count
            if n > 0 { lines.append("\(w.count(n, "damage")) \(words).") }
        }
        return lines.joined(separator: " ")
    }

    func note(_ damage: Damage) -> ReportProse.DamageNote {
        let w = ReportWording.self
        var text = "\(damage.id): \(w.status(damage.status)) \(damage.severity.rawValue) \(w.damageName(damage.className)) at the \(w.place(damage.view))"
        if let matched = damage.matchedDamage { text += ", matched with \(matched)" }
        if let reason = damage.reason { text += " (\(reason))" }
        return ReportProse.DamageNote(id: damage.id, text: text + ".")
    }
}
