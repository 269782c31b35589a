import Foundation
import WalkaroundCore

/// The report as a printable HTML page in one of the report languages: the summary, the damages
/// table, the evidence of each damage that could be charged (the return crop beside the check-out
/// crop of the same place with each photo's SHA-256, times and station), the review, and the
/// photos used and rejected (embedded, so the page prints and saves as one file without further
/// authenticated requests).
public struct ReportPage: Sendable {
    public let language: ReportLanguage

    public init(language: ReportLanguage = .en) {
        self.language = language
    }

    /// The JPEG crops of one damage's evidence.
    public struct EvidenceImages: Sendable {
        public var returned: [UInt8]?
        public var checkout: [UInt8]?

        public init(returned: [UInt8]?, checkout: [UInt8]?) {
            self.returned = returned
            self.checkout = checkout
        }
    }

    private var lexicon: ReportLexicon { ReportLexicon.of(language) }
    private var l: ReportLexicon.Labels { lexicon.labels }

    private func fill(_ template: String, _ values: [String: String]) -> String {
        ReportLexicon.fill(template, values)
    }

    /// `images` maps a damage id to its evidence crops; `review` and `charged` are the people's
    /// review and what it charges (the page shows them after the machine's findings).
    public func html(
        report: InspectionReport, prose: ReportProse, images: [String: EvidenceImages], review: ReportReview = ReportReview(), charged: CostEstimate? = nil
    ) -> String {
        let w = ReportWording.self
        let kind = report.inspection.kind == .checkout ? lexicon.phrases.checkout : lexicon.phrases.return
        let plate = w.plate(of: report)
        let notes = Dictionary(prose.damageNotes.map { ($0.id, $0.text) }, uniquingKeysWith: { a, _ in a })
        var html = """
            <!doctype html>
            <html lang="\(language.rawValue)"><head><meta charset="utf-8">
            <title>\(esc(fill(l.title, ["kind": kind, "plate": plate])))</title>
            <style>
            body { font: 14px/1.45 system-ui, sans-serif; margin: 2em; color: #222; }
            table { border-collapse: collapse; width: 100%; margin: 1em 0; }
            th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: left; vertical-align: top; }
            .new { color: #b00; font-weight: bold; } .needs_review { color: #a60; }
            figure { page-break-inside: avoid; margin: 1em 0; } img { max-width: 100%; }
            .pair { display: flex; gap: 1em; } .pair > div { flex: 1; } .pair p { margin: 0.2em 0; }
            .hash { font: 11px ui-monospace, monospace; word-break: break-all; }
            footer { color: #666; font-size: 12px; margin-top: 2em; }
            </style></head><body>
            <h1>\(esc(fill(l.heading, ["kind": kind, "plate": plate])))</h1>
            <p>\(esc(fill(l.stationLine, ["station": report.inspection.station, "day": w.day(report.inspection.createdAt)])))\
            \(report.inspection.reference.map { esc(fill(l.reference, ["reference": $0])) } ?? ""). \(esc(fill(l.plateCheck, ["check": report.plate.check.rawValue])))</p>

            """
        if let before = report.comparedWith {
            html += "<p>\(esc(fill(l.comparedLine, ["station": before.station, "day": w.day(before.createdAt)])))</p>\n"
        } else if let note = report.comparisonNote {
            html += "<p>\(esc(note)).</p>\n"
        }
        for edge in report.edgeCases { html += "<p><strong>\(esc(l.attention))</strong> \(esc(edge)).</p>\n" }
        html += "<h2>\(esc(l.summary))</h2>\n<p>\(esc(prose.summary))</p>\n"
        if let costs = report.costs {
            html += "<p>\(esc(fill(l.estimate, ["amount": w.money(costs.totalMinor, costs.currency)])))"
            let missing = costs.lines.compactMap(\.noEstimate)
            if !missing.isEmpty { html += " (\(esc(fill(l.without, ["missing": missing.joined(separator: "; ")]))))" }
            html += "</p>\n"
        }
        html += "<h2>\(esc(l.damagesHeading))</h2>\n"
        if report.allDamages.isEmpty {
            html += "<p>\(esc(l.noDamage))</p>\n"
        } else {
            html += "<table><tr>\(l.columns.map { "<th>\(esc($0))</th>" }.joined())</tr>\n"
            for damage in report.allDamages {
                let status = damage.status?.rawValue ?? "recorded"
                html += "<tr class=\"\(status)\"><td>\(esc(damage.id))</td><td>\(esc(w.status(damage.status, language)))</td>"
                let also = (damage.alternatives ?? []).map { "\(w.damageName($0.className, language)) \($0.confidence.wholePercent)%" }
                let alternatives = also.isEmpty ? "" : "<br><small>\(esc(fill(l.alsoDetected, ["others": also.joined(separator: ", ")])))</small>"
                html += "<td>\(esc(w.damageName(damage.className, language)))\(alternatives)</td><td>\(esc(w.place(damage.view, language)))</td>"
                html += "<td>\(esc(damage.part.map { w.partName($0, language) } ?? ""))</td>"
                html += "<td>\(esc(w.severity(damage.severity, language)))</td><td>\(esc(notes[damage.id] ?? damage.reason ?? ""))</td></tr>\n"
            }
            html += "</table>\n"
        }
        html += evidenceSection(report: report, review: review, images: images)
        html += reviewSection(report: report, review: review, charged: charged)
        html += "<h2>\(esc(l.photos))</h2>\n<table><tr>\(l.photoColumns.map { "<th>\(esc($0))</th>" }.joined())</tr>\n"
        for photo in report.photos {
            html += "<tr><td>\(esc(w.place(photo.view, language)))</td><td>\(esc(photo.used ? l.yes : l.no))</td><td>\(esc(photo.reason ?? ""))</td></tr>\n"
        }
        html += "</table>\n<footer>\(esc(fill(l.writtenBy, ["provider": prose.provider]))) \(esc(l.severityRules))</footer>\n"
        return html + "</body></html>\n"
    }

