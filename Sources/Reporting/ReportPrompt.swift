import Foundation
import WalkaroundCore

/// What the LLM is asked: the rules, the report's facts as JSON, and the answer's schema.
enum ReportPrompt {
    static let system = """
        You write short vehicle inspection reports for a car rental station. Use only the facts in \
        the JSON the user sends. Never add a damage, a count, a car part or a plate that is not in \
        the facts, and never leave out a damage whose status is "new". Name places only with the \
        "where" values. Give every damage in the facts one entry in "damages", with its id and one \
        sentence. The summary is one short paragraph for the station manager and the customer: say \
        how many damages are new and what they are.
        """

    static let schema: [String: any Sendable] = [
        "type": "object",
        "properties": [
            "summary": ["type": "string"],
            "damages": [
                "type": "array",
                "items": [
                    "type": "object",
                    "properties": ["id": ["type": "string"], "text": ["type": "string"]],
                    "required": ["id", "text"],
                    "additionalProperties": false,
                ] as [String: any Sendable],
            ] as [String: any Sendable],
        ] as [String: any Sendable],
        "required": ["summary", "damages"],
        "additionalProperties": false,
    ]

    /// The rules, with the language to write in (English says nothing more).
    static func system(_ language: ReportLanguage) -> String {
        language == .en
            ? system
            : system + " Write the summary and every sentence in \(language.name), using the facts' words for types, places, statuses and parts."
    }

    static func request(for report: InspectionReport, language: ReportLanguage = .en) -> ChatCompletionsClient.Request {
        ChatCompletionsClient.Request(system: system(language), user: facts(of: report, language: language), schemaName: "inspection_report", schema: schema)
    }

    /// The facts as compact JSON, in the report's own words (in `language`).
    static func facts(of report: InspectionReport, language: ReportLanguage = .en) -> String {
        let w = ReportWording.self
        let l = language
        var facts: [String: Any] = [
            "inspection": [
                "kind": report.inspection.kind == .checkout ? "check-out" : "return",
                "station": report.inspection.station,
                "date": w.day(report.inspection.createdAt),
            ],
            "vehicle": [
                "declared_plate": (report.vehicle.plate as Any?) ?? NSNull(),
                "plate_on_photos": ((report.plate.formatted ?? report.plate.plate) as Any?) ?? NSNull(),
                "plate_check": report.plate.check.rawValue,
            ],
            "photos": [
                "total": report.photos.count,
                "usable": report.photos.filter(\.used).count,
                "rejected": report.photos.filter { !$0.used }.map { ["where": w.place($0.view, l), "reason": $0.reason ?? ""] },
            ],
            "damages": report.allDamages.map { damage in
                var entry: [String: Any] = [
                    "id": damage.id, "type": w.damageName(damage.className, l), "where": w.place(damage.view, l),
                    "severity": w.severity(damage.severity, l), "status": w.status(damage.status, l),
                ]
                if let part = damage.part, part != .unknown { entry["part"] = w.partName(part, l) }
                if let reason = damage.reason { entry["reason"] = reason }
                if let matched = damage.matchedDamage { entry["same_as"] = matched }
                return entry
            },
            "counts": Dictionary(uniqueKeysWithValues: DamageStatus.allCases.map { (w.status($0, l), report.damages($0).count) }),
        ]
        if let reference = report.inspection.reference { facts["reference"] = reference }
        if let before = report.comparedWith {
            facts["compared_with_checkout"] = ["station": before.station, "date": w.day(before.createdAt)]
        }
        if let note = report.comparisonNote { facts["comparison_note"] = note }
        if !report.edgeCases.isEmpty { facts["attention"] = report.edgeCases }
        let data = (try? JSONSerialization.data(withJSONObject: facts, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// The answer's JSON as prose, or `LLMError.malformed`.
    static func prose(from content: String, provider: String, language: ReportLanguage = .en) throws -> ReportProse {
        struct Answer: Decodable {
            struct Note: Decodable {
                var id: String
                var text: String
            }
            var summary: String
            var damages: [Note]
        }
        var text = content.trimmingCharacters(in: .whitespacesAndNewlines)
        // Some servers wrap JSON in a Markdown fence even when asked not to.
        if text.hasPrefix("```") {
            text = text.split(separator: "\n", omittingEmptySubsequences: false).dropFirst().filter { !$0.hasPrefix("```") }.joined(separator: "\n")
        }
        guard let answer = try? JSONDecoder().decode(Answer.self, from: Data(text.utf8)) else {
            throw LLMError.malformed("the content is not the requested JSON")
        }
        guard !answer.summary.trimmingCharacters(in: .whitespaces).isEmpty else { throw LLMError.malformed("the summary is empty") }
        var prose = ReportProse(summary: answer.summary, damageNotes: answer.damages.map { .init(id: $0.id, text: $0.text) }, provider: provider)
        prose.language = language
        return prose
    }
}
