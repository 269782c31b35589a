import Foundation
import WalkaroundCore

/// The report as a printable HTML page: the summary, the damages table, the photos used and
/// rejected, and for each damage that could be charged the return crop beside the check-out crop
/// of the same place with each photo's SHA-256, times and station (embedded, so the page prints
/// and saves as one file without further authenticated requests).
public struct ReportPage: Sendable {
    public init() {}

    /// The JPEG crops of one damage's evidence.
    public struct EvidenceImages: Sendable {
        public var returned: [UInt8]?
        public var checkout: [UInt8]?

        public init(returned: [UInt8]?, checkout: [UInt8]?) {
            self.returned = returned
            self.checkout = checkout
        }
    }

    /// `images` maps a damage id to its evidence crops; `review` and `charged` are the people's
    /// review and what it charges (the page shows them after the machine's findings).
    public func html(
        report: InspectionReport, prose: ReportProse, images: [String: EvidenceImages], review: ReportReview = ReportReview(), charged: CostEstimate? = nil
    ) -> String {
        let w = ReportWording.self
        let kind = report.inspection.kind == .checkout ? "Check-out" : "Return"
        let notes = Dictionary(prose.damageNotes.map { ($0.id, $0.text) }, uniquingKeysWith: { a, _ in a })
        var html = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8">
            <title>\(esc(kind)) report \(esc(w.plate(of: report)))</title>
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
            <h1>\(esc(kind)) inspection — \(esc(w.plate(of: report)))</h1>
            <p>Station \(esc(report.inspection.station)), \(esc(w.day(report.inspection.createdAt)))\
            \(report.inspection.reference.map { ", reference " + esc($0) } ?? ""). Plate check: \(esc(report.plate.check.rawValue)).</p>

            """
        if let before = report.comparedWith {
            html += "<p>Compared with the check-out at station \(esc(before.station)) on \(esc(w.day(before.createdAt))).</p>\n"
        } else if let note = report.comparisonNote {
            html += "<p>\(esc(note)).</p>\n"
        }
        for edge in report.edgeCases { html += "<p><strong>Attention:</strong> \(esc(edge)).</p>\n" }
        html += "<h2>Summary</h2>\n<p>\(esc(prose.summary))</p>\n"
        if let costs = report.costs {
            html += "<p>Estimated repair of the new damages: \(esc(ReportWording.money(costs.totalMinor, costs.currency)))"
            let missing = costs.lines.compactMap(\.noEstimate)
            if !missing.isEmpty { html += " (without \(esc(missing.joined(separator: "; "))))" }
            html += "</p>\n"
        }
        html += "<h2>Damages</h2>\n"
        if report.allDamages.isEmpty {
            html += "<p>No damage found.</p>\n"
        } else {
            html += "<table><tr><th>Id</th><th>Status</th><th>Damage</th><th>Where</th><th>Part</th><th>Severity</th><th>Note</th></tr>\n"
            for damage in report.allDamages {
                let status = damage.status?.rawValue ?? "recorded"
                html += "<tr class=\"\(status)\"><td>\(esc(damage.id))</td><td>\(esc(w.status(damage.status)))</td>"
                let also = (damage.alternatives ?? []).map { "\(w.damageName($0.className)) \($0.confidence.wholePercent)%" }
                let alternatives = also.isEmpty ? "" : "<br><small>also detected as \(esc(also.joined(separator: ", ")))</small>"
                html += "<td>\(esc(w.damageName(damage.className)))\(alternatives)</td><td>\(esc(w.place(damage.view)))</td>"
                html += "<td>\(esc(damage.part.map(w.partName) ?? ""))</td>"
                html += "<td>\(damage.severity.rawValue)</td><td>\(esc(notes[damage.id] ?? damage.reason ?? ""))</td></tr>\n"
            }
            html += "</table>\n"
        }
        html += evidenceSection(report: report, review: review, images: images)
        html += reviewSection(report: report, review: review, charged: charged)
        html += "<h2>Photos</h2>\n<table><tr><th>View</th><th>Used</th><th>Reason</th></tr>\n"
        for photo in report.photos {
            html += "<tr><td>\(esc(w.place(photo.view)))</td><td>\(photo.used ? "yes" : "no")</td><td>\(esc(photo.reason ?? ""))</td></tr>\n"
        }
        html += "</table>\n<footer>Written by \(esc(prose.provider)). Severity rules: scratches and dents by their share of the photo, "
        html += "cracks and broken lamps moderate unless large, shattered glass and flat tyres severe; one step lower under 50 % confidence.</footer>\n"
        return html + "</body></html>\n"
    }

    /// Each chargeable damage's return crop beside the check-out crop of the same place, with the
    /// photos' provenance.
    private func evidenceSection(report: InspectionReport, review: ReportReview, images: [String: EvidenceImages]) -> String {
        let w = ReportWording.self
        let evidence = report.evidence(review: review)
        guard !evidence.isEmpty else { return "" }
        let reviewed = Dictionary(review.damages(of: report).map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var html = "<h2>Evidence</h2>\n"
        for item in evidence {
            let damage = reviewed[item.damage]
            html += "<figure><figcaption>\(esc(item.damage)): \(esc(damage.map { w.damageName($0.className) } ?? ""))"
            html += "\(damage?.part.map { " on the " + esc(w.partName($0)) } ?? ""), \(esc(w.status(damage?.status)))</figcaption>\n<div class=\"pair\">"
            for (title, crop, jpeg) in [("Return", item.returned, images[item.damage]?.returned), ("Check-out", item.checkout, images[item.damage]?.checkout)] {
                html += "<div><p><strong>\(title)</strong></p>"
                guard let crop else {
                    html += "<p>\(esc(item.checkoutMissing ?? "no photo"))</p></div>"
                    continue
                }
                if let jpeg {
                    html += "<img alt=\"\(esc(item.damage)) \(title.lowercased())\" src=\"data:image/jpeg;base64,\(Data(jpeg).base64EncodedString())\">"
                } else {
                    html += "<p>The photo cannot be shown (erased or unreadable).</p>"
                }
                html += "<p>Station \(esc(crop.station)), \(esc(w.place(crop.view))) photo; taken \(esc(crop.capturedAt ?? "(the camera did not record it)"))"
                html += "; uploaded \(esc(crop.uploadedAt.map { $0.formatted(Date.ISO8601FormatStyle()) } ?? "?"))</p>"
                html += "<p class=\"hash\">SHA-256 \(esc(crop.sha256 ?? "?"))</p></div>"
            }
            html += "</div></figure>\n"
        }
        return html
    }

    /// The review: its state, each damage at its reviewed values with the decision, and what is charged.
    private func reviewSection(report: InspectionReport, review: ReportReview, charged: CostEstimate?) -> String {
        let w = ReportWording.self
        var html = "<h2>Review</h2>\n<p>State: <strong>\(review.state.rawValue)</strong>"
        if let at = review.finalizedAt { html += ", final since \(esc(w.day(at)))" }
        html += ".</p>\n"
        let damages = review.damages(of: report)
        if !damages.isEmpty {
            html += "<table><tr><th>Id</th><th>Decision</th><th>Damage</th><th>Part</th><th>Severity</th><th>Why</th><th>Charged</th></tr>\n"
            for damage in damages {
                let decision = damage.decision?.rawValue ?? (damage.chargeCandidate ? "to decide" : "")
                let why = [damage.rejectionReason?.rawValue.replacingOccurrences(of: "_", with: " "), damage.note].compactMap { $0 }.joined(separator: ": ")
                html += "<tr><td>\(esc(damage.id))\(damage.addedByReviewer ? " (drawn by a reviewer)" : "")</td><td>\(esc(decision))</td>"
                html += "<td>\(esc(w.damageName(damage.className)))</td><td>\(esc(damage.part.map(w.partName) ?? ""))</td><td>\(damage.severity.rawValue)</td>"
                html += "<td>\(esc(why))</td><td>\(damage.chargeable ? (review.state == .final ? "yes" : "once final") : "no")</td></tr>\n"
            }
            html += "</table>\n"
        }
        if review.state == .final {
            html += "<p>Charged: \(charged.map { esc(w.money($0.totalMinor, $0.currency)) } ?? "the confirmed new damages above (no cost matrix)").</p>\n"
        } else {
            html += "<p>Nothing is charged until a reviewer makes the report final.</p>\n"
        }
        return html
    }

    private func esc(_ text: String) -> String {
        var out = ""
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }
}
