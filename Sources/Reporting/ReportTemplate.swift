import Foundation
import WalkaroundCore

/// The deterministic prose: what is written when no LLM answers or every answer failed the
/// grounding check, in any of the report languages. It states only counts and facts taken from
/// the report.
public struct ReportTemplate: Sendable {
    public static let provider = "template"
    public let language: ReportLanguage

    public init(language: ReportLanguage = .en) {
        self.language = language
    }

    public func prose(for report: InspectionReport, discarded: [String] = []) -> ReportProse {
        var prose = ReportProse(summary: summary(of: report), damageNotes: report.allDamages.map(note), provider: Self.provider, discarded: discarded)
        prose.language = language
        return prose
    }

    func summary(of report: InspectionReport) -> String {
        let lexicon = ReportLexicon.of(language)
        let p = lexicon.phrases
        let fill = ReportLexicon.fill
        var lines: [String] = []
        let kind = report.inspection.kind == .checkout ? p.checkout : p.return
        lines.append(fill(p.inspection, [
            "kind": kind, "plate": ReportWording.plate(of: report), "station": report.inspection.station, "day": ReportWording.day(report.inspection.createdAt),
        ]))
        switch report.plate.check {
        case .mismatch: lines.append(fill(p.plateMismatch, ["plate": report.plate.formatted ?? report.plate.plate ?? "?"]))
        case .unread: lines.append(p.plateUnread)
        case .uncertain: lines.append(p.plateUncertain)
        case .match, .undeclared: break
        }
        let used = report.photos.filter(\.used).count
        let rejected = report.photos.count - used
        lines.append(
            rejected > 0
                ? fill(p.photosPassedSome, ["used": lexicon.count(used, p.photo), "rejected": lexicon.count(rejected, p.photo)])
                : fill(p.photosPassed, ["used": lexicon.count(used, p.photo)])
        )
        if report.inspection.kind == .checkout {
            lines.append(report.damages.isEmpty ? p.noDamageRecorded : fill(p.damagesRecorded, ["count": lexicon.count(report.damages.count, p.damage)]))
            return lines.joined(separator: " ")
        }
        if let before = report.comparedWith {
            lines.append(fill(p.compared, ["station": before.station, "day": ReportWording.day(before.createdAt)]))
        } else {
            lines.append(p.noCheckout)
        }
        let new = report.damages(.new).count
        lines.append(new == 0 ? p.noNew : fill(p.newFound, ["count": lexicon.count(new, p.newDamage)]))
        for status in [DamageStatus.preExisting, .needsReview, .unverified, .notSeen] {
            let n = report.damages(status).count
            if n > 0, let line = p.statusLines[status] { lines.append(fill(line, ["count": lexicon.count(n, p.damage)])) }
        }
        return lines.joined(separator: " ")
    }

    func note(_ damage: Damage) -> ReportProse.DamageNote {
        let p = ReportLexicon.of(language).phrases
        var text = ReportLexicon.fill(p.note, [
            "id": damage.id, "status": ReportWording.status(damage.status, language), "severity": ReportWording.severity(damage.severity, language),
            "damage": ReportWording.damageName(damage.className, language), "place": ReportWording.place(damage.view, language),
        ])
        if let matched = damage.matchedDamage { text += ReportLexicon.fill(p.matched, ["other": matched]) }
        // The comparison's reasons are written in English; other languages leave them to the page.
        if language == .en, let reason = damage.reason { text += " (\(reason))" }
        return ReportProse.DamageNote(id: damage.id, text: text + ".")
    }
}