    /// Each chargeable damage's return crop beside the check-out crop of the same place, with the
    /// photos' provenance.
    private func evidenceSection(report: InspectionReport, review: ReportReview, images: [String: EvidenceImages]) -> String {
        let w = ReportWording.self
        let evidence = report.evidence(review: review)
        guard !evidence.isEmpty else { return "" }
        let reviewed = Dictionary(review.damages(of: report).map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var html = "<h2>\(esc(l.evidence))</h2>\n"
        for item in evidence {
            let damage = reviewed[item.damage]
            html += "<figure><figcaption>\(esc(item.damage)): \(esc(damage.map { w.damageName($0.className, language) } ?? ""))"
            html += "\(damage?.part.map { esc(fill(l.onThe, ["part": w.partName($0, language)])) } ?? ""), \(esc(w.status(damage?.status, language)))</figcaption>\n<div class=\"pair\">"
            for (title, crop, jpeg) in [(l.returnSide, item.returned, images[item.damage]?.returned), (l.checkoutSide, item.checkout, images[item.damage]?.checkout)] {
                html += "<div><p><strong>\(esc(title))</strong></p>"
                guard let crop else {
                    html += "<p>\(esc(item.checkoutMissing ?? ""))</p></div>"
                    continue
                }
                if let jpeg {
                    html += "<img alt=\"\(esc(item.damage)) \(esc(title.lowercased()))\" src=\"data:image/jpeg;base64,\(Data(jpeg).base64EncodedString())\">"
                } else {
                    html += "<p>\(esc(l.noPhoto))</p>"
                }
                let provenance = fill(l.provenance, [
                    "station": crop.station, "place": w.place(crop.view, language), "taken": crop.capturedAt ?? l.cameraSilent,
                    "uploaded": crop.uploadedAt.map { $0.formatted(Date.ISO8601FormatStyle()) } ?? "?",
                ])
                html += "<p>\(esc(provenance))</p>"
                html += "<p class=\"hash\">SHA-256 \(esc(crop.sha256 ?? "?"))</p></div>"
            }
            html += "</div></figure>\n"
        }
        return html
    }

    /// The review: its state, each damage at its reviewed values with the decision, and what is charged.
    private func reviewSection(report: InspectionReport, review: ReportReview, charged: CostEstimate?) -> String {
        let w = ReportWording.self
        var html = "<h2>\(esc(l.review))</h2>\n<p>\(fill(l.state, ["state": esc(review.state.rawValue)]))"
        if let at = review.finalizedAt { html += esc(fill(l.finalSince, ["day": w.day(at)])) }
        html += ".</p>\n"
        let damages = review.damages(of: report)
        if !damages.isEmpty {
            html += "<table><tr>\(l.reviewColumns.map { "<th>\(esc($0))</th>" }.joined())</tr>\n"
            for damage in damages {
                let decision = damage.decision?.rawValue ?? (damage.chargeCandidate ? l.toDecide : "")
                let why = [damage.rejectionReason?.rawValue.replacingOccurrences(of: "_", with: " "), damage.note].compactMap { $0 }.joined(separator: ": ")
                html += "<tr><td>\(esc(damage.id))\(damage.addedByReviewer ? esc(l.drawn) : "")</td><td>\(esc(decision))</td>"
                html += "<td>\(esc(w.damageName(damage.className, language)))</td><td>\(esc(damage.part.map { w.partName($0, language) } ?? ""))</td>"
                html += "<td>\(esc(w.severity(damage.severity, language)))</td>"
                html += "<td>\(esc(why))</td><td>\(esc(damage.chargeable ? (review.state == .final ? l.yes : l.onceFinal) : l.no))</td></tr>\n"
            }
            html += "</table>\n"
        }
        if review.state == .final {
            html += "<p>\(esc(fill(l.charged, ["amount": charged.map { w.money($0.totalMinor, $0.currency) } ?? l.chargedWithoutMatrix])))</p>\n"
        } else {
            html += "<p>\(esc(l.nothingCharged))</p>\n"
        }
        return html
    }

    private func esc(_ text: String) -> String { HTML.escape(text) }
}
